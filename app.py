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

import concurrent.futures
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Route

from convexviz import (
    ACTIVATIONS,
    Architecture,
    FitResult,
    export,
    plane_figure,
    plots,
    theory,
    training,
)
from convexviz.datasets import PRESETS, random_points
from convexviz.datasets2d import PLANE_PRESETS
from convexviz.features import fmt
from convexviz.limits import DEFAULT_RANDOM_POINTS, LEAK_RANGE, MAX_PLANE_POINTS, MAX_POINTS
from convexviz.optimal_figure import create_alternatives_figure
from convexviz.plane import PlaneFit
from convexviz.ui import (
    betapath,
    plane_memo,
    plane_preview,
    plane_session,
    plane_training_panel,
    plane_wording,
    preview,
    session,
    teach,
    training_panel,
    training_run,
    wording,
)
from convexviz.ui.canvas import canvas_assets, payload, plane_payload, plotly_bundle, protocol
from convexviz.ui.fitmemo import fit_state
from convexviz.ui.plane_state import PlaneState, encode_plane, format_plane_points
from convexviz.ui.serving import CompressedStatic, plotly_prefix, static_prefix
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
    # Plotly.js is served by this server (no network): the partial bundle if npm installed it.
    bundle = plotly_bundle()
    plotly_js = st.components.v1.declare_component("plotlyjs", path=str(bundle.folder))
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
        plotly_url=f"{'/' + base if base else ''}/component/{plotly_js.name}/{bundle.name}",
        preview_url=preview.route_path(base),
    )  # fmt: skip


def line_page(components: Components) -> None:
    """One run of the 1-D page: state from the URL on the first run, widgets, canvas, panels."""
    session.init(ss, st.query_params.to_dict())
    # Widgets show the app state (set before they are drawn, so no value= is needed).
    for key, field in [("w_act", "activation"), ("w_depth", "depth"), ("w_beta", "beta"),
                       ("w_leak", "leak"), ("w_dict", "show_dictionary")]:  # fmt: skip
        ss[key] = getattr(ss.app, field)
    result, _ = fit_state(ss.app)
    st.title("convexviz: the globally optimal network, live")
    st.caption(wording.INTRO_TEXT)
    for notice in ss.notices:
        st.warning(f"Link: {notice}")
    live(components)
    # The sidebar after the canvas: the same place on screen, but the browser fetches the
    # canvas's code (and then Plotly.js) before the widgets' (a faster first fit on screen).
    with st.sidebar:
        network_sidebar(result.beta_max if result else 10.0)
        data_sidebar()
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
        draw_figure(components, key, fig, result)

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
    every_optimum(components, result)
    path_panel(components, s, result)
    adam_panel(components, s, result)
    closed_forms_and_code(result)


# ---- teaching panels: optima, closed forms, code
def draw_figure(components: Components, key: str, fig: object, result: FitResult) -> None:
    """One panel figure through the figure component; its modebar's camera button saves
    it as a PNG named after the fit and the figure (``export.file_name``)."""
    data = {
        "figure": plots.figure_json(fig),
        "plotly_url": components.plotly_url,
        "png_name": export.file_name(result, "png", key).removesuffix(".png"),
    }
    components.figure(key=key, data=data)


def closed_forms_and_code(result: FitResult) -> None:
    """The closed forms beside the problem as code."""
    c1, c2 = st.columns(2, gap="large")
    with c1:
        closed_forms_panel(result)
    with c2:
        code_panel(result)


def every_optimum(components: Components, result: FitResult) -> None:
    """Whether the optimum is unique and, if not, a step through the optimal networks.

    The search runs off the page (teach.optima_job), by itself for small dictionaries and
    when asked for large ones; while it runs, a polling fragment shows it is searching."""
    job = start_search(result)
    (optima_section if job is None or job.done() else optima_polling)(components, result)


#: How long a page run waits for the search before showing that it is searching.
OPTIMA_WAIT_S = 0.5


def start_search(result: FitResult, wait: bool = True) -> concurrent.futures.Future | None:
    """The search for every optimal network: started if small or asked for, else ``None``;
    if ``wait``, waited for a moment (small cases are done by then: no flicker)."""
    asked = ss.get("optima_asked") == teach.fit_key(result)
    job = teach.optima_job(result, start=asked or teach.starts_by_itself(result))
    if job is not None and wait:
        concurrent.futures.wait([job], timeout=OPTIMA_WAIT_S)
    return job


def optima_body(components: Components, result: FitResult, polling: bool = False) -> None:
    st.subheader("Every optimal network")
    job = start_search(result, wait=not polling)  # the ask button reruns only this fragment
    if job is None:
        st.caption(wording.optima_ask_text(result.dictionary.size))
        st.button(
            "Look for every optimal network",
            key="w_optima_ask",
            on_click=lambda: ss.update(optima_asked=teach.fit_key(result)),
        )
        return
    if not job.done():
        if not polling:  # just asked: the page draws the polling section instead
            st.rerun(scope="app")
        st.info(wording.OPTIMA_SEARCHING_TEXT, icon=":material/hourglass_top:")
        return
    try:
        found = job.result()
    except ValueError as err:  # an LP or QP refused these data: say so, keep the page
        st.warning(f"Could not look for other optimal networks: {err}")
        return
    if found.unique:
        st.caption(wording.unique_text(found.reason))
        return
    st.markdown(found.reason)
    names = found.names
    if ss.get("w_optimum") not in names:  # new data: keep the choice if it still exists
        ss.w_optimum = teach.choose(names, ss.get("optimum"))
    st.segmented_control(
        "Step through the optimal networks",
        names,
        key="w_optimum",
        required=True,
        on_change=lambda: ss.update(optimum=ss.w_optimum),
    )
    index, chosen = found.named(ss.w_optimum)
    fig = create_alternatives_figure(result, found.alternatives, selected=index)
    draw_figure(components, "alternatives", fig, result)
    st.caption(wording.OPTIMA_TEXT)
    st.markdown(teach.alternative_caption(result, chosen))
    st.dataframe(teach.alternative_rows(chosen), hide_index=True, width="stretch")


# Stepping reruns only the section; while the search runs, the section looks again every
# OPTIMA_POLL_S and, once it is done, reruns as a plain fragment (no more polling).
OPTIMA_POLL_S = 0.5
optima_section = st.fragment(optima_body)


@st.fragment(run_every=OPTIMA_POLL_S)
def optima_polling(components: Components, result: FitResult) -> None:
    job = teach.optima_job(result, start=False)
    if job is not None and job.done():
        st.rerun(scope="app")  # the panels now draw the plain section
    optima_body(components, result, polling=True)


def closed_forms_panel(result: FitResult) -> None:
    """The closed forms of THEORY.md §7 beside the solver's numbers, with their labels."""
    st.subheader("Closed forms")
    st.caption(wording.CLOSED_FORMS_TEXT)
    lines = teach.closed_form_lines(result)
    for line in lines:
        st.markdown(f"- {line}")
    if len(lines) < 2:
        st.caption(wording.CLOSED_FORMS_NONE_TEXT)


def code_panel(result: FitResult) -> None:
    """Downloads (made when clicked) and the cvxpy script (made when the expander opens)."""
    st.subheader("The problem as code")
    st.caption(wording.CODE_TEXT)
    for spec in teach.downloads(result):
        st.download_button(
            spec.label, spec.content, file_name=spec.file_name, mime=spec.mime,
            key=spec.key, on_click="ignore", icon=":material/download:",
        )  # fmt: skip
    code = st.expander("Show the cvxpy script", key="w_script", on_change="rerun")
    if code.open:
        text, cut = teach.shown_script(teach.script(result))
        if cut:
            code.caption("A long script: the first part is shown, the download has it all.")
        code.code(text, language="python")
    st.caption(wording.PNG_TEXT)


# ---------------------------------------------------------------- gradient descent panel
#: Seconds between two looks at a background training run (only while one is active).
ADAM_POLL_S = 0.5


def adam_panel(components: Components, s: AppState, result: FitResult) -> None:
    """Adam on the same network from random starts, beside the certified optimum."""
    with st.container(key="adam"):
        st.subheader("Gradient descent beside the certified optimum")
        st.caption(training_panel.INTRO_TEXT)
        if reason := training_panel.unsupported_reason(s.activation, s.depth):
            st.info(reason)
            return
        default = training_panel.suggested_width(result)
        width_key = f"adam_width_{default}"  # a new default (new data) resets the input
        c1, c2, c3 = st.columns(3)
        c1.number_input(
            "Units m (parallel chains)",
            *training.WIDTH_RANGE,
            default,
            key=width_key,
            help=f"Default {default} = max(N + 1, 2 × the optimum's neurons). "
            "Lower it to watch runs get stuck.",
        )
        c2.number_input(
            "Random starts",
            1,
            training_panel.MAX_STARTS,
            training_panel.DEFAULT_STARTS,
            key="adam_starts",
        )
        c3.number_input("Seed", 0, 10**6, 0, key="adam_seed", help="Same seed, same runs.")
        adam = ss.get("adam")
        run = adam_run(adam)
        active = run is not None and run.active
        b1, b2 = st.columns(2)
        b1.button(
            "Train with Adam",
            key="adam_train",
            type="primary",
            width="stretch",
            on_click=on_adam_train,
            args=(width_key,),
        )
        b2.button(
            "Stop", key="adam_stop", width="stretch", disabled=not active, on_click=on_adam_stop
        )
        if ss.get("adam_error"):
            st.warning(ss.adam_error)
        if run is None:
            return
        if reason := training_panel.stale_reason(run.request, ss.app):
            run.cancel(reason)
            ss.adam = None
            st.caption(f"The last run no longer applies ({reason}): press Train again.")
            return
        if run.active:
            adam_live(components)
        else:
            show_adam_run(components, adam)


def on_adam_train(width_key: str) -> None:
    """Start K runs in the background (the panel polls them); say why if it cannot."""
    ss.adam_error = ""
    result, _ = fit_state(ss.app)
    if result is None:
        return
    request = training_panel.make_request(
        ss.app, ss.ranges, int(ss[width_key]), int(ss.adam_seed), int(ss.adam_starts)
    )
    owner = ss.setdefault("adam_owner", uuid.uuid4().hex)
    try:
        training_run.SHARED.start(owner, request)
    except (training_run.BusyError, ValueError) as err:
        ss.adam_error = str(err)
        return
    ss.adam = {  # plain values only (session state must pickle): the run stays in SHARED
        "owner": owner,
        "optimum": result.lasso.objective,
        "certificate_gap": result.certificate_gap,
        "settings": payload.settings_params(ss.app),
    }


def adam_run(adam: dict | None) -> training_run.TrainingRun | None:
    """The session's latest training run of a panel (its ``ss.adam`` or ``ss.plane_adam``),
    kept by the server's run manager."""
    return None if adam is None else training_run.SHARED.latest(adam["owner"])


def on_adam_stop(key: str = "adam") -> None:
    """Stop the run of the panel whose session entry is ``key``."""
    if (run := adam_run(ss.get(key))) is not None:
        run.stop()
        run.join(5.0)  # ends after its current chunk of steps (milliseconds)


@st.fragment(run_every=ADAM_POLL_S)
def adam_live(components: Components) -> None:
    """The run while it trains: redrawn every ADAM_POLL_S seconds (only while active)."""
    adam = ss.get("adam")
    run = adam_run(adam)
    if run is None:
        return
    if run.active and (reason := training_panel.stale_reason(run.request, ss.app)):
        run.cancel(reason)
        run.join(5.0)
    show_adam_run(components, adam)
    if not run.active:
        st.rerun(scope="app")  # the run ended: a full run of the page stops the polling


def run_progress(
    components: Components,
    run: training_run.TrainingRun,
    optimum: float,
    loss: object | None,
    loss_key: str,
    caption: str,
    words: training_panel.RunWords = training_panel.RUN_WORDS,
) -> bool:
    """A training run's state (progress, failure, cancel, stop) and its loss figure; True when
    the run has ended with results to show below (both pages' gradient-descent panels)."""
    snapshot = run.latest()
    elapsed = (run.finished or time.monotonic()) - run.started
    if run.active:
        st.markdown(training_panel.progress_text(snapshot, elapsed, optimum, words))
    elif run.status == training_run.FAILED:
        st.error(f"Training failed: {run.error}")
        return False
    elif run.status == training_run.CANCELLED:
        st.caption(f"Training cancelled: {run.reason}.")
    elif run.status == training_run.STOPPED:
        st.caption(f"Stopped at step {snapshot.step:,} of {snapshot.setup.steps:,}.")
    if snapshot is None or loss is None:
        return False
    figure_data = {"figure": plots.figure_json(loss), "plotly_url": components.plotly_url}
    components.figure(key=loss_key, data=figure_data)
    st.caption(caption)
    return not run.active


def show_adam_run(components: Components, adam: dict) -> None:
    """Progress or results of a run: loss figure, trained curves on the canvas, gaps."""
    run = adam_run(adam)
    snapshot = run.latest()
    optimum = adam["optimum"]
    curves = training_panel.canvas_curves(snapshot, run.request, adam["settings"])
    trained = st.components.v2.component(
        "convexviz_trained", js=training_panel.trained_js(), isolate_styles=False
    )
    trained(key="adam_trained", data={"trained": curves}, height=0)
    loss = training_panel.loss_figure(snapshot, optimum) if snapshot is not None else None
    caption = training_panel.LOSS_CAPTION + " " + training_panel.CANVAS_CAPTION
    if not run_progress(components, run, optimum, loss, "adam_loss", caption):
        return
    st.dataframe(training_panel.gap_rows(snapshot, optimum), hide_index=True, width="stretch")
    said = training_panel.verdict(snapshot, optimum, adam["certificate_gap"])
    {"success": st.success, "info": st.info, "error": st.error}[said.kind](said.text)


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


# ---------------------------------------------------------------- plane: gradient descent
#: Seconds between two looks at a background training run on the plane (only while active).
PLANE_ADAM_POLL_S = 0.5


def plane_adam_panel(components: Components, points: object, beta: float, fit: PlaneFit) -> None:
    """Adam on the plane's two-layer network from random starts, beside the certified optimum.

    ``points``: array (N, 3) of ``(x1, x2, y)``; ``beta``; ``fit``: the page's ``PlaneFit``.
    """
    with st.container(key="plane_adam"):
        st.subheader("Gradient descent beside the certified optimum")
        st.caption(plane_training_panel.INTRO_TEXT)
        default = plane_training_panel.default_width(fit)
        width_key = f"plane_adam_width_{default}"  # a new optimum width resets the input
        c1, c2, c3 = st.columns(3)
        c1.number_input(
            "Neurons m",
            *training.WIDTH_RANGE,
            default,
            key=width_key,
            help=plane_training_panel.WIDTH_HELP,
        )
        c2.number_input(
            "Random starts",
            1,
            plane_training_panel.MAX_STARTS,
            plane_training_panel.DEFAULT_STARTS,
            key="plane_adam_starts",
        )
        c3.number_input("Seed", 0, 10**6, 0, key="plane_adam_seed", help="Same seed, same runs.")
        run = adam_run(ss.get("plane_adam"))
        b1, b2 = st.columns(2)
        optimum = (fit.objective, fit.duality_gap)
        b1.button(
            "Train with Adam",
            key="plane_adam_train",
            type="primary",
            width="stretch",
            on_click=on_plane_adam_train,
            args=(plane_training_panel.as_points(points), float(beta), width_key, optimum),
        )
        b2.button(
            "Stop", key="plane_adam_stop", width="stretch",
            disabled=run is None or not run.active, on_click=on_adam_stop, args=("plane_adam",),
        )  # fmt: skip
        if ss.get("plane_adam_error"):
            st.warning(ss.plane_adam_error)
        if run is None:
            return
        if reason := plane_training_panel.stale_reason(run.request, points, beta):
            run.cancel(reason)
            ss.plane_adam = None
            st.caption(f"The last run no longer applies ({reason}): press Train again.")
            return
        if run.active:
            plane_adam_live(components)
        else:
            show_plane_adam_run(components, ss.plane_adam)


def on_plane_adam_train(
    points: tuple, beta: float, width_key: str, optimum: tuple[float, float]
) -> None:
    """Start K runs in the background (the panel polls them); say why if it cannot."""
    ss.plane_adam_error = ""
    request = plane_training_panel.make_request(
        points, beta, int(ss[width_key]), int(ss.plane_adam_seed), int(ss.plane_adam_starts)
    )
    owner = ss.setdefault("plane_adam_owner", uuid.uuid4().hex)
    try:
        training_run.SHARED.start(owner, request)
    except (training_run.BusyError, ValueError) as err:
        ss.plane_adam_error = str(err)
        return
    # Plain values only (session state must pickle): the run stays in SHARED.
    ss.plane_adam = {"owner": owner, "optimum": optimum[0], "certificate_gap": optimum[1]}


def plane_inputs() -> tuple[object, float]:
    """The plane page's current points (``(x1, x2, y)`` tuples) and beta, for a poll between
    page runs (a run whose data changed is cancelled)."""
    state = plane_session_state()["state"]
    return state.points, float(state.beta)


@st.fragment(run_every=PLANE_ADAM_POLL_S)
def plane_adam_live(components: Components) -> None:
    """The run while it trains: redrawn every PLANE_ADAM_POLL_S seconds (only while active)."""
    adam = ss.get("plane_adam")
    run = adam_run(adam)
    if run is None:
        return
    if run.active and (reason := plane_training_panel.stale_reason(run.request, *plane_inputs())):
        run.cancel(reason)
        run.join(5.0)
    show_plane_adam_run(components, adam)
    if not run.active:
        st.rerun(scope="app")  # the run ended: a full run of the page stops the polling


def show_plane_adam_run(components: Components, adam: dict) -> None:
    """Progress or results of a run: loss figure, best start's gap and network, table."""
    run = adam_run(adam)
    snapshot = run.latest()
    optimum = adam["optimum"]
    loss = plane_training_panel.loss_figure(snapshot, optimum) if snapshot is not None else None
    caption = plane_training_panel.LOSS_CAPTION
    words = plane_training_panel.WORDS
    if not run_progress(components, run, optimum, loss, "plane_adam_loss", caption, words):
        return
    words = plane_training_panel.WORDS
    said = training_panel.verdict(snapshot, optimum, adam["certificate_gap"], words)
    {"success": st.success, "info": st.info, "error": st.error}[said.kind](said.text)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{plane_training_panel.surface_title(snapshot)}**")
        best = snapshot.best_networks[snapshot.best_run]
        picture = plane_training_panel.trained_picture(best, run.request.points, run.request.beta)
        surface = plane_training_panel.surface_figure(picture)
        data = {"figure": plots.figure_json(surface), "plotly_url": components.plotly_url}
        components.figure(key="plane_adam_surface", data=data)
        st.caption(plane_training_panel.SURFACE_CAPTION)
        st.markdown(plane_training_panel.certificate_text(picture))
    rows = training_panel.gap_rows(snapshot, optimum, words)
    right.dataframe(rows, hide_index=True, width="stretch")


# ---------------------------------------------------------------- the plane page
@dataclass(frozen=True)
class PlaneComponents:
    """The plane page's click canvas and where it asks for previews."""

    canvas: Callable
    plotly_url: str
    preview_url: str


def declare_plane_components(components: Components) -> PlaneComponents:
    """Register the plane canvas (once per run of the plane page)."""
    assets = canvas_assets()
    canvas = st.components.v2.component(
        "convexviz_plane_canvas", html=assets.html, css=assets.plane_css, js=assets.plane_js,
        isolate_styles=False,
    )  # fmt: skip
    base = st.get_option("server.baseUrlPath")
    return PlaneComponents(canvas, components.plotly_url, plane_preview.plane_route_path(base))


def plane_session_state() -> dict:
    """The plane page's own session mapping (``plane_session``: never a 1-D page key)."""
    return ss.setdefault("plane_session", {})


def plane_page(components: Components) -> None:
    """One run of the plane page (THEORY_2D.md): two-layer ReLU networks on points in the plane."""
    ps = plane_session_state()
    plane_session.init(ps, st.query_params.to_dict())
    plane = declare_plane_components(components)
    state = ps["state"]
    ss.w_plane_beta = state.beta  # widgets show the state (set before they are drawn)
    with st.sidebar:
        plane_network_sidebar(ps)
        plane_data_sidebar(ps)
    st.title(plane_wording.TITLE)
    st.caption(plane_wording.INTRO_TEXT)
    for notice in ps["notices"]:
        st.warning(f"Link: {notice}")
    plane_live(plane)
    plane_gradient_descent_spot(components, ps["state"])


def plane_gradient_descent_spot(components: Components, state: PlaneState) -> None:
    """Gradient descent beside the certified optimum (issue 9 item 5), below the canvas and
    the numbers, once there is a fit (a memo hit: the canvas's fragment just made it)."""
    fit, _ = plane_memo.plane_fit_state(state)
    if fit is not None:
        plane_adam_panel(components, state.points, state.beta, fit)


def plane_network_sidebar(ps: dict) -> None:
    """Beta (log slider up to the plane's beta_max) and what a click adds."""
    st.header("Network")
    beta_max = plane_memo.plane_beta_max(ps["state"].points) if ps["state"].points else 1.0
    st.select_slider(
        "Regularization β (log scale)",
        wording.beta_options(beta_max or 1.0, ps["state"].beta),
        key="w_plane_beta",
        format_func=wording.format_beta,
        on_change=lambda: plane_session.set_state(ps, beta=ss.w_plane_beta),
    )
    st.caption(f"β_max = {fmt(beta_max)}: from there on the best network is a constant.")
    st.header("A click adds")
    label = ps["state"].label
    kinds = ["class +1", "class −1", "a value"]
    kind = {1.0: kinds[0], -1.0: kinds[1]}.get(label, kinds[2])
    ss.w_plane_kind = kind
    st.segmented_control(
        "A click on empty space adds a point of", kinds, key="w_plane_kind", required=True,
        on_change=on_plane_kind, args=(ps,),
    )  # fmt: skip
    if kind == kinds[2]:
        ss.w_plane_value = label
        st.number_input(
            "Value y of new points", -1e6, 1e6, key="w_plane_value", step=0.1,
            on_change=lambda: plane_session.set_label(ps, ss.w_plane_value),
        )  # fmt: skip


def on_plane_kind(ps: dict) -> None:
    label = {"class +1": 1.0, "class −1": -1.0}.get(ss.w_plane_kind, PLANE_VALUE_LABEL)
    plane_session.set_label(ps, label)


#: The value a click adds when the student switches to values (regression).
PLANE_VALUE_LABEL = 0.5


def plane_data_sidebar(ps: dict) -> None:
    """Presets, random points, undo / reset and a CSV file (typing is under the canvas)."""
    st.header("Data")
    st.selectbox(
        "Preset",
        list(PLANE_PRESETS),
        index=None,
        key="w_plane_preset",
        on_change=on_plane_preset,
        args=(ps,),
        placeholder="Choose a data set…",
        format_func=lambda name: PLANE_PRESETS[name].title,
    )
    c1, c2 = st.columns(2)
    c1.number_input("Points", 1, MAX_PLANE_POINTS, PLANE_RANDOM_POINTS, key="w_plane_n")
    c2.number_input("Seed", 0, 10**6, 0, key="w_plane_seed")
    st.button(
        "Random points", key="w_plane_random", width="stretch",
        on_click=lambda: plane_session.load_random(ps, ss.w_plane_n, ss.w_plane_seed),
    )  # fmt: skip
    c1, c2 = st.columns(2)
    c1.button(
        "Undo", key="w_plane_undo", on_click=plane_session.undo, args=(ps,),
        disabled=not ps["history"], width="stretch",
    )  # fmt: skip
    c2.button(
        "Reset", key="w_plane_reset", on_click=plane_session.reset, args=(ps,), width="stretch"
    )
    st.file_uploader(
        "…or a CSV file with columns x1,x2,y", type=["csv", "txt"], key="w_plane_csv",
        on_change=on_plane_csv, args=(ps,),
    )  # fmt: skip


#: How many random points the plane page draws unless told otherwise.
PLANE_RANDOM_POINTS = 20


def on_plane_preset(ps: dict) -> None:
    plane_session.load_preset(ps, ss.w_plane_preset)
    ss.w_plane_preset = None  # an action, not a setting: the same preset can be loaded again


def on_plane_csv(ps: dict) -> None:
    if ss.w_plane_csv is not None:
        plane_session.load_csv(ps, ss.w_plane_csv.getvalue())


#: Width of the plane canvas's column: the figure's square plot area and its fixed margins.
PLANE_CANVAS_WIDTH_PX = (
    plane_figure.PLOT_HEIGHT_PX + plane_figure.PLOT_MARGIN["l"] + plane_figure.PLOT_MARGIN["r"]
)


@st.fragment
def plane_live(plane: PlaneComponents) -> None:
    """The plane canvas and the numbers beside it: a canvas edit reruns only this part."""
    ps = plane_session_state()
    s = ps["state"]
    ps["ranges"] = plane_payload.plane_ranges(ps["ranges"], s.points)
    canvas_state = protocol.CanvasState(s.points, ps["gen"], ps["seq"])
    data, fit, problem = plane_payload.plane_canvas_payload(
        s, canvas_state, ps["ranges"], url=plane.preview_url, after=ps["fitted"]
    )
    if fit is not None:
        ps["fitted"] = s.points  # the next fit starts from this one's working lines
    # The canvas keeps the width its square plot area needs; the numbers take the rest of
    # the row, or wrap below the canvas when the window is too narrow for both.
    row = st.container(horizontal=True, gap="large")
    left = row.container(width=PLANE_CANVAS_WIDTH_PX)
    right = row.container(width="stretch")
    with left:
        plane.canvas(
            key="plane_canvas",
            data={**data, "plotly_url": plane.plotly_url},
            on_edit_change=lambda: plane_session.apply_canvas_edit(ps, ss.plane_canvas.edit),
        )
        st.caption(plane_wording.FIGURE_TEXT)
        typed_plane_points(ps)
    sync_plane_url(s)
    with right:
        show_plane_summary(s, fit, problem)
    st.subheader("The convex program")
    st.latex(plane_wording.PROGRAM_LATEX)
    st.caption(plane_wording.SYMBOLS_TEXT)


def typed_plane_points(ps: dict) -> None:
    """The points as text, to read or type (a new box whenever the points change)."""
    points = ps["state"].points
    text = format_plane_points(points)
    key = f"w_plane_typed_{zlib.crc32(text.encode())}"
    st.text_input(
        "Points as x1:x2:y, comma separated (edit and press Enter)",
        text,
        key=key,
        on_change=lambda: plane_session.type_points(ps, ss[key], drawn_from=points),
    )
    if ps["data_error"]:
        st.error(ps["data_error"])


def sync_plane_url(s: PlaneState) -> None:
    if (params := encode_plane(s)) != st.query_params.to_dict():
        st.query_params.from_dict(params)


def show_plane_summary(s: PlaneState, fit: PlaneFit | None, problem: str) -> None:
    """The verdict, the patterns, the numbers and the certificate beside the canvas."""
    st.subheader("The certified optimum")
    if text := plane_wording.preset_text(s.preset):
        st.caption(text)
    st.caption(plane_wording.task_text(s.points))
    if fit is None:
        st.info(problem)
        return
    (st.success if plane_wording.is_certified(fit) else st.warning)(plane_wording.status_text(fit))
    st.markdown(plane_wording.pattern_text(fit))
    st.markdown(plane_wording.objectives_table(fit))
    st.caption(plane_wording.certificate_text(fit))
    if link := plane_wording.line_lesson_link(s.points, s.beta):
        st.info(plane_wording.line_text(link))
    with st.expander("Weights of every neuron"):
        st.dataframe(plane_wording.neuron_rows(fit), hide_index=True, width="stretch")


# ---------------------------------------------------------------- entry points
def main() -> None:
    """Every rerun: the navigation between the two pages, then the page the URL asks for."""
    st.set_page_config(page_title="convexviz", page_icon="📈", layout="wide")
    components = declare_components()
    pages = [
        st.Page(lambda: line_page(components), title="1-D: ramps and reflections",
                icon=":material/show_chart:", url_path="line", default=True),
        st.Page(lambda: plane_page(components), title="The plane: two-layer ReLU",
                icon=":material/scatter_plot:", url_path="plane"),
    ]  # fmt: skip
    st.navigation(pages, position="top").run()


if __name__ == "__main__":  # Streamlit runs the page as __main__, once per rerun
    main()
else:  # `streamlit run app.py` imports this file once to build the server (st.App)
    base = st.get_option("server.baseUrlPath")  # the config is loaded by now
    route = Route(preview.route_path(base), preview.endpoint, methods=["GET", "POST"])
    plane_route = Route(
        plane_preview.plane_route_path(base), plane_preview.endpoint, methods=["GET", "POST"]
    )
    # Streamlit's own scripts, compressed once per process (convexviz/ui/serving.py).
    prefixes = (static_prefix(base), plotly_prefix(base))
    static = Middleware(CompressedStatic, prefixes=prefixes)
    app = st.App(__file__, routes=[route, plane_route], middleware=[static])
