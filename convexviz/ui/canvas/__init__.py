"""The click canvas of DESIGN.md §3: browser assets and the pure snapshot protocol.

The browser side (``canvas.js``, ``canvas.css``) is plain files in this folder; ``app.py``
registers them with ``st.components.v2.component``. Plotly.js is served by the app itself (no
network): :func:`plotly_bundle` picks the partial bundle with only the trace types convexviz
draws when ``npm ci`` has installed it, else the full bundle of the ``plotly`` package. Nothing
here imports Streamlit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import plotly

from .protocol import CanvasState, apply_snapshot, build_payload, sanitize_points

ASSET_DIR = Path(__file__).resolve().parent

#: The Plotly.js bundle shipped inside the ``plotly`` Python package (every trace type).
PLOTLY_JS_NAME = "plotly.min.js"
#: The partial bundle from the npm registry (``package.json``; installed by ``npm ci``) with
#: the trace types convexviz draws (scatter, heatmap, contour, bar among them): 0.5 MB
#: compressed instead of 1.5 MB, and a third of the script for the browser to parse.
PARTIAL_PACKAGE, PARTIAL_NAME = "plotly.js-cartesian-dist-min", "plotly-cartesian.min.js"
#: Trace types the package's figures and canvases use; the partial bundle must hold them all.
TRACE_TYPES = ("scatter", "heatmap", "contour", "bar")
REPO_ROOT = ASSET_DIR.parents[2]

__all__ = [
    "ASSET_DIR",
    "PLOTLY_JS_NAME",
    "CanvasAssets",
    "PlotlyBundle",
    "CanvasState",
    "apply_snapshot",
    "build_payload",
    "canvas_assets",
    "plotly_bundle",
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


@dataclass(frozen=True)
class PlotlyBundle:
    """The Plotly.js file the page loads: ``folder / name``, its version, partial or full."""

    folder: Path
    name: str
    version: str
    partial: bool


def bundle_version(path: Path) -> str:
    """The version in a Plotly.js bundle's banner (``plotly.js v4.1.1``), or ``""``."""
    with path.open("rb") as handle:
        head = handle.read(400).decode("latin-1")
    match = re.search(r"plotly\.js.*?v(\d+\.\d+\.\d+)", head)
    return match.group(1) if match else ""


def bundle_trace_types(path: Path) -> set[str]:
    """The trace types a Plotly.js bundle registers (``moduleType:"trace",name:"heatmap"``)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', text))


@cache
def plotly_bundle(root: Path = REPO_ROOT) -> PlotlyBundle:
    """The partial bundle of ``root/node_modules`` if it is there, of the same version as the
    ``plotly`` package's (whose figures it draws) and registers every type of
    :data:`TRACE_TYPES`; else the full bundle."""
    full_folder = plotly_js_dir()
    version = bundle_version(full_folder / PLOTLY_JS_NAME)
    partial = root / "node_modules" / PARTIAL_PACKAGE / PARTIAL_NAME
    if (
        partial.is_file()
        and bundle_version(partial) == version
        and set(TRACE_TYPES) <= bundle_trace_types(partial)
    ):
        return PlotlyBundle(partial.parent, PARTIAL_NAME, version, partial=True)
    return PlotlyBundle(full_folder, PLOTLY_JS_NAME, version, partial=False)
