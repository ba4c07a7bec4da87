"""What the plane canvas draws: its data for a plane state, shared by the page and the preview.

The page (through Streamlit) and the plane preview route (:mod:`convexviz.ui.plane_preview`)
build the canvas's reply with :func:`plane_canvas_payload` from the same shared fit
(:mod:`convexviz.ui.plane_memo`), and both carry the same ``key``, so the canvas skips a
redraw it has already made. The reply::

    {"points": [[x1, x2, y], ...], "ranges": {"x": [..], "y": [..]}, "ack", "gen",
     "message", "key", "label", "figure": {"data": [...], "layout": {...}},
     "point_traces": {"classes": [{"label": 1.0, "trace": {...}}, ...],
                      "values": {"trace": {...}}},
     "preview": {"url": ..., "params": {"beta": ...}, "busy_text": ..., "solving_text": ...}}

``figure`` is everything about the fit (:func:`convexviz.plane_figure.fit_picture`, its
annotations and :func:`~convexviz.plane_figure.plane_layout`), never the training points:
the canvas draws those itself, instantly after a click, by filling the empty traces of
``point_traces`` (made by :func:`convexviz.plane_figure.points_trace` itself) with the points'
coordinates, so they look exactly as in the static figure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...datasets2d import is_classes
from ...plane import PlaneFit
from ...plane_figure import (
    POINT_STYLE,
    fit_picture,
    legend_rows,
    plane_layout,
    points_trace,
    square_ranges,
)
from ..plane_memo import SHARED, PlaneMemo, plane_fit_state
from ..plane_state import PlanePoints, PlaneState
from ..state import format_number
from ..wording import PREVIEW_BUSY_TEXT, PREVIEW_SOLVING_TEXT
from . import protocol

#: Significant digits of the numbers sent to the browser (plenty for a screen).
DIGITS = 6


def plane_ranges(previous: Mapping[str, Sequence[float]] | None, points: PlanePoints) -> dict:
    """The canvas's axes: kept while every point stays inside, else the points' square.

    The same rule as the 1-D canvas (:func:`protocol.stable_ranges`): the axes do not move
    under the mouse while a student clicks inside them.
    """
    xy = [(p[0], p[1]) for p in points]
    fresh = square_ranges(np.array(xy, dtype=float).reshape(-1, 2))
    return protocol.stable_ranges(previous, tuple(xy), fresh)


def preview_params(state: PlaneState) -> dict[str, str]:
    """What a plane fit depends on besides the points, as URL text: ``{"beta": ...}``."""
    return {"beta": format_number(state.beta)}


def payload_key(points: PlanePoints, params: Mapping[str, str], ranges: Mapping) -> str:
    """A short fingerprint of what the canvas draws: points, settings and axes."""
    text = json.dumps([points, dict(params), ranges["x"], ranges["y"]], separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def point_templates() -> dict[str, Any]:
    """The empty points traces the canvas fills (``points_trace`` of no points).

    ``classes``: one trace per class with its label (class ``+1`` first, as ``points_trace``
    orders them); ``values``: the one trace of regression targets, whose colour range the
    canvas sets by :func:`convexviz.plane_figure.value_range`'s rule.
    """
    empty = np.zeros((0, 3))
    labels = [float(k) for k in POINT_STYLE["classes"]]
    classes = points_trace(empty, classes=True)
    (values,) = points_trace(empty, classes=False)
    return {
        "classes": [
            {"label": label, "trace": plain(trace)}
            for label, trace in zip(labels, classes, strict=True)
        ],
        "values": {"trace": plain(values)},
    }


def figure_of_fit(fit: PlaneFit | None, points: PlanePoints, ranges: Mapping) -> dict[str, Any]:
    """``{"data": fit traces, "layout": ...}``: the fit without the training points.

    The legend has room for the fit's entries and the points' (two classes or one trace).
    """
    traces, notes = fit_picture(fit, ranges) if fit is not None else ([], [])
    classes = is_classes([p[2] for p in points])
    rows = legend_rows(traces) + (len(POINT_STYLE["classes"]) if classes else 1)
    layout = plane_layout(ranges, rows)
    layout["annotations"] = notes
    layout["hovermode"] = "closest"
    for axis in ("xaxis", "yaxis"):
        layout[axis] = {**layout[axis], "fixedrange": True, "autorange": False}
    layout["uirevision"] = "plane_canvas"
    return {"data": plain(traces), "layout": plain(layout)}


def plane_canvas_payload(
    state: PlaneState,
    canvas: protocol.CanvasState,
    ranges: Mapping[str, Sequence[float]],
    memo: PlaneMemo = SHARED,
    *,
    url: str,
    after: PlanePoints | None = None,
) -> tuple[dict[str, Any], PlaneFit | None, str]:
    """The plane canvas's data for ``state``, with the fit (or why there is none).

    ``after``: the points of the fit shown before (a warm start, :mod:`plane_memo`).
    """
    fit, problem = plane_fit_state(state, memo, after=after)
    params = preview_params(state)
    ranges = {"x": [float(v) for v in ranges["x"]], "y": [float(v) for v in ranges["y"]]}
    payload = {
        "points": [list(p) for p in canvas.points],
        "ranges": ranges,
        "ack": int(canvas.seq),
        "gen": int(canvas.gen),
        "message": "" if fit is not None else problem,
        "key": payload_key(canvas.points, params, ranges),
        "label": float(state.label),
        "figure": figure_of_fit(fit, canvas.points, ranges),
        "point_traces": point_templates(),
        "preview": {
            "url": url,
            "params": params,
            "busy_text": PREVIEW_BUSY_TEXT,
            "solving_text": PREVIEW_SOLVING_TEXT,
        },
    }
    return payload, fit, problem


def plain(value: object) -> Any:
    """``value`` with numpy arrays and numbers as lists and floats (JSON-ready), floats to
    :data:`DIGITS` significant digits, non-finite as ``None``.

    >>> plain({"z": np.array([[1.23456789, np.nan]]), "n": np.int64(3)})
    {'z': [[1.23457, None]], 'n': 3}
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return _rounded(value).tolist()
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return plain(np.asarray(value)) if value.dtype.kind == "f" else value.item()
    if isinstance(value, float):
        return _rounded(np.asarray(value)).item()
    return value


def _rounded(v: np.ndarray) -> np.ndarray:
    """To :data:`DIGITS` significant digits; NaN and inf become ``None`` (object array)."""
    v = np.asarray(v, dtype=float)
    finite = np.isfinite(v)
    safe = np.where(finite & (v != 0), np.abs(v), 1.0)
    scale = 10.0 ** (DIGITS - 1 - np.floor(np.log10(safe)))
    out = np.where(finite, np.round(v * scale) / scale, 0.0)
    if finite.all():
        return out
    out = out.astype(object)
    out[~finite] = None
    return out
