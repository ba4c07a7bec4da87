"""convexviz: click 1-D training points, pick a network, watch its globally optimal fit.

Wiring only (DESIGN.md §1): session state and widgets here; the math, the figures, the URL
codec and the canvas protocol live in the ``convexviz`` package, which never imports
Streamlit. The app state is one :class:`convexviz.urlstate.AppState`; the URL mirrors it.
"""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np
import streamlit as st

from convexviz import Architecture, FitResult, appview, fit, plots, urlstate
from convexviz.canvas import canvas_assets, plotly_js_dir, protocol
from convexviz.datasets import PRESETS, parse_csv, random_points
from convexviz.features import fmt

st.set_page_config(page_title="convexviz", page_icon="📈", layout="wide")

# Plotly.js comes from the installed plotly package, served by Streamlit (no network).
_PLOTLY = st.components.v1.declare_component("plotlyjs", path=str(plotly_js_dir()))
_BASE = st.get_option("server.baseUrlPath").strip("/")
PLOTLY_URL = f"{'/' + _BASE if _BASE else ''}/component/{_PLOTLY.name}/plotly.min.js"
_ASSETS = canvas_assets()
_canvas = st.components.v2.component(
    "convexviz_canvas", html=_ASSETS.html, css=_ASSETS.css, js=_ASSETS.js, isolate_styles=False
)
_panels_refresh = st.components.v2.component(
    "convexviz_refresh", js=_ASSETS.refresh_js, isolate_styles=False
)
HISTORY_LIMIT = 100


@st.cache_data(max_entries=256, show_spinner=False)
def cached_fit(
    x: np.ndarray,
    y: np.ndarray,
    act: str,
    depth: int,
    beta: float,
    leak: float,
    branching: tuple[int, ...],
) -> FitResult:
    """The package's ``fit``; numpy arrays hash fast (DESIGN.md §3)."""
    return fit(x, y, Architecture(act, depth, leak, branching), beta)


def current_fit(s: urlstate.AppState) -> tuple[FitResult | None, str]:
    """The fit of the current state, or ``None`` and a sentence saying why not."""
    if problem := appview.architecture_problem(s.activation, s.depth, s.leak):
        return None, problem
    if len({x for x, _ in s.points}) < 2:
        return None, "Add at least two points with different x to fit a network."
    xy = np.array(s.points, dtype=float)
    try:
        return cached_fit(
            xy[:, 0], xy[:, 1], s.activation, s.depth, s.beta, s.leak, s.branching
        ), ""
    except ValueError as err:
        return None, f"No fit: {err}"


# ---------------------------------------------------------------- state (URL on first run)
ss = st.session_state
if "app" not in ss:
    ss.app, ss.notices = urlstate.decode(st.query_params.to_dict())
    ss.gen, ss.seq, ss.history, ss.ranges, ss.data_error = 0, 0, [], None, ""


def set_app(**changes: object) -> None:
    """Callbacks only update state: record the change and clear one-off notices."""
    ss.app, ss.notices = replace(ss.app, **changes), []


def set_points(points: tuple, from_canvas: bool = False, preset: str = "", undo: bool = False):
    if not undo:
        ss.history = (ss.history + [ss.app.points])[-HISTORY_LIMIT:]
    if not from_canvas:  # Python changed the points: the browser drops its local edits
        ss.gen += 1
        points = protocol.sanitize_points(points)
    set_app(points=tuple(points), preset=preset)
    ss.data_error = ""
    if not from_canvas:
        ss.ranges = None


def on_canvas_edit() -> None:
    state = protocol.CanvasState(ss.app.points, ss.gen, ss.seq)
    new = protocol.apply_snapshot(state, ss.canvas.edit)
    if new is not None:
        ss.seq = new.seq
        if new.points != ss.app.points:
            set_points(new.points, from_canvas=True)


def on_preset() -> None:
    if (p := PRESETS.get(ss.w_preset)) is not None:
        set_points(p.points, preset=p.name)
        set_app(activation=p.activation, depth=p.depth, beta=p.beta)
    ss.w_preset = None  # an action, not a setting: the same preset can be loaded again


def on_typed(key: str) -> None:
    points, problems = urlstate.parse_points_param(ss[key].replace(" ", ""))
    if points and not problems:
        set_points(points)
    else:
        ss.data_error = "Points not changed: " + "; ".join(problems or ["no points given"])


def on_csv() -> None:
    if ss.w_csv is None:
        return
    try:
        set_points(parse_csv(ss.w_csv.getvalue().decode("utf-8", errors="replace")))
    except ValueError as err:
        ss.data_error = f"CSV not loaded (points kept): {err}"


def on_undo() -> None:
    if ss.history:
        *ss.history, previous = ss.history
        set_points(previous, undo=True)


# Widgets show the app state (set before they are drawn, so no value= is needed).
for key, value in {
    "w_act": ss.app.activation,
    "w_depth": ss.app.depth,
    "w_beta": ss.app.beta,
    "w_leak": ss.app.leak,
    "w_dict": ss.app.show_dictionary,
}.items():
    ss[key] = value

# ---------------------------------------------------------------- sidebar: network and data
result, problem = current_fit(ss.app)
with st.sidebar:
    st.header("Network")
    st.selectbox(
        "Activation",
        list(appview.ACTIVATION_TITLES),
        key="w_act",
        format_func=appview.ACTIVATION_TITLES.get,
        on_change=lambda: set_app(activation=ss.w_act),
    )
    st.select_slider(
        "Depth L (weight layers)",
        appview.DEPTHS,
        key="w_depth",
        on_change=lambda: set_app(depth=ss.w_depth),
    )
    beta_max = result.beta_max if result else 10.0
    st.select_slider(
        "Regularization β (log scale)",
        appview.beta_options(beta_max, ss.app.beta),
        key="w_beta",
        format_func=appview.format_beta,
        on_change=lambda: set_app(beta=ss.w_beta),
    )
    st.caption(f"β_max = {fmt(beta_max)}: from there on the best network is a constant.")
    if ss.app.activation == "leaky_relu":
        st.slider(
            "Leak (negative slope)",
            0.01,
            0.9,
            step=0.01,
            key="w_leak",
            on_change=lambda: set_app(leak=ss.w_leak),
        )

    st.header("Data")
    st.selectbox(
        "Preset",
        list(PRESETS),
        index=None,
        key="w_preset",
        on_change=on_preset,
        placeholder="Choose a data set…",
        format_func=appview.preset_title,
    )
    c1, c2 = st.columns(2)
    c1.number_input("Points", 2, 60, 12, key="w_n")
    c2.number_input("Seed", 0, 10**6, 0, key="w_seed")
    st.button(
        "Random points",
        use_container_width=True,
        on_click=lambda: set_points(random_points(int(ss.w_n), int(ss.w_seed))),
    )
    c1, c2 = st.columns(2)
    c1.button("Undo", on_click=on_undo, disabled=not ss.history, use_container_width=True)
    c2.button(
        "Reset",
        use_container_width=True,
        on_click=lambda: set_points(urlstate.DEFAULT_STATE.points),
    )
    # A new box whenever the points change: writing into a widget that a canvas-only
    # (fragment) run does not redraw would make the browser send the old text back.
    text = urlstate.format_points(ss.app.points)
    typed_key = f"w_typed_{zlib.crc32(text.encode())}"
    st.text_input(
        "Points as x:y, comma separated",
        text,
        key=typed_key,
        on_change=on_typed,
        args=(typed_key,),
    )
    st.file_uploader(
        "…or a CSV file with columns x,y", type=["csv", "txt"], key="w_csv", on_change=on_csv
    )
    if ss.data_error:
        st.error(ss.data_error)

# ---------------------------------------------------------------- main: canvas and panels
st.title("convexviz: the globally optimal network, live")
st.caption(
    "Click the plot to add a point, click a point to delete it, drag a point to move "
    "it. The fit is the exact optimum of the training problem, not a trained guess."
)
for notice in ss.notices:
    st.warning(f"Link: {notice}")


@st.fragment
def live() -> None:
    """The canvas and the numbers beside it: a canvas edit reruns only this part."""
    s = ss.app
    result, problem = current_fit(s)
    fresh = protocol.fresh_ranges(s.points)
    ss.ranges = protocol.stable_ranges(ss.ranges, s.points, fresh)
    state = protocol.CanvasState(s.points, ss.gen, ss.seq)
    payload = protocol.payload_for_fit(state, ss.ranges, result, "" if result else problem)
    left, right = st.columns([3, 2], gap="large")
    with left:
        _canvas(
            key="canvas", data={**payload, "plotly_url": PLOTLY_URL}, on_edit_change=on_canvas_edit
        )
    sync_url()
    with right:
        show_summary(s, result, problem)


@st.fragment
def panels() -> None:
    """The figures below; after canvas edits they rerun only once the clicking pauses."""
    _panels_refresh(key="panels_refresh", on_refresh_change=on_panels_refresh, height=0)
    result, _ = current_fit(ss.app)
    if result is not None:
        show_panels(ss.app, result)
    sync_url()


def on_panels_refresh() -> None:
    """Nothing to store: the trigger itself reruns the panels with the current points."""


def sync_url() -> None:
    if (params := urlstate.encode(ss.app)) != st.query_params.to_dict():
        st.query_params.from_dict(params)


def show_summary(s: urlstate.AppState, result: FitResult | None, problem: str) -> None:
    st.subheader("The convex problem")
    st.latex(appview.LASSO_LATEX)
    st.caption(
        "A: the dictionary's features at the data; z: one coefficient per feature; "
        "ξ: the output offset. Every nonzero z_i becomes one neuron."
    )
    for note in appview.theory_notes(s.activation, s.depth):
        st.markdown(f"- {note}")
    if (preset := PRESETS.get(s.preset)) is not None:
        st.caption(f"Data set {preset.title}: {preset.description}")
    if result is None:
        st.info(problem)
        return
    lasso, net = result.lasso, result.network
    ms = result.timings_ms.get("total", 0.0)
    st.success(
        f"{len(s.points)} points · {net.n_neurons} neuron{'s' * (net.n_neurons != 1)}"
        f" · {lasso.status} ({lasso.solver}) · solved in {ms:.0f} ms"
    )
    c1, c2 = st.columns(2)
    c1.metric("Lasso optimum", fmt(lasso.objective))
    c2.metric("Rebuilt network objective", fmt(result.network_objective))
    st.caption(appview.certificate_text(result.certificate_gap, lasso.objective))
    st.caption(
        f"Dictionary: {result.dictionary.raw_size:,} candidate features, "
        f"{result.dictionary.size:,} distinct on the data."
    )
    for text in (result.dictionary.note, lasso.message):
        if text:
            st.info(text)


def show_panels(s: urlstate.AppState, result: FitResult) -> None:
    c1, c2 = st.columns(2, gap="large")
    with c1:
        st.subheader("Selected features")
        st.toggle(
            "Show the whole dictionary faintly",
            key="w_dict",
            on_change=lambda: set_app(show_dictionary=ss.w_dict),
        )
        st.plotly_chart(
            plots.create_features_figure(result, show_dictionary=s.show_dictionary), key="features"
        )
        st.caption(appview.FEATURES_TEXT)
    with c2:
        st.subheader("Coefficients z")
        st.plotly_chart(plots.create_coefficients_figure(result), key="coefficients")
        st.caption(appview.COEFFICIENTS_TEXT)
    st.subheader(f"The rebuilt network: {result.network.n_neurons} neurons")
    st.plotly_chart(plots.create_network_figure(result), key="network")
    st.caption(appview.NETWORK_TEXT)
    with st.expander("Weights of every neuron"):
        st.dataframe(appview.neuron_rows(result), hide_index=True, use_container_width=True)


live()
panels()
