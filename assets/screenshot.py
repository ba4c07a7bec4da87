"""Make ``assets/screenshot.png``, the README's picture of the main view.

Run from anywhere (needs the dev requirements and Debian chromium)::

    python assets/screenshot.py [--out PATH] [--chromium PATH]

It starts ``streamlit run app.py`` on a free loopback port, opens the lesson link
"same data, depth 4: a reflection feature" in headless chromium, waits until the canvas
is ready and the panel figures below it are drawn, and writes the PNG. The tests never
rewrite the picture; run this after a change that shows on the main view.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repository's own package and helpers

from tests.streamlit_server import CHROMIUM_ARGS, free_port, start_streamlit  # noqa: E402

#: The lesson shown: the paper's 'opt' data at depth 4, one reflection feature.
LESSON = {"pts": "0:0,4:0,5:0,7:2,10:3,11:3", "act": "relu", "depth": "4", "beta": "0.001"}
#: Tall enough for the canvas, the summary, and the features and coefficients figures
#: with their legends.
VIEWPORT = {"width": 1400, "height": 1640}
WAIT_MS = 60_000
#: The canvas has drawn the fit, and each panel figure its plot area.
READY = [
    ".st-key-canvas .cvz-canvas[data-ready='1']",
    ".st-key-features .cvz-figure .main-svg .nsewdrag",
    ".st-key-coefficients .cvz-figure .main-svg .nsewdrag",
    ".st-key-network .cvz-figure .main-svg .nsewdrag",
]


def take_screenshot(out: Path, chromium: str) -> None:
    """Serve the app, open :data:`LESSON`, wait for :data:`READY`, write ``out``."""
    from playwright.sync_api import sync_playwright

    proc = start_streamlit("app.py", port := free_port())
    if proc is None:
        raise SystemExit("the streamlit server did not start")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"http://127.0.0.1:{port}/?{urlencode(LESSON)}")
            for selector in READY:
                page.locator(selector).first.wait_for(timeout=WAIT_MS)
            page.wait_for_timeout(500)  # hover-free, settled frame after the last draw
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            browser.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshot.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    take_screenshot(args.out, args.chromium)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
