"""Make the README's pictures: ``assets/screenshot.png`` (the 1-D page) and
``assets/screenshot_plane.png`` (the plane page).

Run from anywhere (needs the dev requirements and Debian chromium)::

    python assets/screenshot.py [--out-dir DIR] [--chromium PATH]

It starts ``streamlit run app.py`` on a free loopback port, opens the lesson link
"same data, depth 4: a reflection feature" and the plane's XOR lesson in headless chromium,
waits until each canvas is ready and the figures below it are drawn, and writes the PNGs.
The tests never rewrite the pictures; run this after a change that shows on a page.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repository's own package and helpers

from convexviz.datasets2d import PLANE_PRESETS  # noqa: E402
from tests.streamlit_server import CHROMIUM_ARGS, free_port, start_streamlit  # noqa: E402

WAIT_MS = 60_000


@dataclass(frozen=True)
class Shot:
    """One picture: the page and lesson opened, the window, what must be drawn first."""

    file: str
    path: str
    lesson: dict[str, str]
    viewport: dict[str, int]
    ready: tuple[str, ...]


SHOTS = (
    # The paper's 'opt' data at depth 4, one reflection feature; tall enough for the canvas,
    # the summary, and the features and coefficients figures with their legends.
    Shot(
        "screenshot.png",
        "/",
        {"pts": "0:0,4:0,5:0,7:2,10:3,11:3", "act": "relu", "depth": "4", "beta": "0.001"},
        {"width": 1400, "height": 1640},
        (
            ".st-key-canvas .cvz-canvas[data-ready='1']",
            ".st-key-features .cvz-figure .main-svg .nsewdrag",
            ".st-key-coefficients .cvz-figure .main-svg .nsewdrag",
            ".st-key-network .cvz-figure .main-svg .nsewdrag",
        ),
    ),
    # The plane's XOR lesson: surface, decision line, neuron lines, the certificate.
    Shot(
        "screenshot_plane.png",
        "/plane",
        {
            "pts": ",".join(f"{a:g}:{b:g}:{c:g}" for a, b, c in PLANE_PRESETS["xor"].points),
            "beta": "0.05",
        },
        {"width": 1400, "height": 1000},
        (".st-key-plane_canvas .cvz-canvas[data-ready='1']",),
    ),  # fmt: skip
)


def take_screenshots(out_dir: Path, chromium: str) -> list[Path]:
    """Serve the app, open each of :data:`SHOTS`, wait for its figures, write its PNG."""
    from playwright.sync_api import sync_playwright

    proc = start_streamlit("app.py", port := free_port())
    if proc is None:
        raise SystemExit("the streamlit server did not start")
    written = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for shot in SHOTS:
                page = browser.new_page(viewport=shot.viewport)
                page.goto(f"http://127.0.0.1:{port}{shot.path}?{urlencode(shot.lesson)}")
                for selector in shot.ready:
                    page.locator(selector).first.wait_for(timeout=WAIT_MS)
                page.wait_for_timeout(1000)  # hover-free, settled frame after the last draw
                out_dir.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out_dir / shot.file))
                written.append(out_dir / shot.file)
                page.close()
            browser.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "assets")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    for path in take_screenshots(args.out_dir, args.chromium):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
