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

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import replace
from typing import Any

from ..datasets import PRESETS, parse_csv
from .canvas import protocol
from .state import decode, parse_points_param

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


def type_points(session: Session, text: str) -> None:
    """Points typed as ``x:y,x:y`` (the URL codec); on a problem the old points stay."""
    points, problems = parse_points_param(text.replace(" ", ""))
    if points and not problems:
        set_points(session, points)
    else:
        session["data_error"] = "Points not changed: " + "; ".join(problems or ["no points given"])


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
