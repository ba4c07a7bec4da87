"""Click-to-redraw latency of the canvas in a real browser (DESIGN.md §7).

Starts ``streamlit run app.py`` on a free loopback port, opens it in Debian chromium via
Playwright, loads N = 20 random points with ReLU depth 3, then clicks 20 times at empty
spots, one at a time: each once the previous run has finished and the page has had
``BENCH_SETTLE_MS`` (default 1000 ms) to finish drawing or, with ``--pace MS``, one click
every MS milliseconds whatever the page is doing (a student clicking steadily; clicks then
land while the panels below redraw). The browser records, with ``performance.now()``
(``window.convexviz.stats``, kept by ``canvas.js`` in debug mode), the time from each click
to the moment the canvas has painted the fit of the clicked points (from the preview or from
Streamlit, whichever comes first: what the student sees) and to the moment the session's
acknowledged fit is painted. Target for the first: median <= 150 ms, p90 <= 300 ms.

The same clicks are then measured on ``benchmarks/baseline_app.py`` (same canvas and
protocol, no fit and no figures), so the table separates Streamlit's own round trip on this
machine from the cost of convexviz.

    python benchmarks/bench_browser.py [--clicks 20] [--points 20] [--depth 3] [--pace MS]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convexviz.datasets import random_points  # noqa: E402
from convexviz.ui.state import format_points  # noqa: E402
from tests.streamlit_server import CHROMIUM_ARGS, free_port, start_streamlit  # noqa: E402

#: Pause after each run before the next click (the browser finishes drawing the panels).
SETTLE_MS = int(os.environ.get("BENCH_SETTLE_MS", "1000"))
#: Run before the page's scripts: the canvas's debug mode (its records in ``stats``).
DEBUG_SCRIPT = "window.convexviz = {debug: true};"


def start_server(port: int, script: str):
    proc = start_streamlit(script, port)
    if proc is None:
        raise RuntimeError("streamlit did not become healthy within 60 s")
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--pace", type=int, default=0, help="ms from click to click (0: settle)")
    args = parser.parse_args()
    app = measure("app.py", args)
    report("app.py", app, args)
    if not args.no_baseline:
        base = measure("benchmarks/baseline_app.py", args)
        report("baseline (no fit, no figures)", base, args)


def measure(script: str, args: argparse.Namespace) -> dict:
    """The canvas's ``window.convexviz.stats`` record after ``args.clicks`` sequential clicks.

    ``fitLatencies``: click -> fit of the clicked points painted (preview or Streamlit);
    ``latencies``: click -> the session's acknowledged fit painted; counters of snapshots
    sent and resent, previews asked, drawn and failed.
    """
    points = random_points(args.points, seed=3)
    query = (f"?pts={format_points(points)}&act={args.activation}&depth={args.depth}"
             "&beta=0.001")  # fmt: skip
    port = free_port()
    server = start_server(port, script)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=os.environ.get("CONVEXVIZ_CHROMIUM", "/usr/bin/chromium"),
                args=CHROMIUM_ARGS,
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(DEBUG_SCRIPT)  # the canvas records its latencies
            page.goto(f"http://127.0.0.1:{port}/{query}")
            page.locator(".st-key-canvas .cvz-canvas[data-ready='1']").wait_for(timeout=60_000)
            page.wait_for_timeout(2000)
            box = page.locator(".st-key-canvas .nsewdrag").bounding_box()
            # Spread over the lower part of the plot (the same spots as in BENCHMARKS.md's runs).
            xs = np.linspace(0.05, 0.95, args.clicks)
            ys = 0.55 + 0.4 * ((np.arange(args.clicks) * 7) % args.clicks) / args.clicks
            for k, (fx, fy) in enumerate(zip(xs, ys, strict=True), start=1):
                clicked = time.perf_counter()
                page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                if args.pace:
                    page.wait_for_function(
                        f"(window.convexviz.stats.fitLatencies.length >= {k})", timeout=30_000
                    )
                    left = args.pace / 1000 - (time.perf_counter() - clicked)
                    page.wait_for_timeout(max(0.0, 1000 * left))
                    continue
                page.wait_for_function(
                    f"(window.convexviz.stats.latencies.length >= {k})", timeout=30_000
                )
                settle(page)
            page.wait_for_function(
                f"(window.convexviz.stats.latencies.length >= {args.clicks})", timeout=30_000
            )
            perf = page.evaluate("window.convexviz.stats")
            browser.close()
    finally:
        server.kill()
        server.wait()
    return perf


def settle(page) -> None:
    """Wait until the app has finished its run (panels drawn), so clicks do not overlap."""
    page.wait_for_timeout(100)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=30_000)
    page.wait_for_timeout(SETTLE_MS)


def report(name: str, perf: dict, args: argparse.Namespace) -> None:
    fit = np.array([e["ms"] for e in perf["fitLatencies"]])
    ack = np.array([e["ms"] for e in perf["latencies"]])

    def summary(data: np.ndarray, targets: bool) -> str:
        if not data.size:
            return "none recorded"
        median, p90 = float(np.median(data)), float(np.percentile(data, 90))
        text = f"median {median:.0f} ms, p90 {p90:.0f} ms (n = {data.size})"
        return text + ("  (targets <= 150 / <= 300)" if targets else "")

    rows = [
        ("clicks / points (start)", f"{args.clicks} / {args.points}"),
        ("clicking", f"one every {args.pace} ms" if args.pace else
         f"after the page settled + {SETTLE_MS} ms"),
        ("network", f"{args.activation}, depth {args.depth}"),
        ("click -> fit drawn", summary(fit, True)),
        ("click -> session acknowledged", summary(ack, False)),
        ("fit drawn: min / mean / max", f"{fit.min():.0f} / {fit.mean():.0f} / {fit.max():.0f} ms"
         if fit.size else "-"),
        ("previews asked / drawn / failed",
         f"{perf['previews']} / {perf['previewsDrawn']} / {perf['previewErrors']}"),
        ("snapshots sent / resent", f"{perf['sent']} / {perf['resent']}"),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    print(f"\n{name}")
    print("| measure".ljust(width + 2) + " | value |")
    print("|" + "-" * (width + 2) + "|-------|")
    for key, value in rows:
        print(f"| {key.ljust(width)} | {value} |")
    print("fit drawn (ms):", " ".join(f"{v:.0f}" for v in fit))
    print("acknowledged (ms):", " ".join(f"{v:.0f}" for v in ack))


if __name__ == "__main__":
    main()
