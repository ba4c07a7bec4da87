"""The click canvas of DESIGN.md §3: browser assets and the pure snapshot protocol.

The browser side (``canvas.js``, ``canvas.css``) is plain files in this folder; ``app.py``
registers them with ``st.components.v2.component``. Plotly.js is served from the installed
``plotly`` package (no network). Nothing here imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import plotly

from .protocol import CanvasState, apply_snapshot, build_payload, sanitize_points

ASSET_DIR = Path(__file__).resolve().parent

#: The Plotly.js bundle shipped inside the ``plotly`` Python package.
PLOTLY_JS_NAME = "plotly.min.js"

__all__ = [
    "ASSET_DIR",
    "PLOTLY_JS_NAME",
    "CanvasAssets",
    "CanvasState",
    "apply_snapshot",
    "build_payload",
    "canvas_assets",
    "plotly_js_dir",
    "sanitize_points",
]


@dataclass(frozen=True)
class CanvasAssets:
    """Inline HTML, CSS and JavaScript (ES modules with a default export).

    ``js`` is the 1-D canvas; ``refresh_js`` the invisible panels refresher (``refresh.js``);
    ``figure_js`` one figure of the panels (``figure.js``); ``plane_js`` and ``plane_css``
    the plane's canvas (``plane_canvas.js``, its CSS on top of the 1-D canvas's).
    Both canvases start with ``page.js`` and ``sync.js`` (what they share).
    """

    html: str
    css: str
    js: str
    refresh_js: str
    figure_js: str
    plane_js: str
    plane_css: str


@cache
def canvas_assets() -> CanvasAssets:
    """Read the files of this folder once per process."""
    read = lambda name: (ASSET_DIR / name).read_text(encoding="utf-8")  # noqa: E731
    shared = read("page.js")  # the window.convexviz namespace and the Plotly.js loader
    canvas_kit = shared + read("sync.js")  # what the click canvases share
    return CanvasAssets(
        html=read("canvas.html"),
        css=read("canvas.css"),
        js=canvas_kit + read("canvas.js"),
        refresh_js=read("refresh.js"),
        figure_js=shared + read("figure.js"),
        plane_js=canvas_kit + read("plane_canvas.js"),
        plane_css=read("canvas.css") + read("plane_canvas.css"),
    )


def plotly_js_dir() -> Path:
    """Folder of the installed ``plotly`` package that holds ``plotly.min.js``.

    Raises
    ------
    FileNotFoundError
        If this ``plotly`` installation has no bundled Plotly.js.
    """
    folder = Path(plotly.__file__).resolve().parent / "package_data"
    if not (folder / PLOTLY_JS_NAME).is_file():
        raise FileNotFoundError(f"{PLOTLY_JS_NAME} not found in {folder}; reinstall plotly")
    return folder
