"""First load of the page on an empty browser cache: bytes transferred and time to the fit.

Starts the app with the README's command (plus a loopback port) and, in the same run, a bare
Streamlit page (``benchmarks/bare_app.py``: a title and a line of text), then loads each
``--repeat`` times in a fresh Debian chromium context (empty cache, no service worker):

* **bytes**: the sum of every response's transferred size (``encodedDataLength`` of the
  DevTools protocol: headers plus the body as sent, compressed or not), websocket frames
  excluded;
* **time**: from the navigation's start to the fit on screen (the canvas marks itself
  ``data-ready='1'`` once it has drawn the fit of the lesson's points), and for the bare page
  to its line of text being visible.

Targets (issue 10): at most 3.5 MB, and the fit within 1.8x the bare page's time.

    python benchmarks/bench_first_load.py [--repeat 5] [--lesson "pts=...&act=relu&depth=3"]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.streamlit_server import CHROMIUM_ARGS, free_port, start_streamlit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
LESSON = "pts=0:0,1:1,2:0,3:2,4:1,5:3&act=relu&depth=3&beta=0.001"


def load_once(browser, url: str, ready_selector: str) -> tuple[int, float]:
    """Bytes transferred and milliseconds to ``ready_selector`` for one cold load of ``url``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, int] = {}

    def finished(event: dict) -> None:
        sizes[event["requestId"]] = event["encodedDataLength"]

    cdp.on("Network.loadingFinished", finished)
    start = time.perf_counter()
    page.goto(url)
    page.locator(ready_selector).first.wait_for(timeout=60_000)
    elapsed = 1e3 * (time.perf_counter() - start)
    page.wait_for_timeout(1500)  # late requests (fonts, lazy chunks) still count
    context.close()
    return sum(sizes.values()), elapsed


def measure(browser, url: str, selector: str, repeat: int) -> tuple[float, float]:
    load_once(browser, url, selector)  # warm the server (imports, first script run)
    runs = [load_once(browser, url, selector) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lesson", default=LESSON, help="query string of the 1-D page")
    args = parser.parse_args()
    servers = []
    try:
        urls = []
        for script in ("app.py", "benchmarks/bare_app.py"):
            port = free_port()
            servers.append(start_streamlit(script, port))
            if servers[-1] is None:
                sys.exit(f"{script} did not start")
            urls.append(f"http://127.0.0.1:{port}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            canvas = ".st-key-canvas .cvz-canvas[data-ready='1']"
            app_bytes, app_ms = measure(browser, f"{urls[0]}/?{args.lesson}", canvas, args.repeat)
            bare_bytes, bare_ms = measure(browser, urls[1], "text=A bare page", args.repeat)
            browser.close()
    finally:
        for server in servers:
            if server is not None:
                server.terminate()
    print(f"first load, median of {args.repeat} cold loads (empty cache)")
    print(f"{'page':<28}{'MB transferred':>16}{'ms to content':>16}")
    print(f"{'bare Streamlit page':<28}{bare_bytes / 1e6:>16.2f}{bare_ms:>16.0f}")
    print(f"{'convexviz lesson (fit)':<28}{app_bytes / 1e6:>16.2f}{app_ms:>16.0f}")
    print(f"ratio of times: {app_ms / bare_ms:.2f} (target <= 1.8); bytes target <= 3.5 MB")


if __name__ == "__main__":
    main()
