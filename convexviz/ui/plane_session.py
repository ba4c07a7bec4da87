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

from ..datasets2d import PLANE_PRESETS, parse_plane_csv, random_plane_points
from .plane_state import (
    DEFAULT_PLANE_STATE,
    PlanePoints,
    decode_plane,
    parse_plane_points,
    sanitize_plane_points,
)
from .point_session import PointSession, Session
from .session import rebase_edit

_PLANE = PointSession("state", sanitize_plane_points, decode_plane, extra={"fitted": None})


# Start a session, set the state, set points (with undo history), apply a canvas
# snapshot, undo: the logic both pages share (convexviz.ui.point_session).
init = _PLANE.init
set_state = _PLANE.set_state
set_points = _PLANE.set_points
apply_canvas_edit = _PLANE.apply_canvas_edit
undo = _PLANE.undo


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
