"""Click-to-redraw latency of the plane page in a real browser (issue 9: <= 300 ms at N = 20).

Starts ``streamlit run app.py`` on a free loopback port, opens ``/plane`` with N seeded random
points (THEORY_2D §6's XOR shape, two classes), then clicks ``--clicks`` times at empty spots,
one at a time, each after the previous fit is on screen and ``BENCH_SETTLE_MS`` (default 1000)
more. The canvas records with ``performance.now()`` (``window.convexviz.stats`` in debug mode):
click -> the fit of the clicked points painted (``fitLatencies``), and per preview the fetch
(ask -> answer) and the draw (answer -> painted). Medians and 90th percentiles are printed,
with the engine's own fit time for the same points measured in this process, cold and warm.

    python benchmarks/bench_plane_click.py [--clicks 15] [--points 20] [--beta 0.05]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convexviz.datasets2d import random_plane_points  # noqa: E402
from convexviz.plane import fit_plane  # noqa: E402
from convexviz.ui.plane_state import format_plane_points  # noqa: E402
from tests.streamlit_server import CHROMIUM_ARGS, free_port, start_streamlit  # noqa: E402

SETTLE_MS = int(os.environ.get("BENCH_SETTLE_MS", "1000"))
DEBUG_SCRIPT = "window.convexviz = {debug: true};"
CANVAS = ".st-key-plane_canvas .cvz-canvas"


def empty_spots(points: np.ndarray, count: int, seed: int = 1) -> list[tuple[float, float]]:
    """``count`` spots in the points' box, each at least 0.25 away from every point."""
    rng = np.random.default_rng(seed)
    lo, hi = points[:, :2].min(0), points[:, :2].max(0)
    spots: list[tuple[float, float]] = []
    while len(spots) < count:
        s = rng.uniform(lo, hi)
        taken = np.vstack([points[:, :2], np.array(spots).reshape(-1, 2)])
        if np.min(np.linalg.norm(taken - s, axis=1)) > 0.25:
            spots.append((float(s[0]), float(s[1])))
    return spots


def click_at(page, x: float, y: float) -> None:
    root = page.locator(CANVAS)
    x0, x1 = map(float, root.get_attribute("data-xrange").split(","))
    y0, y1 = map(float, root.get_attribute("data-yrange").split(","))
    box = page.locator(f"{CANVAS} .nsewdrag").bounding_box()
    px = box["x"] + (x - x0) / (x1 - x0) * box["width"]
    py = box["y"] + (y1 - y) / (y1 - y0) * box["height"]
    page.mouse.click(px, py)


def measure(args: argparse.Namespace) -> dict:
    points = np.array(random_plane_points(args.points, seed=4))
    query = urlencode({"pts": format_plane_points(tuple(map(tuple, points))), "beta": args.beta})
    port = free_port()
    server = start_streamlit("app.py", port)
    if server is None:
        raise RuntimeError("streamlit did not become healthy within 60 s")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.add_init_script(DEBUG_SCRIPT)
            page.goto(f"http://127.0.0.1:{port}/plane?{query}")
            page.locator(f"{CANVAS}[data-ready='1']").wait_for(timeout=60_000)
            page.wait_for_timeout(SETTLE_MS)
            for k, (x, y) in enumerate(empty_spots(points, args.clicks), start=1):
                click_at(page, x, y)
                page.wait_for_function(
                    "n => window.convexviz.stats.fitLatencies.length >= n", arg=k, timeout=60_000
                )
                page.wait_for_timeout(SETTLE_MS)
            stats = page.evaluate("() => window.convexviz.stats")
            browser.close()
    finally:
        server.terminate()
    return stats


def engine_ms(args: argparse.Namespace) -> tuple[float, float]:
    """Median cold and warm (working lines of the fit before one added point) fit times."""
    points = np.array(random_plane_points(args.points, seed=4))
    before = fit_plane(points[:-1, :2], points[:-1, 2], args.beta)
    cold, warm = [], []
    for _ in range(5):
        t = time.perf_counter()
        fit_plane(points[:, :2], points[:, 2], args.beta)
        cold.append(1e3 * (time.perf_counter() - t))
        t = time.perf_counter()
        fit_plane(points[:, :2], points[:, 2], args.beta, warm_lines=before.working_lines)
        warm.append(1e3 * (time.perf_counter() - t))
    return statistics.median(cold), statistics.median(warm)


def p90(values: list[float]) -> float:
    return float(np.percentile(values, 90))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=15)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--beta", type=float, default=0.05)
    args = parser.parse_args()
    stats = measure(args)
    cold, warm = engine_ms(args)
    fit = [r["ms"] for r in stats["fitLatencies"]]
    fetch = [t["fetch"] for t in stats["previewTimes"]]
    draw = [t["draw"] for t in stats["previewTimes"]]
    print(f"plane page, N = {args.points}..{args.points + args.clicks - 1}, beta = {args.beta}")
    print(f"{'measure':<44}{'median ms':>10}{'p90 ms':>10}")
    for name, values in [
        ("click -> new fit painted (target <= 300)", fit),
        ("  preview fetch (ask -> answer)", fetch),
        ("  preview draw (answer -> painted)", draw),
    ]:
        print(f"{name:<44}{statistics.median(values):>10.0f}{p90(values):>10.0f}")
    print(f"{'engine fit_plane, cold / warm (this process)':<44}{cold:>10.0f}{warm:>10.0f}")
    print(f"previews asked {stats['previews']}, drawn {stats['previewsDrawn']}, "
          f"busy {stats.get('previewBusy', 0)}, failed {stats['previewErrors']}")  # fmt: skip


if __name__ == "__main__":
    main()
