"""The plane page's URL codec: its state as a short, shareable query string (DESIGN.md §10).

``/plane?pts=-1:-1:1,1:1:1,-1:1:-1,1:-1:-1&beta=0.05``

==========  ===========  =========================================================
key         field        text
==========  ===========  =========================================================
``pts``     ``points``   ``x1:x2:y`` triples separated by commas
``beta``    ``beta``     a positive number, at most ``MAX_ABS_VALUE``
``label``   ``label``    what a click adds: ``1``, ``-1`` or any value (regression)
``preset``  ``preset``   a name from ``PLANE_PRESETS``
==========  ===========  =========================================================

``pts`` and ``beta`` are always written, the others only when they differ from
:data:`DEFAULT_PLANE_STATE`. Decoding is a whitelist: unknown keys are ignored, every value is
parsed by a strict regular expression (never ``eval``, never ``pickle``), and decoding never
raises. A tampered link keeps every good part: a malformed point is dropped (the others
stay), an invalid value falls back to its default, and each repair is said in a notice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ..datasets2d import PLANE_PRESETS
from ..limits import MAX_ABS_VALUE, MAX_ABS_VALUE_TEXT, MAX_PLANE_POINTS
from .state import _get, _parse_number, _quote, format_number

#: A point of the plane with its target: ``(x1, x2, y)``.
PlanePoint = tuple[float, float, float]
PlanePoints = tuple[PlanePoint, ...]

#: Malformed points named one by one in a link's notices; beyond that, only counted.
NAMED_BAD_POINTS = 3

#: Significant digits kept for a coordinate (drops float noise from pixel conversions).
_DIGITS = 10


@dataclass(frozen=True)
class PlaneState:
    """Everything a link to the plane page restores.

    Parameters
    ----------
    points : tuple of (x1, x2, y)
        Training points ``x = (x1, x2)`` with targets ``y`` (``+1 / -1`` for two classes,
        any number for regression); at most ``MAX_PLANE_POINTS``, no exact repeats.
    beta : float
        Weight decay of THEORY_2D §1, ``0 < beta <= MAX_ABS_VALUE``.
    label : float
        The target ``y`` a click on empty space gives its new point.
    preset : str
        Name of the preset the points came from (empty if none).
    """

    points: PlanePoints
    beta: float
    label: float = 1.0
    preset: str = ""


def _default() -> PlaneState:
    xor = PLANE_PRESETS["xor"]
    return PlaneState(points=sanitize_plane_points(xor.points), beta=float(xor.beta))


def sanitize_plane_points(raw: object, limit: int = MAX_PLANE_POINTS) -> PlanePoints:
    """Keep only well-formed, finite, moderate, distinct ``(x1, x2, y)`` triples.

    Items that are not three numbers, hold NaN/inf, or a value beyond ``MAX_ABS_VALUE`` are
    dropped; values are rounded to 10 significant digits; exact repeats keep their first
    occurrence (one location with two targets is legal data); at most ``limit`` are kept.

    >>> sanitize_plane_points([[0, 1, 1], [0, 1, 1], [0, 1, -1], ["a", 2, 1], [2e7, 0, 1]])
    ((0.0, 1.0, 1.0), (0.0, 1.0, -1.0))
    """
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        return ()
    seen: set[PlanePoint] = set()
    points: list[PlanePoint] = []
    for item in raw:
        point = _triple(item)
        if point is None or point in seen:
            continue
        seen.add(point)
        points.append(point)
        if len(points) >= limit:
            break
    return tuple(points)


def _triple(item: object) -> PlanePoint | None:
    if not isinstance(item, Sequence) or isinstance(item, str | bytes) or len(item) != 3:
        return None
    values = []
    for v in item:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return None
        v = float(v)
        if not math.isfinite(v) or abs(v) > MAX_ABS_VALUE:
            return None
        values.append(_round(v))
    return values[0], values[1], values[2]


def _round(v: float) -> float:
    if v == 0.0:
        return 0.0
    return round(v, _DIGITS - 1 - math.floor(math.log10(abs(v))))


def format_plane_points(points: PlanePoints) -> str:
    """``((0, 0, 1), (4, 1.5, -1))`` -> ``"0:0:1,4:1.5:-1"`` (the ``pts`` text; the text box)."""
    return ",".join(":".join(format_number(v) for v in p) for p in points)


def parse_plane_points(text: str) -> tuple[PlanePoints, list[str]]:
    """Parse ``x1:x2:y`` triples strictly; keep every good one and say what was dropped.

    Malformed triples (not three numbers within ``MAX_ABS_VALUE``) are dropped with a
    notice; exact repeats are dropped (counted in a notice); beyond ``MAX_PLANE_POINTS``
    the first ``MAX_PLANE_POINTS`` are kept, with a notice. Spaces are ignored.

    >>> parse_plane_points("0:0:1, 1:2:-1")
    (((0.0, 0.0, 1.0), (1.0, 2.0, -1.0)), [])
    >>> points, notices = parse_plane_points("0:0:1,x:1:1,0:0:1")
    >>> points
    ((0.0, 0.0, 1.0),)
    >>> for notice in notices: print(notice)
    point 2 'x:1:1' is not x1:x2:y with numbers within +-1e6; dropped
    1 repeated point dropped
    """
    chunks = text.replace(" ", "").split(",") if text.strip() else []
    notices: list[str] = []
    good: list[PlanePoint] = []
    bad: list[str] = []
    for k, chunk in enumerate(chunks, start=1):
        parts = chunk.split(":")
        values = [_parse_number(p) for p in parts] if len(parts) == 3 else [None]
        if any(v is None for v in values):
            bad.append(f"point {k} {_quote(chunk)}")
            continue
        good.append((values[0], values[1], values[2]))
    rule = f"is not x1:x2:y with numbers within +-{MAX_ABS_VALUE_TEXT}; dropped"
    notices += [f"{name} {rule}" for name in bad[:NAMED_BAD_POINTS]]
    if len(bad) > NAMED_BAD_POINTS:
        notices.append(f"{len(bad) - NAMED_BAD_POINTS} more points are not x1:x2:y; dropped")
    points = sanitize_plane_points(good, limit=len(good) + 1)
    if len(points) < len(good):
        repeats = len(good) - len(points)
        notices.append(f"{repeats} repeated point{'s' * (repeats != 1)} dropped")
    if len(points) > MAX_PLANE_POINTS:
        notices.append(
            f"{len(points)} points; kept the first {MAX_PLANE_POINTS} (the limit of the plane)"
        )
        points = points[:MAX_PLANE_POINTS]
    return points, notices


def encode_plane(state: PlaneState) -> dict[str, str]:
    """The query parameters of ``state`` (all values are plain text).

    >>> encode_plane(PlaneState(((0, 0, 1), (1, 0, -1)), 0.05, label=-1))
    {'pts': '0:0:1,1:0:-1', 'beta': '0.05', 'label': '-1'}
    """
    params = {"pts": format_plane_points(state.points), "beta": format_number(state.beta)}
    if state.label != DEFAULT_PLANE_STATE.label:
        params["label"] = format_number(state.label)
    if state.preset:
        params["preset"] = state.preset
    return params


def decode_plane(params: Mapping[str, str | list[str]]) -> tuple[PlaneState, list[str]]:
    """Read a plane state from query parameters; never raises.

    Parameters
    ----------
    params : mapping of str to str or list of str
        For example ``st.query_params.to_dict()``; for a list, the last value is used.

    Returns
    -------
    state : PlaneState
        Valid values from ``params``, :data:`DEFAULT_PLANE_STATE`'s for missing or invalid
        ones (the default points only if no good point is left).
    notices : list of str
        One sentence per repair, safe to show as Markdown (quoted values are shortened and
        reduced to safe characters).
    """
    notices: list[str] = []
    values: dict[str, object] = {}
    for key, (name, parse) in _FIELDS.items():
        text, garbled = _get(params, key)
        if text is None and not garbled:
            continue
        value, said = parse(text) if text is not None else (None, [f"{key} is not text"])
        if value is None:
            default = getattr(DEFAULT_PLANE_STATE, name)
            shown = "the default points" if name == "points" else _show(default)
            notices += said[:-1] + [f"{said[-1]}; using {shown}"]
            continue
        notices += said
        values[name] = value
    return replace(DEFAULT_PLANE_STATE, **values), notices


# One parser per key: text -> (value or None for "use the default", notices).


def _parse_points(text: str) -> tuple[PlanePoints | None, list[str]]:
    if not text.strip():
        return None, ["pts is empty"]
    points, notices = parse_plane_points(text)
    if not points:
        last = notices[-1].removesuffix("; dropped") if notices else "pts has no points"
        return None, notices[:-1] + [last]
    return points, notices


def _parse_beta(text: str) -> tuple[float | None, list[str]]:
    value = _parse_number(text)
    if value is None or value <= 0:
        return None, [f"beta {_quote(text)} is not a positive number up to {MAX_ABS_VALUE_TEXT}"]
    return value, []


def _parse_label(text: str) -> tuple[float | None, list[str]]:
    value = _parse_number(text)
    if value is None:
        return None, [f"label {_quote(text)} is not a number within +-{MAX_ABS_VALUE_TEXT}"]
    return value, []


def _parse_preset(text: str) -> tuple[str | None, list[str]]:
    name = text.strip()
    if name == "" or name in PLANE_PRESETS:
        return name, []
    return None, [f"preset {_quote(text)} is not one of {', '.join(PLANE_PRESETS)}"]


_FIELDS = {
    "pts": ("points", _parse_points),
    "beta": ("beta", _parse_beta),
    "label": ("label", _parse_label),
    "preset": ("preset", _parse_preset),
}


def _show(value: object) -> str:
    if isinstance(value, float):
        return format_number(value)
    return str(value) if value else "none"


#: What an empty link shows: the XOR preset's points and beta, clicks adding class +1.
DEFAULT_PLANE_STATE = _default()
