"""The plane page's session logic as pure functions over a mutable mapping.

The plane page keeps its own mapping (in the app ``st.session_state["plane_session"]``, in
tests a plain ``dict``), so that the 1-D page's session (:mod:`convexviz.ui.session`) and
this one never share a key. It holds:

===============  ==================================================================
``state``        the :class:`~convexviz.ui.plane_state.PlaneState` (what the URL mirrors)
``notices``      messages about an invalid link, shown until the first change
``gen``          canvas generation: +1 whenever Python replaces the points itself
``seq``          last canvas snapshot applied (:mod:`convexviz.ui.canvas.protocol`)
``history``      earlier point sets, for undo (newest last)
``ranges``       the canvas axis ranges, kept while the points stay inside them
``data_error``   why typed or uploaded points were not taken (empty if none)
``fitted``       the points of the last fit the page showed (its warm start)
===============  ==================================================================

Every function only updates state (Streamlit widget callbacks must not compute).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import replace
from typing import Any

from ..datasets2d import PLANE_PRESETS, parse_plane_csv, random_plane_points
from .canvas import protocol
from .plane_state import (
    DEFAULT_PLANE_STATE,
    PlanePoints,
    decode_plane,
    parse_plane_points,
    sanitize_plane_points,
)
from .session import rebase_edit

#: Undo keeps at most this many earlier point sets.
HISTORY_LIMIT = 100

Session = MutableMapping[str, Any]


def init(session: Session, params: Mapping[str, str | list[str]]) -> None:
    """First run of the plane page in a session: the state from the URL (with notices)."""
    if "state" in session:
        return
    session["state"], session["notices"] = decode_plane(params)
    session.update(gen=0, seq=0, history=[], ranges=None, data_error="", fitted=None)


def set_state(session: Session, **changes: object) -> None:
    """Change fields of the plane state; any change retires the link notices."""
    session["state"] = replace(session["state"], **changes)
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
        session["history"] = [*session["history"], session["state"].points][-HISTORY_LIMIT:]
    if not from_canvas:  # the browser must drop local edits made on the old points
        session["gen"] += 1
        session["ranges"] = None
    set_state(session, points=sanitize_plane_points(points), preset=preset)
    session["data_error"] = ""


def apply_canvas_edit(session: Session, event: object) -> None:
    """A snapshot from the plane canvas (ignored if stale: ``protocol.apply_snapshot``)."""
    state = protocol.CanvasState(session["state"].points, session["gen"], session["seq"])
    new = protocol.apply_snapshot(state, event, sanitize=sanitize_plane_points)
    if new is None:
        return
    session["seq"] = new.seq
    if new.points != session["state"].points:
        set_points(session, new.points, from_canvas=True)


def load_preset(session: Session, name: str | None) -> None:
    """A preset's points with the beta it is meant for (unknown names change nothing)."""
    preset = PLANE_PRESETS.get(name or "")
    if preset is not None:
        set_points(session, preset.points, preset=name)
        set_state(session, beta=float(preset.beta))


def load_random(session: Session, n: int, seed: int) -> None:
    """``n`` random points (:func:`convexviz.datasets2d.random_plane_points`)."""
    set_points(session, random_plane_points(int(n), int(seed)))


def reset(session: Session) -> None:
    """Back to the points and beta an empty link shows."""
    set_points(session, DEFAULT_PLANE_STATE.points)
    set_state(session, beta=DEFAULT_PLANE_STATE.beta)


def undo(session: Session) -> None:
    """Back to the previous point set (if any)."""
    if session["history"]:
        *session["history"], previous = session["history"]
        set_points(session, previous, undo=True)


def set_label(session: Session, label: float) -> None:
    """What a click on empty space adds from now on (a class ``+1 / -1`` or a value)."""
    set_state(session, label=float(label))


def type_points(session: Session, text: str, drawn_from: PlanePoints | None = None) -> None:
    """Points typed as ``x1:x2:y, ...``; on any problem the old points stay, with a message.

    ``drawn_from`` are the points the text box showed when the student started typing. If
    the points changed since (a click on the canvas while the box was open), the typed edit
    is applied to the current points instead (:func:`convexviz.ui.session.rebase_edit`),
    so typing never undoes a click.
    """
    points, problems = parse_plane_points(text)
    if not points or problems:
        said = "; ".join(problems or ["no points given"])
        session["data_error"] = f"Points not changed: {said}"
        return
    current = session["state"].points
    if drawn_from is not None and drawn_from != current:
        points = rebase_edit(drawn_from, points, current)
    set_points(session, points)


def load_csv(session: Session, data: bytes) -> None:
    """Points from an uploaded CSV file (columns ``x1,x2,y``); on a problem the old stay."""
    try:
        points = parse_plane_csv(data.decode("utf-8", errors="replace"))
    except ValueError as err:
        session["data_error"] = f"CSV not loaded (points kept): {err}"
        return
    set_points(session, points)
