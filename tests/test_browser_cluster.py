"""Failover behind the balancer: two replicas of the app behind HAProxy (``deploy/cluster.sh``).

Through the balancer a browser opens a lesson link and adds a point; the replica holding the
page's websocket is found from HAProxy's own statistics (its open sessions, read from the
stats socket) and from the affinity cookie, and is killed with SIGKILL. The page must
reconnect through the balancer to the other replica with the same points (the URL holds the
state), and the next click must work: one more point, the fit of all of them drawn (compared
with a fit computed here with the package), no error on the page.

Without haproxy, chromium or a working server the test is skipped, unless
``CONVEXVIZ_REQUIRE_BROWSER=1`` (CI), where it fails.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from convexviz import Architecture, fit
from tests.browser import (
    WAIT_MS,
    Plot,
    assert_no_errors,
    lesson_links,
    open_app,
    unavailable,
    url_points,
    wait_for_count,
)
from tests.streamlit_server import ROOT

pytestmark = pytest.mark.browser

CLUSTER = ROOT / "deploy" / "cluster.sh"
REPLICAS = 2
#: The README's first lesson link (the paper's 'opt' data, ReLU, depth 2).
LESSON = lesson_links()[0][1]
COOKIE = "CVZ_REPLICA"
FIT_TRACE = "optimal network f(x)"


# ---------------------------------------------------------------- helpers


def free_port_block(count: int) -> int:
    """A port P such that nothing listens on 127.0.0.1:P .. P+count-1 right now."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count > 65535:
            continue
        if all(_is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no block of free ports found")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster(*args: str, run_dir: Path, timeout: float = 150) -> subprocess.CompletedProcess:
    """Run ``deploy/cluster.sh`` with this interpreter's ``streamlit`` first on PATH."""
    env = dict(os.environ, CONVEXVIZ_RUN_DIR=str(run_dir))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([str(CLUSTER), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


def replica_stats(run_dir: Path) -> dict[str, dict[str, str]]:
    """HAProxy's ``show stat`` for the replicas: ``{"r1": {"status": "UP", "scur": "1"}, ...}``."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(str(run_dir / "haproxy.sock"))
        s.sendall(b"show stat\n")
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    lines = b"".join(chunks).decode().lstrip("# ").splitlines()
    rows = csv.DictReader(line for line in lines if line)
    return {r["svname"]: r for r in rows if r["pxname"] == "replicas" and r["svname"][:1] == "r"}


def wait_until(condition, timeout_s: float = WAIT_MS / 1000, what: str = "condition"):
    """Poll ``condition()`` until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def holding_replica(run_dir: Path) -> str | None:
    """The one replica with an open session (the page's websocket), if exactly one has."""
    busy = [name for name, row in replica_stats(run_dir).items() if int(row["scur"]) > 0]
    return busy[0] if len(busy) == 1 else None


def replica_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == COOKIE), None)


def served_previews(run_dir: Path) -> list[str]:
    """The replica that served each preview POST so far, from the balancer's request log."""
    log = (run_dir / "balancer.log").read_text(encoding="utf-8")
    return re.findall(r" replicas/(r\d+) .*\"POST /convexviz/preview ", log)


def streamlit_argv(pid: int) -> list[str]:
    """A replica's command line from ``streamlit`` on (``python .../bin/streamlit run ...``)."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    start = next(i for i, arg in enumerate(argv) if Path(arg).name == "streamlit")
    return ["streamlit", *argv[start + 1 :]]


def process_env(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def readme_app_command() -> list[str]:
    """The README's app command after its setup steps: ``["streamlit", "run", "app.py"]``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Run the app", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return shlex.split(block.strip().split("&&")[-1])


def drawn_fit(page) -> tuple[np.ndarray, np.ndarray]:
    x, y = page.evaluate(
        """name => {
            const t = document.querySelector('.st-key-canvas .cvz-plot').data
                .find((t) => t.name === name);
            return t ? [Array.from(t.x), Array.from(t.y)] : [[], []];
        }""",
        FIT_TRACE,
    )
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def assert_fit_drawn_for(page, points) -> None:
    """The canvas's fit curve, read at the points' x, is the package's fit of ``points``."""
    xy = np.asarray(points, dtype=float)
    want = fit(xy[:, 0], xy[:, 1], Architecture(LESSON["act"], int(LESSON["depth"])),
               float(LESSON["beta"])).predict(xy[:, 0])  # fmt: skip
    cx, cy = drawn_fit(page)
    assert cx.size, "no fit curve drawn"
    np.testing.assert_allclose(np.interp(xy[:, 0], cx, cy), want, atol=1e-3, rtol=1e-4)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def balancer(tmp_path):
    """``deploy/cluster.sh up 2 PORT`` in a private run directory; ``down`` afterwards."""
    if shutil.which("haproxy", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin") is None:
        unavailable("haproxy is not installed (apt-get install haproxy)")
    run_dir = tmp_path / "run"
    port = free_port_block(REPLICAS + 1)
    started = cluster("up", str(REPLICAS), str(port), run_dir=run_dir)
    try:
        if started.returncode != 0:
            unavailable(f"deploy/cluster.sh up failed: {started.stderr.strip()}")
        yield f"http://127.0.0.1:{port}", run_dir
    finally:
        stopped = cluster("down", run_dir=run_dir)
        assert stopped.returncode == 0, stopped.stderr
    assert not list(run_dir.glob("*.pid")), "down left pid files behind"


@pytest.fixture
def page(browser, balancer):
    """A page in a fresh browser context: no cookie of another test's server is sent."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    yield pg
    ctx.close()


# ---------------------------------------------------------------- test


def test_a_page_survives_losing_its_replica(balancer, page):
    base, run_dir = balancer
    pids = {f"r{i}": int((run_dir / f"replica-{i}.pid").read_text()) for i in (1, 2)}
    # Every replica runs the README's app command plus address and port flags, with the
    # cookie secret every replica shares.
    port = int(base.rsplit(":", 1)[1])
    secrets = set()
    for i, pid in enumerate(pids.values(), start=1):
        assert streamlit_argv(pid) == [*readme_app_command(), "--server.address", "127.0.0.1",
                                       "--server.port", str(port + i)]  # fmt: skip
        secrets.add(process_env(pid).get("STREAMLIT_SERVER_COOKIE_SECRET"))
    assert secrets == {(run_dir / "cookie_secret").read_text()}

    plot = open_app(page, base, **LESSON)
    n = len(url_points(page))
    plot.click(2.0, 2.5)
    wait_for_count(page, n + 1)
    before = url_points(page)

    # The replica holding the page: the only one with an open session at HAProxy, and the
    # one the affinity cookie names.
    holder = wait_until(lambda: holding_replica(run_dir), what="one replica holding the page")
    assert replica_cookie(page.context) == holder
    survivor = next(name for name in pids if name != holder)
    # The canvas's preview requests went to the same replica (the cookie travels with them).
    previews = served_previews(run_dir)
    assert previews and set(previews) == {holder}, previews
    os.kill(pids[holder], signal.SIGKILL)

    # The page reconnects through the balancer to the survivor, which re-sets the cookie.
    wait_until(lambda: replica_cookie(page.context) == survivor, what="the cookie to move")
    wait_until(lambda: holding_replica(run_dir) == survivor, what="a session on the survivor")
    assert replica_stats(run_dir)[holder]["status"].startswith("DOWN")
    page.locator(".st-key-canvas .cvz-canvas[data-ready='1']").wait_for(timeout=WAIT_MS)
    assert url_points(page) == before

    # The next click works on the survivor: one more point, its fit drawn, no error.
    plot = Plot(page)  # the survivor rebuilt the page: measure the axes again
    plot.click(8.5, 0.5)
    wait_for_count(page, n + 2)
    after = url_points(page)
    assert after[:-1] == before
    page.wait_for_function(
        """n => {
            const s = document.querySelector("[data-testid='stAlertContentSuccess']");
            return s && s.innerText.startsWith(n + " points");
        }""",
        arg=n + 2,
        timeout=WAIT_MS,
    )
    wait_until(lambda: _fit_matches(page, after), what="the fit of all points drawn")
    assert_no_errors(page)
    later = served_previews(run_dir)[len(previews) :]
    assert later and set(later) == {survivor}, later


def _fit_matches(page, points) -> bool:
    try:
        assert_fit_drawn_for(page, points)
    except AssertionError:
        return False
    return True
