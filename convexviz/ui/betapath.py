"""The regularization-path panel's logic, without Streamlit (issue 8, item 2).

The path ``beta -> z(beta)`` does not depend on the current ``beta``: it is computed once per
(points, architecture) and kept in a small LRU (:class:`PathMemo`), so that moving ``beta``
(the slider, or a click on the path) only redraws its marker. A click on the figure reports
the ``beta`` under the mouse; :func:`clicked_beta` turns it into the value the app keeps.

>>> memo = PathMemo(max_entries=2)
>>> from convexviz import Architecture, build_dictionary
>>> points = ((0.0, 0.0), (4.0, 0.0), (5.0, 0.0), (7.0, 2.0), (10.0, 3.0), (11.0, 3.0))
>>> d = build_dictionary([x for x, _ in points], Architecture("relu", 2))
>>> drawn = memo.path(points, Architecture("relu", 2), d)
>>> memo.path(points, Architecture("relu", 2), d) is drawn, drawn.stopped
(True, None)
>>> drawn.path.number_of_neurons(3.0)
2
"""

from __future__ import annotations

import json
import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from ..architecture import Architecture
from ..dictionary import Dictionary
from ..path import DEFAULT_RATIO, RegularizationPath, regularization_path
from ..path_figure import NEURONS_NAME, create_path_figure
from ..plots import figure_json
from .session import Session, set_app

Points = Sequence[tuple[float, float]]
Key = tuple[tuple[tuple[float, float], ...], Architecture]

#: Significant digits kept of a clicked beta: about one pixel on a path figure spanning
#: four decades, and a short number in the URL.
CLICK_DIGITS = 2

#: The path goes at most this far below ``beta_max`` (``beta_max * MIN_RATIO``), whatever
#: ``beta`` a link asks for.
MIN_RATIO = 1e-8

#: Largest dictionary (distinct features) whose path the panel computes: about a second
#: or two on the machines this runs on; larger ones would hold the panels for several.
MAX_PATH_FEATURES = 4000

#: At most this many features get a legend (beside the plot); more are named on hover.
LEGEND_MAX = 12

MANY_FEATURES_TEXT = "Many features take part: hover over a curve to see which one it is."

#: Points closer than this to the simplified line are dropped, in fractions of the plot's
#: width and height (1e-3: a fifth of a pixel on a figure 200 px high).
SIMPLIFY_TOL = 1e-3

PATH_TITLE = "The regularization path: how β trades fit for sparsity"

PATH_TEXT = (
    "Read from right to left. At β_max and above, every coefficient is zero and the network "
    "is a constant. Lowering β lets the data pull coefficients away from zero, one feature "
    "at a time: each curve is one feature's coefficient z_i(β), and the step plot below "
    "counts the nonzero ones, the network's neurons. A knot is a β where a neuron enters "
    "(its coefficient leaves zero) or leaves (its coefficient returns to zero); between "
    "knots every coefficient moves along a straight line in β. Small β fits the points "
    "closely with many neurons, large β keeps few neurons and fits loosely. The dashed line "
    "is the current β: click anywhere on the figure to move it there."
)

CONSTANT_TEXT = (
    "All the targets are equal: the best network is that constant for every β, so there is "
    "no path to draw."
)


def stopped_text(stopped: float, reason: str) -> str:
    """What the panel says under a path that stops before the smallest ``beta`` wanted."""
    return (
        f"The exact path is drawn from β_max down to β = {stopped:.3g} only: below it, "
        f"the path could not be continued ({reason}). The fit above is not affected."
    )


def too_large_text(size: int) -> str:
    """Why no path is drawn for a large dictionary."""
    return (
        f"The path is drawn for at most {MAX_PATH_FEATURES:,} distinct candidate features "
        f"(here {size:,}): use fewer points or a smaller depth to see it."
    )


def path_failed_text(reason: str) -> str:
    """What the panel says when the exact path could not be computed."""
    return (
        f"The exact path could not be computed for these points ({reason}). "
        "The fit above is not affected; moving the β slider still works."
    )


def path_figure(path: RegularizationPath, dictionary: Dictionary, beta: float) -> go.Figure:
    """:func:`~convexviz.path_figure.create_path_figure`, its legend right of the plot.

    Inside, the legend hid the curves at small ``beta`` and caught the clicks meant for the
    path; beside it, every spot of the plot area can be clicked. Over :data:`LEGEND_MAX`
    features there is no legend (it would squeeze the plot): hovering a curve names it. The
    neuron count is
    labelled in whole neurons (never 0.5). The curves are sent without the points that do
    not change their drawing (:func:`simplify_polyline`): a coefficient is zero on most
    segments, and 12 samples per segment are many for a short one.
    """
    figure = create_path_figure(path, dictionary, beta)
    curves = [t for t in figure.data if t.name != NEURONS_NAME]
    if curves and path.beta_max > 0:
        x_span = math.log10(path.beta_max / path.betas[-1]) or 1.0
        y_all = np.concatenate([np.asarray(t.y, dtype=float) for t in curves])
        y_span = float(np.ptp(y_all)) or 1.0
        for trace in curves:
            trace.x, trace.y = simplify_polyline(trace.x, trace.y, x_span, y_span)
    if len(curves) > LEGEND_MAX:  # a legend would squeeze the plot: names on hover (always)
        figure.layout.showlegend = False
    else:
        figure.layout.legend.update(x=1.02, y=1.0, xanchor="left", yanchor="top")
    most = int(path.n_active.max(initial=0))
    figure.layout.yaxis2.update(tick0=0, dtick=max(1, math.ceil(most / 4)))  # whole neurons
    return figure


def path_figure_json(path: RegularizationPath, dictionary: Dictionary, beta: float) -> str:
    """:func:`path_figure` as Plotly JSON text, built once per path; only the marker moves.

    Moving ``beta`` (the slider, a click) changes nothing but the dashed line at the
    current ``beta``, so the figure without it is kept per path object (weakly: it goes
    when the path leaves the memo) and each call only writes the marker's position.
    """
    with _FIGURES_LOCK:
        base = _FIGURES.get(path)
    if base is None:
        base = json.loads(figure_json(path_figure(path, dictionary, path.beta_max)))
        with _FIGURES_LOCK:
            _FIGURES[path] = base
    layout = base["layout"]
    marker, *others = layout["shapes"]
    moved = {**marker, "x0": float(beta), "x1": float(beta)}
    return json.dumps({**base, "layout": {**layout, "shapes": [moved, *others]}})


_FIGURES: weakref.WeakKeyDictionary[RegularizationPath, dict] = weakref.WeakKeyDictionary()
_FIGURES_LOCK = threading.Lock()


def simplify_polyline(
    x: Sequence[float], y: Sequence[float], x_span: float, y_span: float
) -> tuple[list[float], list[float]]:
    """A polyline on a log x axis with the points that do not change its drawing removed.

    Douglas-Peucker in plot units (``log10 x / x_span``, ``y / y_span``): a point is dropped
    when it lies within :data:`SIMPLIFY_TOL` of the line through the points kept around
    it, well under a pixel. Runs of equal ``y`` (a coefficient that is zero on many
    segments) shrink to their two ends; every point kept is an exact point of the path.

    >>> simplify_polyline([5, 4, 3, 2, 1, 0.5], [0, 0, 0, 1, 1, 2], 1.0, 2.0)
    ([5.0, 3.0, 2.0, 1.0, 0.5], [0.0, 0.0, 1.0, 1.0, 2.0])
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = xs.size
    if n < 3:
        return xs.tolist(), ys.tolist()
    px = np.log10(xs) / max(x_span, 1e-300)
    py = ys / max(y_span, 1e-300)
    keep = np.zeros(n, dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        dx, dy = px[b] - px[a], py[b] - py[a]
        ix, iy = px[a + 1 : b] - px[a], py[a + 1 : b] - py[a]
        length = math.hypot(dx, dy)
        dist = np.abs(dx * iy - dy * ix) / length if length > 0 else np.hypot(ix, iy)
        k = int(np.argmax(dist))
        if dist[k] > SIMPLIFY_TOL:
            keep[a + 1 + k] = True
            stack += [(a, a + 1 + k), (a + 1 + k, b)]
    return xs[keep].tolist(), ys[keep].tolist()


def below_path_text(beta: float, low: float) -> str:
    """Said when the current ``beta`` lies left of the drawn path (its marker is off it)."""
    return (
        f"The current β = {beta:.3g} is below the path drawn (down to {low:.3g}): "
        "the network hardly changes there."
    )


def count_note(path: RegularizationPath, beta: float, n_fit: int) -> str:
    """Said when the path and the fit above count different neurons at ``beta``, or ``""``.

    Where the optimum is not unique (deep dictionaries: reflections, features equal on the
    data) the path follows one optimal network and the fit shows the sparsest one it finds;
    both have the same objective.
    """
    try:
        n_path = path.number_of_neurons(beta)
    except ValueError:  # beta below the path drawn
        return ""
    if n_path == n_fit:
        return ""
    return (
        f"At this β the best network is not unique: the path follows one optimal network "
        f"with {n_path} neuron{'s' * (n_path != 1)}, the fit above shows one with {n_fit}, "
        "and both reach the same training objective."
    )


def clicked_beta(beta: object, low: float, high: float) -> float | None:
    """The ``beta`` a click on the path figure sets, or ``None`` if the report is unusable.

    The clicked value is kept to :data:`CLICK_DIGITS` significant digits and held within
    the drawn path ``[low, high]`` (its last knot and ``beta_max``; a click right of
    ``beta_max`` means ``beta_max``: there the network is already a constant).

    >>> clicked_beta(0.012345, 1e-4, 2.0), clicked_beta(7.0, 1e-4, 2.0)
    (0.012, 2.0)
    >>> clicked_beta(-1, 1e-4, 2.0), clicked_beta("nan", 1e-4, 2.0), clicked_beta(None, 1e-4, 2)
    (None, None, None)
    """
    try:
        value = float(beta)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(value) and value > 0 and 0 < low <= high):
        return None
    value = float(f"{value:.{CLICK_DIGITS}g}")
    return float(min(max(value, low), high))


def apply_click(session: Session, report: object) -> bool:
    """Set ``beta`` from a click report of the path figure (``{"x": beta, "n": count}``).

    ``session["path_range"]`` is the drawn path's ``(low, high)``. Returns whether ``beta``
    changed (then the whole page must rerun: the slider, the URL and the canvas follow).
    """
    value = report.get("x") if isinstance(report, dict) else None
    drawn = session.get("path_range")
    beta = clicked_beta(value, *drawn) if drawn else None
    if beta is None or beta == session["app"].beta:
        return False
    set_app(session, beta=beta)
    return True


@dataclass(frozen=True, eq=False)
class DrawnPath:
    """A path as the panel draws it: ``path``, and where and why it stopped early.

    ``stopped`` is ``None`` when the path reaches the ``beta_min`` asked for; otherwise it is
    the ``beta`` below which the homotopy could not be continued (``reason``), and ``path``
    goes from ``beta_max`` down to just above it.
    """

    path: RegularizationPath
    stopped: float | None = None
    reason: str = ""


class PathMemo:
    """A thread-safe LRU of regularization paths keyed by (points, architecture).

    A path goes from ``beta_max`` down to ``beta_max / 1e4``, or lower when a ``beta`` below
    that is asked for (``down_to``: a linked or clicked ``beta`` must lie on the drawn
    path); it is then recomputed deeper, once, and the deeper path replaces the other.

    Where the homotopy cannot be continued below some ``beta`` (ties it cannot resolve in
    double precision), the path down to that ``beta`` is kept as a :class:`DrawnPath` that
    says where it stopped: most of the path is still shown. A path that cannot be
    computed at all raises ``ValueError``, remembered for the same key (a property of the
    inputs). Two sessions asking for the same new path at once may both compute it (only
    the panel asks).
    """

    def __init__(self, max_entries: int = 64) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self._max = max_entries
        self._lock = threading.Lock()
        self._done: OrderedDict[Key, DrawnPath | ValueError] = OrderedDict()
        self.computed = 0

    def path(
        self,
        points: Points,
        architecture: Architecture,
        dictionary: Dictionary,
        down_to: float | None = None,
    ) -> DrawnPath:
        """The path of ``points`` over ``dictionary`` (built on their x with ``architecture``).

        ``down_to``: a ``beta`` the path should reach; the path then goes down to
        ``down_to / 2`` (never below ``beta_max * MIN_RATIO``).

        Raises
        ------
        ValueError
            When no part of the path can be computed (the message says why).
        """
        key: Key = (tuple((float(x), float(y)) for x, y in points), architecture)
        y = np.array([y for _, y in key[0]], dtype=float)
        with self._lock:
            stored = self._done.get(key)
            if stored is not None:
                self._done.move_to_end(key)
        if stored is None:  # one computation, as deep as asked for
            stored = self._compute(key, dictionary, y, _beta_min(dictionary.A, y, down_to))
        drawn = _unwrap(stored)
        path = drawn.path
        if (
            down_to is None
            or drawn.stopped is not None  # deeper would stop at the same place
            or not path.beta_max > 0
            or path.betas[-1] <= down_to
        ):
            return drawn
        beta_min = max(float(down_to) / 2, path.beta_max * MIN_RATIO)
        if beta_min >= path.betas[-1]:
            return drawn
        return _unwrap(self._compute(key, dictionary, y, beta_min, shallower=path))

    def _compute(
        self,
        key: Key,
        dictionary: Dictionary,
        y: np.ndarray,
        beta_min: float | None,
        shallower: RegularizationPath | None = None,
    ) -> DrawnPath | ValueError:
        outcome = _follow(dictionary, y, beta_min)
        if isinstance(outcome, ValueError) and shallower is not None:
            # the deeper path failed from the start: keep the one drawn, and say so
            outcome = DrawnPath(shallower, float(shallower.betas[-1]), str(outcome))
        elif (
            shallower is not None
            and isinstance(outcome, DrawnPath)
            and outcome.path.betas[-1] > shallower.betas[-1]
        ):
            outcome = DrawnPath(shallower, float(shallower.betas[-1]), outcome.reason)
        with self._lock:
            self.computed += 1
            self._done[key] = outcome
            self._done.move_to_end(key)
            while len(self._done) > self._max:
                self._done.popitem(last=False)
        return outcome

    def clear(self) -> None:
        with self._lock:
            self._done.clear()


def _follow(
    dictionary: Dictionary, y: np.ndarray, beta_min: float | None
) -> DrawnPath | ValueError:
    """The path down to ``beta_min``, or down to where it stopped, or the error.

    One computation: a path that stops early comes back as data
    (:attr:`~convexviz.path.RegularizationPath.stopped_at`); only a path that stops at
    ``beta_max`` itself (nothing to draw) is an error.
    """
    try:
        path = regularization_path(dictionary, y, beta_min)
    except ValueError as error:
        return error
    if path.stopped_at is None:
        return DrawnPath(path)
    if path.n_knots < 2:  # nothing but beta_max itself
        return ValueError(
            f"it could not be continued below β_max = {path.beta_max:.3g}: {path.stop_reason}"
        )
    return DrawnPath(path, path.stopped_at, path.stop_reason)


def _beta_min(A: np.ndarray, y: np.ndarray, down_to: float | None) -> float | None:
    """``beta_min`` for a new path that reaches ``down_to`` (``None``: the default depth).

    ``beta_max = ||A_c^T y_c||_inf`` (:mod:`convexviz.path`) is cheap to know beforehand.
    """
    if down_to is None:
        return None
    beta_max = float(np.max(np.abs((A - A.mean(axis=0)).T @ (y - y.mean())), initial=0.0))
    if not beta_max > 0 or down_to / 2 >= beta_max * DEFAULT_RATIO:
        return None
    return max(float(down_to) / 2, beta_max * MIN_RATIO)


def _unwrap(outcome: DrawnPath | ValueError) -> DrawnPath:
    if isinstance(outcome, ValueError):
        raise ValueError(str(outcome))
    return outcome


#: The memo the app uses (one per server process).
SHARED = PathMemo()
