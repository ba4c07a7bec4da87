"""convexviz: click 1-D training points, pick a network, watch its globally optimal fit.

Wiring only (DESIGN.md §1): session state and widgets here; the math, the figures, the URL
codec and the canvas protocol live in the ``convexviz`` package, which never imports
Streamlit. The app state is one :class:`convexviz.ui.state.AppState`; the URL mirrors it.

``streamlit run app.py`` first imports this file as a module and finds ``app``, an
``st.App`` that serves the page plus one route, the canvas's preview
(``convexviz/ui/preview.py``): a click's new fit is drawn without waiting for a rerun.
Streamlit then runs the file as ``__main__`` for every page run, which calls ``main``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from starlette.routing import Route

from convexviz import ACTIVATIONS, Architecture, FitResult, plots, theory
from convexviz.datasets import PRESETS, random_points
from convexviz.features import fmt
from convexviz.limits import DEFAULT_RANDOM_POINTS, LEAK_RANGE, MAX_POINTS
from convexviz.ui import betapath, preview, session, wording
from convexviz.ui.canvas import canvas_assets, payload, plotly_js_dir, protocol
from convexviz.ui.fitmemo import fit_state
from convexviz.ui.state import DEFAULT_STATE, AppState, Points, encode, format_points

ss = st.session_state


@dataclass(frozen=True)
class Components:
    """The page's custom components (canvas, panels refresher, figure), where they load
    Plotly.js from and where the canvas asks for previews."""

    canvas: Callable
    panels_refresh: Callable
    figure: Callable
    plotly_url: str
    preview_url: str


def declare_components() -> Components:
    """Register the components (once per run of the page, as Streamlit asks)."""
    # Plotly.js comes from the installed plotly package, served by Streamlit (no network).
    plotly_js = st.components.v1.declare_component("plotlyjs", path=str(plotly_js_dir()))
    base = st.get_option("server.baseUrlPath").strip("/")
    assets = canvas_assets()
    return Components(
        canvas=st.components.v2.component(
            "convexviz_canvas", html=assets.html, css=assets.css, js=assets.js,
            isolate_styles=False,
        ),
        panels_refresh=st.components.v2.component(
            "convexviz_refresh", js=assets.refresh_js, isolate_styles=False
        ),
        figure=st.components.v2.component(
            "convexviz_figure", js=assets.figure_js, isolate_styles=False
        ),
        plotly_url=f"{'/' + base if base else ''}/component/{plotly_js.name}/plotly.min.js",
        preview_url=preview.route_path(base),
    )  # fmt: skip


def main(components: Components) -> None:
    """One run of the page: state from the URL on the first run, widgets, canvas, panels."""
    st.set_page_config(page_title="convexviz", page_icon="📈", layout="wide")
    session.init(ss, st.query_params.to_dict())
    # Widgets show the app state (set before they are drawn, so no value= is needed).
    for key, field in [("w_act", "activation"), ("w_depth", "depth"), ("w_beta", "beta"),
                       ("w_leak", "leak"), ("w_dict", "show_dictionary")]:  # fmt: skip
        ss[key] = getattr(ss.app, field)
    result, _ = fit_state(ss.app)
    with st.sidebar:
        network_sidebar(result.beta_max if result else 10.0)
        data_sidebar()
    st.title("convexviz: the globally optimal network, live")
    st.caption(wording.INTRO_TEXT)
    for notice in ss.notices:
        st.warning(f"Link: {notice}")
    live(components)
    panels(components)


# ---------------------------------------------------------------- sidebar: network and data
def set_app(**changes: object) -> None:
    session.set_app(ss, **changes)


def network_sidebar(beta_max: float) -> None:
    """Activation, depth, beta (log slider up to ``beta_max``) and the leaky ReLU's slope."""
    st.header("Network")
    st.selectbox(
        "Activation",
        list(ACTIVATIONS),
        key="w_act",
        format_func=activation_title,
        on_change=lambda: set_app(activation=ss.w_act),
    )
    st.select_slider(
        "Depth L (weight layers)",
        wording.DEPTHS,
        key="w_depth",
        on_change=lambda: set_app(depth=ss.w_depth),
    )
    st.select_slider(
        "Regularization β (log scale)",
        wording.beta_options(beta_max, ss.app.beta),
        key="w_beta",
        format_func=wording.format_beta,
        on_change=lambda: set_app(beta=ss.w_beta),
    )
    st.caption(f"β_max = {fmt(beta_max)}: from there on the best network is a constant.")
    if ss.app.activation == "leaky_relu":
        st.slider(
            "Leak (negative slope)",
            *LEAK_RANGE,
            step=0.01,
            key="w_leak",
            on_change=lambda: set_app(leak=ss.w_leak),
        )


def data_sidebar() -> None:
    """Presets, random points, undo / reset and a CSV file (typing is under the canvas)."""
    st.header("Data")
    st.selectbox(
        "Preset",
        list(PRESETS),
        index=None,
        key="w_preset",
        on_change=on_preset,
        placeholder="Choose a data set…",
        format_func=wording.preset_title,
    )
    c1, c2 = st.columns(2)
    c1.number_input("Points", 2, MAX_POINTS, DEFAULT_RANDOM_POINTS, key="w_n")
    c2.number_input("Seed", 0, 10**6, 0, key="w_seed")
    st.button("Random points", width="stretch", on_click=on_random)
    c1, c2 = st.columns(2)
    c1.button("Undo", on_click=session.undo, args=(ss,), disabled=not ss.history, width="stretch")
    reset = DEFAULT_STATE.points
    c2.button("Reset", width="stretch", on_click=session.set_points, args=(ss, reset))
    st.file_uploader(
        "…or a CSV file with columns x,y", type=["csv", "txt"], key="w_csv", on_change=on_csv
    )


def activation_title(name: str) -> str:
    return ACTIVATIONS[name].title


def on_preset() -> None:
    session.load_preset(ss, ss.w_preset)
    ss.w_preset = None  # an action, not a setting: the same preset can be loaded again


def on_random() -> None:
    session.set_points(ss, random_points(int(ss.w_n), int(ss.w_seed)))


def on_csv() -> None:
    if ss.w_csv is not None:
        session.load_csv(ss, ss.w_csv.getvalue())


# ---------------------------------------------------------------- main: canvas and panels
@st.fragment
def live(components: Components) -> None:
    """The canvas and the numbers beside it: a canvas edit reruns only this part."""
    s = ss.app
    ss.ranges = protocol.stable_ranges(ss.ranges, s.points, protocol.fresh_ranges(s.points))
    state = protocol.CanvasState(s.points, ss.gen, ss.seq)
    data, result, problem = payload.canvas_payload(s, state, ss.ranges, url=components.preview_url)
    left, right = st.columns([3, 2], gap="large")
    with left:
        components.canvas(
            key="canvas",
            data={**data, "plotly_url": components.plotly_url},
            on_edit_change=lambda: session.apply_canvas_edit(ss, ss.canvas.edit),
        )
        typed_points(s.points)
    sync_url()
    with right:
        show_summary(s, result, problem)


@st.fragment
def panels(components: Components) -> None:
    """The figures below; after canvas edits they rerun only once the clicking pauses."""
    components.panels_refresh(key="panels_refresh", on_refresh_change=on_panels_refresh, height=0)
    result, _ = fit_state(ss.app)
    if result is not None:
        show_panels(components, ss.app, result)
    sync_url()


def typed_points(points: Points) -> None:
    """The points as text, to read or type; a new box whenever the points change, so that a
    canvas edit (which reruns only this fragment) never leaves old text in the box."""
    text = format_points(points)
    key = f"w_typed_{zlib.crc32(text.encode())}"
    st.text_input(
        "Points as x:y, comma separated (edit and press Enter)",
        text,
        key=key,
        on_change=lambda: session.type_points(ss, ss[key], drawn_from=points),
    )
    if ss.data_error:
        st.error(ss.data_error)


def on_panels_refresh() -> None:
    """Nothing to store: the trigger itself reruns the panels with the current points."""


def sync_url() -> None:
    if (params := encode(ss.app)) != st.query_params.to_dict():
        st.query_params.from_dict(params)


def show_summary(s: AppState, result: FitResult | None, problem: str) -> None:
    st.subheader("The convex problem")
    st.latex(wording.LASSO_LATEX)
    st.caption(wording.SYMBOLS_TEXT)
    for note in theory.notes(s.activation, s.depth):
        st.markdown(f"- {note}")
    if (preset := PRESETS.get(s.preset)) is not None:
        st.caption(f"Data set {preset.title}: {preset.description}")
    if result is None:
        st.info(problem)
        return
    lasso = result.lasso
    line = wording.status_line(result, len(s.points))
    (st.success if wording.is_certified(result) else st.warning)(line)
    st.markdown(wording.objectives_table(result))
    st.caption(wording.certificate_text(result.certificate_gap, lasso.objective))
    st.caption(wording.dictionary_text(result.dictionary))
    if note := wording.solver_note(lasso):
        st.info(note)


def show_panels(components: Components, s: AppState, result: FitResult) -> None:
    follow_path_click()

    def figure(key: str, fig: object) -> None:  # drawn one at a time (figure.js)
        data = {"figure": plots.figure_json(fig), "plotly_url": components.plotly_url}
        components.figure(key=key, data=data)

    c1, c2 = st.columns(2, gap="large")
    with c1:
        st.subheader("Selected features")
        st.toggle(
            "Show the whole dictionary faintly",
            key="w_dict",
            on_change=lambda: set_app(show_dictionary=ss.w_dict),
        )
        figure("features", plots.create_features_figure(result, show_dictionary=s.show_dictionary))
        st.caption(wording.FEATURES_TEXT)
    with c2:
        st.subheader("Coefficients z")
        figure("coefficients", plots.create_coefficients_figure(result))
        st.caption(wording.COEFFICIENTS_TEXT)
    n = result.network.n_neurons
    st.subheader(f"The rebuilt network: {n} neuron{'s' * (n != 1)}")
    figure("network", plots.create_network_figure(result))
    st.caption(wording.NETWORK_TEXT)
    with st.expander("Weights of every neuron"):
        st.dataframe(wording.neuron_rows(result), hide_index=True, width="stretch")
    path_panel(components, s, result)


# ---------------------------------------------------------------- regularization path panel
PATH_FIGURE = "path_figure"  # the figure component's key (its clicks: ss.path_figure.click)


def path_panel(components: Components, s: AppState, result: FitResult) -> None:
    """The exact path z(beta) from beta_max down, the current beta marked; a click sets beta.

    The path depends only on the points and the architecture (memoized, ~20-40 ms once).
    """
    with st.container(key="beta_path"):
        st.subheader(betapath.PATH_TITLE)
        if (size := result.dictionary.size) > betapath.MAX_PATH_FEATURES:
            st.info(betapath.too_large_text(size))
            return
        arch = Architecture(s.activation, s.depth, s.leak, s.branching)
        try:
            drawn = betapath.SHARED.path(s.points, arch, result.dictionary, down_to=s.beta)
        except ValueError as err:
            st.warning(betapath.path_failed_text(str(err)))
            return
        path = drawn.path
        if path.beta_max <= 0:
            st.info(betapath.CONSTANT_TEXT)
            return
        ss.path_range = (float(path.betas[-1]), float(path.beta_max))
        figure = betapath.path_figure_json(path, result.dictionary, s.beta)
        data = {"figure": figure, "plotly_url": components.plotly_url, "click": True}
        components.figure(key=PATH_FIGURE, data=data, on_click_change=on_path_click)
        st.caption(betapath.PATH_TEXT)
        if path.ever_active.size > betapath.LEGEND_MAX:
            st.caption(betapath.MANY_FEATURES_TEXT)
        if drawn.stopped is not None:
            st.warning(betapath.stopped_text(drawn.stopped, drawn.reason))
        if note := betapath.count_note(path, s.beta, result.network.n_neurons):
            st.caption(note)
        if s.beta < path.betas[-1] and drawn.stopped is None:
            st.caption(betapath.below_path_text(s.beta, float(path.betas[-1])))


def on_path_click() -> None:
    """A click on the path: beta there (the slider, the URL, the canvas follow on a full rerun)."""
    report = ss[PATH_FIGURE].click
    if betapath.apply_click(ss, report):
        ss.path_rerun = True


def follow_path_click() -> None:
    """The click came in a panels-fragment rerun: rerun the whole page for the new beta."""
    if ss.pop("path_rerun", False):
        st.rerun()


# ---------------------------------------------------------------- entry points
if __name__ == "__main__":  # Streamlit runs the page as __main__, once per rerun
    main(declare_components())
else:  # `streamlit run app.py` imports this file once to build the server (st.App)
    path = preview.route_path(st.get_option("server.baseUrlPath"))  # config is loaded here
    route = Route(path, preview.endpoint, methods=["GET", "POST"])
    app = st.App(__file__, routes=[route])
