"""The app's session logic as pure functions over a mutable mapping.

In the app the mapping is ``st.session_state``; in tests a plain ``dict``. It holds:

=============  ====================================================================
``app``        the :class:`convexviz.ui.state.AppState` (what the URL mirrors)
``notices``    messages about an invalid link, shown until the first change
``gen``        canvas generation: +1 whenever Python replaces the points itself
``seq``        last canvas snapshot applied (see :mod:`convexviz.ui.canvas.protocol`)
``history``    earlier point sets, for undo (newest last)
``ranges``     the canvas axis ranges, kept while points stay inside them
``data_error`` why typed or uploaded points were not taken (empty if none)
=============  ====================================================================

Every function only updates state (Streamlit widget callbacks must not compute).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import replace
from typing import Any

from ..datasets import PRESETS, parse_csv
from .canvas import protocol
from .state import Points, decode, format_number, parse_points_param

#: Undo keeps at most this many earlier point sets.
HISTORY_LIMIT = 100

Session = MutableMapping[str, Any]


def init(session: Session, params: Mapping[str, str | list[str]]) -> None:
    """First run of a session: the state from the URL (invalid values give notices)."""
    if "app" in session:
        return
    session["app"], session["notices"] = decode(params)
    session.update(gen=0, seq=0, history=[], ranges=None, data_error="")


def set_app(session: Session, **changes: object) -> None:
    """Change fields of the app state; any change retires the link notices."""
    session["app"] = replace(session["app"], **changes)
    session["notices"] = []


def set_points(
    session: Session,
    points: Sequence[Sequence[float]],
    *,
    from_canvas: bool = False,
    preset: str = "",
    undo: bool = False,
) -> None:
    """New points; unless they come from the canvas, the canvas generation goes up."""
    if not undo:
        session["history"] = [*session["history"], session["app"].points][-HISTORY_LIMIT:]
    points = protocol.sanitize_points(points)
    if not from_canvas:  # the browser must drop local edits made on the old points
        session["gen"] += 1
        session["ranges"] = None
    set_app(session, points=points, preset=preset)
    session["data_error"] = ""


def apply_canvas_edit(session: Session, event: object) -> None:
    """A snapshot from the canvas (ignored if stale, see ``protocol.apply_snapshot``)."""
    state = protocol.CanvasState(session["app"].points, session["gen"], session["seq"])
    new = protocol.apply_snapshot(state, event)
    if new is None:
        return
    session["seq"] = new.seq
    if new.points != session["app"].points:
        set_points(session, new.points, from_canvas=True)


def load_preset(session: Session, name: str | None) -> None:
    """A preset's points with the activation, depth and beta it is meant for."""
    preset = PRESETS.get(name or "")
    if preset is not None:
        set_points(session, preset.points, preset=preset.name)
        set_app(session, activation=preset.activation, depth=preset.depth, beta=preset.beta)


def type_points(session: Session, text: str, drawn_from: Points | None = None) -> None:
    """Points typed as ``x:y,x:y`` (the URL codec); on a problem the old points stay.

    ``drawn_from`` are the points the text box showed when the student started typing. If
    the points changed since (a click on the canvas while the box was open), the typed
    edit is applied to the current points instead (:func:`rebase_edit`), so that typing
    never undoes a click.
    """
    points, problems = parse_points_param(text.replace(" ", ""))
    if not points or problems:
        session["data_error"] = "Points not changed: " + "; ".join(problems or ["no points given"])
        return
    current = session["app"].points
    if drawn_from is not None and _keys(drawn_from) != _keys(current):
        points = rebase_edit(drawn_from, points, current)
    set_points(session, points)


def rebase_edit(base: Points, edited: Points, current: Points) -> Points:
    """Apply the edit ``base -> edited`` to ``current`` (a three-way merge of point lists).

    The points removed from ``base`` are removed from ``current`` (once each, if still
    there) and the points added are appended, in the order typed. Points compare as the URL
    codec writes them, so a point read back from the text matches the one it came from.

    >>> rebase_edit(((0, 0), (1, 1)), ((0, 0), (1, 1), (3, 1)), ((0, 0), (1, 1), (2, 5)))
    ((0, 0), (1, 1), (2, 5), (3, 1))
    >>> rebase_edit(((0, 0), (1, 1)), ((1, 1),), ((0, 0), (1, 1), (2, 5)))
    ((1, 1), (2, 5))
    """
    removed = Counter(_keys(base)) - Counter(_keys(edited))
    added = Counter(_keys(edited)) - Counter(_keys(base))
    kept = []
    for point, key in zip(current, _keys(current), strict=True):
        if removed[key] > 0:
            removed[key] -= 1
        else:
            kept.append(point)
    for point, key in zip(edited, _keys(edited), strict=True):
        if added[key] > 0:
            added[key] -= 1
            kept.append(point)
    return tuple(kept)


def _keys(points: Sequence[Sequence[float]]) -> tuple[tuple[str, ...], ...]:
    """Each point as the URL codec writes it (any number of coordinates: the plane's too)."""
    return tuple(tuple(format_number(v) for v in point) for point in points)


def load_csv(session: Session, data: bytes) -> None:
    """Points from an uploaded CSV file (columns ``x,y``); on a problem the old points stay."""
    try:
        set_points(session, parse_csv(data.decode("utf-8", errors="replace")))
    except ValueError as err:
        session["data_error"] = f"CSV not loaded (points kept): {err}"


def undo(session: Session) -> None:
    """Back to the previous point set (if any)."""
    if session["history"]:
        *session["history"], previous = session["history"]
        set_points(session, previous, undo=True)
