"""The gradient-descent panel's content as plain data: requests, the loss figure, the verdict.

The panel (``app.py``, section "gradient descent panel") trains the *parallel* network of
THEORY.md §4.1 with Adam from a few random starts (:mod:`convexviz.training`, in the
background: :mod:`convexviz.ui.training_run`) and shows it beside the certified Lasso
optimum. No network of that architecture can end *below* the optimum (THEORY.md §1): a run
that does is reported as a bug, never as a success (:func:`verdict`).

The loss figure, the verdict, the table and the progress line read only what every
:class:`~convexviz.training.AdamSnapshot` has, so the plane's panel
(:mod:`convexviz.ui.plane_training_panel`) shows its runs with them too.

Everything here is pure (no Streamlit) and tested in tests/test_app_adam.py and
tests/test_training_run.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..activations import ACTIVATIONS
from ..fit import FitResult
from ..plot_style import DATA_COLOR, OKABE_ITO, figure_layout, make_figure, scatter
from ..training import (
    DEFAULT_STEPS,
    MAX_WORK,
    TRAINABLE_DEPTHS,
    AdamSnapshot,
    TrainingSnapshot,
    default_width,
)
from .canvas import ASSET_DIR
from .canvas.protocol import Ranges, trained_curves
from .state import AppState
from .training_run import RunRequest

#: Random starts (runs) unless the student asks for another number, and the most offered.
DEFAULT_STARTS = 4
MAX_STARTS = 8
#: Points of the x grid on which the trained networks are drawn on the canvas.
GRID_POINTS = 161
#: Points per run kept in the loss figure (the history is thinned evenly).
LOSS_POINTS = 300
#: Gap (%) under which a run counts as having reached the optimum.
REACHED_PERCENT = 1.0

INTRO_TEXT = (
    "Ordinary training: Adam (gradient descent) on the same network, the sum of m parallel "
    "chains with weight decay β, from a few random starts. It can only approach the "
    "certified optimum from above; with too few units m, or from an unlucky start, it "
    "gets stuck higher up."
)
LOSS_CAPTION = (
    "Each coloured line is one training run: its regularized objective (squared error / 2 "
    "+ weight decay) after each Adam step, on a log scale. The black dashed line is the "
    "certified optimum of the convex problem: no run can go below it."
)
CANVAS_CAPTION = "The trained networks are drawn faintly on the canvas above, behind the fit."


def unsupported_reason(activation: str, depth: int) -> str:
    """Why gradient descent is not offered for ``(activation, depth)``, or ``""``."""
    if activation not in TRAINABLE_DEPTHS:
        title = ACTIVATIONS[activation].title if activation in ACTIVATIONS else activation
        return (
            f"Gradient descent is not offered for the {title} activation: its derivative is "
            "zero wherever it is defined, so the gradient never moves the hidden weights. "
            "The convex program above needs no gradient and still finds the optimum."
        )
    depths = TRAINABLE_DEPTHS[activation]
    if depth in depths:
        return ""
    title = ACTIVATIONS[activation].title
    listed = ", ".join(str(d) for d in depths[:-1]) + " or " * (len(depths) > 1) + str(depths[-1])
    if activation == "leaky_relu":
        why = "deeper leaky ReLU chains have no convex program here to compare with"
    else:
        why = (
            "for deeper chains the app's convex program is not proven to give this "
            "network's optimum, so there is no certified line to compare with"
        )
    return (
        f"Gradient descent is offered for {title} networks of depth {listed} only: {why}. "
        "Choose one of those depths to train."
    )


def run_inputs(state: AppState) -> tuple:
    """What a run depends on in the app state (compare with :attr:`RunRequest.inputs`)."""
    return (state.points, state.activation, state.depth, state.beta, state.leak)


def stale_reason(request: RunRequest, state: AppState) -> str:
    """Why a run no longer matches the app state (in words), or ``""`` if it does."""
    points, *settings = run_inputs(state)
    if request.points != points:
        return "the points changed"
    if tuple(request.inputs[1:]) != tuple(settings):
        return "the network settings changed"
    return ""


def suggested_width(result: FitResult) -> int:
    """The default width ``max(N + 1, 2 x the optimum's neurons)``."""
    return default_width(len(result.x), result.network.n_neurons)


def steps_for(n_points: int, depth: int, width: int, starts: int) -> int:
    """Adam steps per run: the trainer's default, fewer if the work would exceed its cap."""
    per_step = float(starts * width * n_points * (depth - 1))
    return int(max(1, min(DEFAULT_STEPS, math.floor(MAX_WORK / max(per_step, 1.0)))))


def make_request(
    state: AppState, ranges: Ranges, width: int, seed: int, starts: int
) -> RunRequest:
    """The run the panel's button starts: seeds ``seed .. seed + starts - 1``."""
    x0, x1 = (float(v) for v in ranges["x"])
    grid = tuple(float(v) for v in np.linspace(x0, x1, GRID_POINTS))
    return RunRequest(
        points=tuple(state.points),
        activation=state.activation,
        depth=int(state.depth),
        beta=float(state.beta),
        leak=float(state.leak),
        width=int(width),
        steps=steps_for(len(state.points), state.depth, width, starts),
        seeds=tuple(range(int(seed), int(seed) + int(starts))),
        grid=grid,
    )


def run_color(k: int) -> str:
    """Colour of run ``k``: the Okabe-Ito palette without black (the optimum's line)."""
    palette = OKABE_ITO[1:]
    return palette[(k + 4) % len(palette)]  # blue, vermillion, pink, orange, ...


def run_dash(k: int) -> str:
    """Solid for the first runs, dotted once the colours repeat."""
    return "solid" if k < len(OKABE_ITO) - 1 else "dot"


def thinned(history: np.ndarray, limit: int = LOSS_POINTS) -> np.ndarray:
    """Indices ``0 .. len - 1`` thinned evenly to at most ``limit``, the last one kept."""
    n = int(history.shape[-1])
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


@dataclass(frozen=True)
class RunWords:
    """How a page names its runs and its width in the panel's sentences (the 1-D page:
    ``run`` and ``units m``; the plane: ``start`` and ``neurons m``)."""

    run: str = "run"
    width: str = "units m"

    @property
    def runs(self) -> str:
        return f"{self.run}s"


RUN_WORDS = RunWords()


def loss_figure(
    snapshot: AdamSnapshot,
    optimum: float,
    *,
    title: str = "Training loss of each run",
    words: RunWords = RUN_WORDS,
):
    """Objective of every run against the Adam step, with the certified optimum's line
    (the legend names run ``k`` as ``{words.run} k (seed s)``)."""
    traces = []
    positive = optimum > 0
    for k, seed in enumerate(snapshot.seeds):
        idx = thinned(snapshot.history[k])
        steps = np.append(idx, snapshot.step).astype(float)
        values = np.append(snapshot.history[k][idx], snapshot.objective[k])
        traces.append(
            scatter(
                x=steps.tolist(),
                y=values.tolist(),
                mode="lines",
                name=f"{words.run} {k + 1} (seed {seed})",
                line={"color": run_color(k), "width": 2.5, "dash": run_dash(k)},
                hovertemplate="step %{x:.0f}<br>objective %{y:.5g}<extra></extra>",
            )
        )
    end = max(snapshot.setup.steps, 1)
    traces.append(
        scatter(
            x=[0, end],
            y=[optimum, optimum],
            mode="lines",
            name="certified optimum",
            line={"color": DATA_COLOR, "width": 2.5, "dash": "dash"},
            hovertemplate=f"certified optimum {optimum:.6g}<extra></extra>",
        )
    )
    layout = figure_layout(
        title,
        (0, end),
        None,
        "Adam step",
        "objective (log scale)" if positive else "objective",
    )
    if positive:
        lo, hi = log_range(snapshot, optimum)
        ticks = log_ticks(lo, hi)
        layout["yaxis"].update(
            type="log", range=[lo, hi], tickvals=ticks, ticktext=[f"{t:g}" for t in ticks]
        )
    layout["height"] = 420
    # The legend to the right of the plot area: inside it would hide a stalled run's line.
    layout["legend"] = {**layout["legend"], "x": 1.02, "xanchor": "left", "y": 1.0}
    layout["margin"] = {**layout["margin"], "r": 230}
    return make_figure(traces, layout)


def log_range(snapshot: AdamSnapshot, optimum: float) -> list[float]:
    """Log-axis range from just under the optimum to above the runs once past their first
    steps: the first few percent of a run start far higher and would flatten the rest."""
    history = snapshot.history
    skip = int(0.05 * snapshot.setup.steps)
    tail = history[:, skip:] if history.shape[1] > skip else history[:, -1:]
    values = np.concatenate([tail.ravel(), snapshot.objective])
    values = values[np.isfinite(values)]
    top = float(values.max()) if values.size else optimum
    top = max(top * 1.5, optimum * 3)
    return [math.log10(optimum) - 0.1, math.log10(top)]


def log_ticks(lo: float, hi: float, most: int = 7) -> list[float]:
    """Readable ticks of a log axis from ``10**lo`` to ``10**hi``: 1-2-5 steps, or only the
    powers of ten when those would be too many (Plotly's own labels read "2, 5" there).

    >>> log_ticks(-1.8, 0.1)
    [0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    """
    for mantissas in ((1, 2, 5), (1,), (1,)):
        ticks = [
            float(f"{m}e{k}")
            for k in range(math.floor(lo) - 1, math.ceil(hi) + 1)
            for m in mantissas
            if lo <= math.log10(m) + k <= hi
        ]
        if len(ticks) <= most:
            return ticks
    return ticks[:: max(1, len(ticks) // most)]


def below_tolerance(optimum: float, certificate_gap: float) -> float:
    """How far below ``optimum`` rounding may put a run (the certificate plus 1e-9)."""
    return max(float(certificate_gap), 0.0) + 1e-9 * max(1.0, abs(optimum))


@dataclass(frozen=True)
class Verdict:
    """What the panel says at the end: ``kind`` is success, info or error."""

    kind: str
    text: str


def verdict(
    snapshot: AdamSnapshot,
    optimum: float,
    certificate_gap: float = 0.0,
    words: RunWords = RUN_WORDS,
) -> Verdict:
    """The sentence under the table: best gap; none below the optimum (or a bug report)."""
    final = snapshot.objective
    tol = below_tolerance(optimum, certificate_gap)
    below = [k for k in range(final.size) if final[k] < optimum - tol]
    if below or not np.all(np.isfinite(final)):
        runs = ", ".join(str(k + 1) for k in below) or "some"
        return Verdict(
            "error",
            f"{words.run.capitalize()} {runs} ended BELOW the certified optimum "
            f"{optimum:.6g}. That cannot happen if the code and the theory are right: this "
            "is a bug, please report it.",
        )
    gaps = snapshot.gap_percent(optimum)
    best = int(np.argmin(gaps))
    none = "none below: no network beats the convex optimum."
    if gaps[best] < REACHED_PERCENT:
        stuck = int(np.sum(gaps >= REACHED_PERCENT))
        tail = f" {stuck} of {gaps.size} {words.runs} got stuck higher up." if stuck else ""
        return Verdict(
            "success",
            f"Best {words.run} {format_gap(gaps[best])} above the certified optimum; {none}{tail}",
        )
    return Verdict(
        "info",
        f"Every {words.run} got stuck above the certified optimum (best "
        f"{format_gap(gaps[best])} above); {none} More {words.width}, another seed or more "
        "starts may get closer.",
    )


def format_gap(percent: float) -> str:
    """A gap in percent, readable: ``0.2 %``, ``0.0031 %``, ``12 %``."""
    if not math.isfinite(percent):
        return "∞ %"
    if abs(percent) >= 10:
        return f"{percent:.0f} %"
    return f"{percent:.2g} %"


def gap_rows(
    snapshot: AdamSnapshot, optimum: float, words: RunWords = RUN_WORDS
) -> list[dict[str, object]]:
    """One row per run: seed, final objective, gap to the optimum, lowest seen."""
    gaps = snapshot.gap_percent(optimum)
    return [
        {
            words.run: k + 1,
            "seed": seed,
            "final objective": float(f"{snapshot.objective[k]:.6g}"),
            "above the optimum": format_gap(gaps[k]),
            "lowest seen": float(f"{snapshot.best[k]:.6g}"),
        }
        for k, seed in enumerate(snapshot.seeds)
    ]


def progress_text(
    snapshot: AdamSnapshot | None,
    elapsed_s: float,
    optimum: float,
    words: RunWords = RUN_WORDS,
) -> str:
    """``Training: step 2,300 of 10,000 (1.2 s); best run so far 3.1 % above the optimum``."""
    if snapshot is None:
        return "Training: starting…"
    total = snapshot.setup.steps
    text = f"Training: step {snapshot.step:,} of {total:,} ({elapsed_s:.1f} s)"
    gaps = snapshot.gap_percent(optimum)
    if gaps.size and np.isfinite(gaps).any():
        text += f"; best {words.run} so far {format_gap(float(np.nanmin(gaps)))} above the optimum"
    return text


def canvas_curves(
    snapshot: TrainingSnapshot | None, request: RunRequest, settings: dict[str, str]
) -> dict[str, object] | None:
    """The trained networks for the canvas (:func:`protocol.trained_curves`), or ``None``."""
    if snapshot is None or snapshot.prediction is None or snapshot.grid is None:
        return None
    return trained_curves(request.points, settings, snapshot.grid, snapshot.prediction)


@cache
def trained_js() -> str:
    """The script of the invisible component that hands trained curves to the canvas."""
    read = lambda name: (ASSET_DIR / name).read_text(encoding="utf-8")  # noqa: E731
    return read("page.js") + read("trained.js")
