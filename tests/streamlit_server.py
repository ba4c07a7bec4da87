"""Start ``streamlit run`` on a free loopback port, for browser tests and benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Debian chromium, headless, with no background traffic (the network is closed here).
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(
    script: str, port: int, timeout_s: float = 60.0, base_url_path: str = ""
) -> subprocess.Popen | None:
    """Run ``script`` with Streamlit on ``127.0.0.1:port``; ``None`` if it never gets healthy.

    Edits in the working tree must not rerun the app under a test, hence no file watcher.
    ``base_url_path`` serves the app under a path, as behind a reverse proxy.
    """
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false",
           "--server.runOnSave", "false", "--server.fileWatcherType", "none",
           "--server.baseUrlPath", base_url_path]  # fmt: skip
    base = f"/{base_url_path.strip('/')}" if base_url_path.strip("/") else ""
    health = f"http://127.0.0.1:{port}{base}/_stcore/health"
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout_s
    while proc.poll() is None and time.time() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    return None
