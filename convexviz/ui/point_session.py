"""The session logic both pages share: a page state whose points a canvas edits, with undo.

Each page keeps its state (a frozen dataclass with ``points`` and ``preset`` fields) in a
mutable session mapping under its own key, next to the keys this module updates:

=============  ====================================================================
``notices``    messages about an invalid link, shown until the first change
``gen``        canvas generation: +1 whenever Python replaces the points itself
``seq``        last canvas snapshot applied (:mod:`convexviz.ui.canvas.protocol`)
``history``    earlier point sets, for undo (newest last, at most ``HISTORY_LIMIT``)
``ranges``     the canvas axis ranges (``None``: chosen anew for new points)
``data_error`` why typed or uploaded points were not taken (empty if none)
=============  ====================================================================

:mod:`convexviz.ui.session` (the line) and :mod:`convexviz.ui.plane_session` (the plane)
each make one :class:`PointSession` and offer its methods as their functions. Every method
only updates state (Streamlit widget callbacks must not compute).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .canvas import protocol

#: Undo keeps at most this many earlier point sets.
HISTORY_LIMIT = 100

Session = MutableMapping[str, Any]


@dataclass(frozen=True)
class PointSession:
    """Start a session, set state, set points (with history) and undo, for one page.

    Parameters
    ----------
    state_key : str
        Where the page's state lives in the session mapping.
    sanitize : callable
        Cleans points as the page's canvas protocol does (finite numbers, the right number
        of coordinates); applied to every new point set and to canvas snapshots.
    decode : callable
        The page's URL codec: query parameters -> (state, notices); never raises.
    extra : mapping, optional
        The page's own session keys with their first values.
    """

    state_key: str
    sanitize: Callable[[Sequence[Sequence[float]]], tuple]
    decode: Callable[[Mapping[str, str | list[str]]], tuple[Any, list[str]]]
    extra: Mapping[str, object] = field(default_factory=dict)

    def init(self, session: Session, params: Mapping[str, str | list[str]]) -> None:
        """First run of the page in a session: the state from the URL (with notices)."""
        if self.state_key in session:
            return
        session[self.state_key], session["notices"] = self.decode(params)
        session.update(gen=0, seq=0, history=[], ranges=None, data_error="", **self.extra)

    def set_state(self, session: Session, **changes: object) -> None:
        """Change fields of the page state; any change retires the link notices."""
        session[self.state_key] = replace(session[self.state_key], **changes)
        session["notices"] = []

    def set_points(
        self,
        session: Session,
        points: Sequence[Sequence[float]],
        *,
        from_canvas: bool = False,
        preset: str = "",
        undo: bool = False,
    ) -> None:
        """New points; unless they come from the canvas, the canvas generation goes up.

        The points shown before go to the undo history (unless this *is* an undo), and a
        point set from Python (not the canvas) makes the browser drop its local edits and
        the axis ranges be chosen anew.
        """
        if not undo:
            before = session[self.state_key].points
            session["history"] = [*session["history"], before][-HISTORY_LIMIT:]
        if not from_canvas:  # the browser must drop local edits made on the old points
            session["gen"] += 1
            session["ranges"] = None
        self.set_state(session, points=self.sanitize(points), preset=preset)
        session["data_error"] = ""

    def apply_canvas_edit(self, session: Session, event: object) -> None:
        """A snapshot from the canvas (ignored if stale, see ``protocol.apply_snapshot``)."""
        points = session[self.state_key].points
        state = protocol.CanvasState(points, session["gen"], session["seq"])
        new = protocol.apply_snapshot(state, event, sanitize=self.sanitize)
        if new is None:
            return
        session["seq"] = new.seq
        if new.points != points:
            self.set_points(session, new.points, from_canvas=True)

    def undo(self, session: Session) -> None:
        """Back to the previous point set (if any)."""
        if session["history"]:
            *session["history"], previous = session["history"]
            self.set_points(session, previous, undo=True)
