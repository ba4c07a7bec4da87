"""Baseline for bench_browser.py: the same canvas and snapshot protocol, no math.

Each click goes through Streamlit exactly as in ``app.py`` (trigger event, callback,
fragment rerun, data back to the component, Plotly redraw), but Python only stores the
points: no fit, no figures. The difference to the app is the cost of convexviz itself.
"""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from convexviz.plot_style import canvas_style  # noqa: E402
from convexviz.ui.canvas import canvas_assets, plotly_js_dir, protocol  # noqa: E402
from convexviz.ui.state import decode  # noqa: E402

_PLOTLY = st.components.v1.declare_component("plotlyjs", path=str(plotly_js_dir()))
_ASSETS = canvas_assets()
_canvas = st.components.v2.component(
    "convexviz_canvas", html=_ASSETS.html, css=_ASSETS.css, js=_ASSETS.js, isolate_styles=False
)

if "state" not in st.session_state:
    st.session_state.state = protocol.CanvasState(decode(st.query_params.to_dict())[0].points)


def on_edit() -> None:
    new = protocol.apply_snapshot(st.session_state.state, st.session_state.canvas.edit)
    if new is not None:
        st.session_state.state = new


@st.fragment
def live() -> None:
    state = st.session_state.state
    payload = protocol.build_payload(state, protocol.fresh_ranges(state.points))
    payload["plotly_url"] = f"/component/{_PLOTLY.name}/plotly.min.js"
    payload["style"] = canvas_style()
    _canvas(key="canvas", data=payload, on_edit_change=on_edit)


live()
