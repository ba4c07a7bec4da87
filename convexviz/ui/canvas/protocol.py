"""The snapshot protocol between the click canvas and Python (DESIGN.md §3).

The browser edits points locally and sends *whole snapshots*, one trigger event ``edit``::

    {"seq": 7, "gen": 2, "op": "add", "points": [[x, y], ...]}

Python is the source of truth. It applies a snapshot only if ``gen`` matches its own
generation (the browser has seen the latest points Python set) and ``seq`` is newer than
the last snapshot it applied; then it sanitizes the points and answers with a payload::

    {"points": [[x, y], ...], "curves": {...}, "ranges": {...}, "ack": 7, "gen": 2}

``gen`` goes up whenever Python itself changes the points (reset, preset, CSV, typed points,
undo), so the browser drops any local edits made on top of an older set of points.

Everything here is pure: plain tuples, dicts and numpy arrays, no Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...limits import MAX_ABS_VALUE, MAX_POINTS

Points = tuple[tuple[float, float], ...]
Ranges = dict[str, list[float]]

#: Significant digits kept for a coordinate (drops float noise from pixel conversions).
_DIGITS = 10


@dataclass(frozen=True)
class CanvasState:
    """What Python knows about the canvas: the points, their generation, the last seq."""

    points: Points
    gen: int = 0
    seq: int = 0


def sanitize_points(raw: object, limit: int = MAX_POINTS) -> Points:
    """Keep only well-formed, finite, moderate, distinct ``(x, y)`` pairs.

    Pairs that are not two numbers, NaN/inf, or beyond ``MAX_ABS_VALUE`` are dropped; values
    are rounded to 10 significant digits; exact duplicates keep their first occurrence
    (equal ``x`` with different ``y`` is legal data); at most ``limit`` points are kept.

    >>> sanitize_points([[0, 1], [0, 1], ["a", 2], [float("nan"), 0], [2e7, 0], (3, 4.5)])
    ((0.0, 1.0), (3.0, 4.5))
    """
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        return ()
    seen: set[tuple[float, float]] = set()
    points: list[tuple[float, float]] = []
    for item in raw:
        pair = _pair(item)
        if pair is None or pair in seen:
            continue
        seen.add(pair)
        points.append(pair)
        if len(points) >= limit:
            break
    return tuple(points)


def _pair(item: object) -> tuple[float, float] | None:
    if not isinstance(item, Sequence) or isinstance(item, str | bytes) or len(item) != 2:
        return None
    values = []
    for v in item:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return None
        if not abs(v) <= MAX_ABS_VALUE:  # NaN and inf too; before float(): no overflow
            return None
        values.append(_round(float(v)))
    return values[0], values[1]


def _round(v: float) -> float:
    if v == 0.0:
        return 0.0
    return round(v, _DIGITS - 1 - math.floor(math.log10(abs(v))))


def apply_snapshot(
    state: CanvasState, event: object, sanitize: Callable[[object], Any] = sanitize_points
) -> CanvasState | None:
    """The new state after a browser snapshot, or ``None`` if it must be ignored.

    A snapshot is ignored when it is malformed, when its ``gen`` differs from
    ``state.gen`` (it was made on points Python has since replaced), or when its ``seq``
    is not newer than ``state.seq`` (a resend or a late duplicate). ``sanitize`` cleans
    the points (the plane's canvas passes its own, for ``[x1, x2, y]`` triples).
    """
    if not isinstance(event, Mapping):
        return None
    gen, seq = _int(event.get("gen")), _int(event.get("seq"))
    if gen is None or seq is None or gen != state.gen or seq <= state.seq:
        return None
    if "points" not in event:
        return None
    return replace(state, points=sanitize(event["points"]), seq=seq)


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():  # also NaN and inf
        return None
    return int(value)


def stable_ranges(
    previous: Mapping[str, Sequence[float]] | None,
    points: Points,
    fresh: Mapping[str, Sequence[float]],
) -> Ranges:
    """Keep the previous axis ranges while every point stays inside them.

    ``fresh`` are the ranges computed for ``points`` from scratch. The axes only jump when
    a point leaves the visible area (or there were no ranges yet), so the plot does not
    move under the mouse while a student edits.
    """
    if previous is None or not _covers(previous, points):
        return {"x": [float(v) for v in fresh["x"]], "y": [float(v) for v in fresh["y"]]}
    return {"x": [float(v) for v in previous["x"]], "y": [float(v) for v in previous["y"]]}


def _covers(ranges: Mapping[str, Sequence[float]], points: Points) -> bool:
    try:
        (x0, x1), (y0, y1) = ranges["x"], ranges["y"]
    except (KeyError, TypeError, ValueError):
        return False
    return all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in points)


def curve_grid(
    ranges: Mapping[str, Sequence[float]], breakpoints: Sequence[float], n: int = 2
) -> NDArray[np.float64]:
    """The ends of the visible x range, ``n`` points between, each breakpoint and its left.

    Every feature is piecewise linear or piecewise constant between its breakpoints, so
    these few points draw it exactly (kinks sharp, jumps vertical): a reply stays small
    however many features are active.
    """
    x0, x1 = float(ranges["x"][0]), float(ranges["x"][1])
    eps = 1e-9 * max(1.0, abs(x0), abs(x1))
    b = np.asarray([t for t in breakpoints if x0 < t < x1], dtype=float)
    grid = np.concatenate([np.linspace(x0, x1, max(n, 2)), b, b - eps])
    return np.unique(grid)


def build_payload(
    state: CanvasState,
    ranges: Mapping[str, Sequence[float]],
    grid: NDArray[np.float64] | None = None,
    fitted: NDArray[np.float64] | None = None,
    features: Sequence[tuple[str, str, NDArray[np.float64], NDArray[np.float64]]] = (),
    message: str = "",
) -> dict[str, Any]:
    """The data sent to the browser: ``{points, curves, ranges, ack, gen, message}``.

    Parameters
    ----------
    state : CanvasState
    ranges : mapping with ``"x"`` and ``"y"`` (two numbers each)
    grid, fitted : arrays of shape (n_grid,), optional
        The fitted network on the grid (omitted when there is no fit).
    features : sequence of (label, kind, x, values)
        Active features on their own grids, each multiplied by its coefficient.
    message : str
        Shown on the canvas when there is no fit (for example "add two points").
    """
    curves: dict[str, Any] = {"x": [], "fit": [], "features": []}
    if grid is not None and fitted is not None:
        arrays = [grid, fitted] + [a for _, _, xs, values in features for a in (xs, values)]
        rounded = _rounded_many(arrays)
        curves["x"], curves["fit"] = rounded[0], rounded[1]
        curves["features"] = [
            {"label": label, "kind": kind, "x": rounded[2 + 2 * k], "y": rounded[3 + 2 * k]}
            for k, (label, kind, _, _) in enumerate(features)
        ]
    return {
        "points": [[x, y] for x, y in state.points],
        "curves": curves,
        "ranges": {"x": [float(v) for v in ranges["x"]], "y": [float(v) for v in ranges["y"]]},
        "ack": int(state.seq),
        "gen": int(state.gen),
        "message": message,
    }


def _rounded_many(arrays: Sequence[NDArray[np.float64]]) -> list[list[float | None]]:
    """Each array to six significant digits (plenty for a screen), ``None`` if non-finite.

    One vectorized pass over all arrays: a reply holds one short array per active feature.
    """
    sizes = [len(a) for a in arrays]
    v = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays]) if arrays else []
    v = np.asarray(v, dtype=float)
    finite = np.isfinite(v)
    safe = np.where(finite & (v != 0), np.abs(v), 1.0)
    scale = 10.0 ** (5 - np.floor(np.log10(safe)))
    flat: list[float | None] = np.where(finite, np.round(v * scale) / scale, 0.0).tolist()
    if not finite.all():
        flat = [a if ok else None for a, ok in zip(flat, finite.tolist(), strict=True)]
    out, start = [], 0
    for n in sizes:
        out.append(flat[start : start + n])
        start += n
    return out


#: Ranges used while there are no points to measure.
EMPTY_RANGES: Ranges = {"x": [-5.0, 5.0], "y": [-3.0, 3.0]}


def fresh_ranges(points: Points) -> Ranges:
    """Padded axis ranges of ``points`` (the same rule as the figures), or a default box.

    No headroom for the legend: the canvas draws it above the plot area, not inside.
    """
    if not points:
        return {"x": list(EMPTY_RANGES["x"]), "y": list(EMPTY_RANGES["y"])}
    from ...plots import axis_ranges

    xy = np.asarray(points, dtype=float)
    x_range, y_range = axis_ranges(xy[:, 0], xy[:, 1])
    return {"x": [float(v) for v in x_range], "y": [float(v) for v in y_range]}


def payload_for_fit(
    state: CanvasState,
    ranges: Mapping[str, Sequence[float]],
    result: object | None = None,
    message: str = "",
) -> dict[str, Any]:
    """:func:`build_payload` for a :class:`convexviz.fit.FitResult` (or none).

    The curves span the visible x range, refined at every active breakpoint; each active
    feature is drawn as ``z_i phi_i(x)`` and named with its kind (``ramp``, ``capped ramp``,
    ``reflection``, ...); the canvas colours it by kind (``plot_style.canvas_style``).
    """
    if result is None:
        return build_payload(state, ranges, message=message)
    from ...plots import feature_name

    active = result.active_features
    own = [[t for t in a.feature.breakpoints] for a in active]
    grid = curve_grid(ranges, [t for bps in own for t in bps], n=64)
    # One evaluation of every active feature on the common grid, which holds each feature's
    # own few points (the ends, its breakpoints and their left neighbours).
    values = result.feature_curves(grid)
    fitted = values.sum(axis=1) + result.lasso.bias
    features = []
    for k, a in enumerate(active):
        idx = np.searchsorted(grid, curve_grid(ranges, own[k]))
        name = feature_name(a.feature.kind, a.feature.label)
        features.append((name, a.feature.kind, grid[idx], values[idx, k]))
    return build_payload(state, ranges, grid, fitted, features, message)


def trained_curves(
    points: Points,
    settings: Mapping[str, str],
    grid: NDArray[np.float64],
    predictions: NDArray[np.float64],
) -> dict[str, Any]:
    """Networks trained by gradient descent, drawn faintly behind the fit (``trained.js``).

    ``{"points": [[x, y], ...], "settings": {...}, "x": [...], "y": [[...], ...]}``: one
    row of ``predictions`` (shape (K, G)) per run on ``grid`` (shape (G,)), six significant
    digits. ``points`` and ``settings`` (:func:`payload.settings_params`) say what the
    networks were trained on: the canvas draws them only while it shows those points with
    those settings, so a stale curve never sits behind a new fit.
    """
    rows = np.atleast_2d(np.asarray(predictions, dtype=float))
    rounded = _rounded_many([np.asarray(grid, dtype=float), *rows])
    return {
        "points": [[x, y] for x, y in points],
        "settings": dict(settings),
        "x": rounded[0],
        "y": rounded[1:],
    }
