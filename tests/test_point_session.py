"""The session logic both pages share, for a page state of its own (no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass

from convexviz.ui.point_session import HISTORY_LIMIT, PointSession


@dataclass(frozen=True)
class Page:
    points: tuple = ()
    preset: str = ""
    beta: float = 1.0


def keep_even(points):
    """A sanitizer that tells itself apart: it keeps the points with an even first number."""
    return tuple(tuple(p) for p in points if p[0] % 2 == 0)


def decode_page(params):
    """A codec that tells itself apart: ``beta`` read as a number, or a notice."""
    try:
        return Page(beta=float(params["beta"])), []
    except (KeyError, ValueError):
        return Page(), ["no beta"]


LOGIC = PointSession("page", keep_even, decode_page, extra={"mine": 7})


def fresh() -> dict:
    return {"page": Page(), "notices": ["bad link"], "gen": 0, "seq": 0, "history": []}


def test_init_decodes_the_link_once_and_adds_the_pages_own_keys():
    s: dict = {}
    LOGIC.init(s, {"beta": "zero"})
    assert s["page"] == Page() and s["notices"] == ["no beta"] and s["mine"] == 7
    assert (s["gen"], s["seq"], s["history"], s["ranges"], s["data_error"]) == (0, 0, [], None, "")
    LOGIC.init(s, {"beta": "0.5"})  # a later run keeps the session's state
    assert s["page"] == Page()
    t: dict = {}
    PointSession("page", keep_even, decode_page).init(t, {"beta": "0.5"})
    assert t["page"] == Page(beta=0.5) and t["notices"] == [] and "mine" not in t


def test_state_lives_under_its_key_and_a_change_retires_the_notices():
    s = fresh()
    LOGIC.set_state(s, beta=0.5)
    assert s["page"] == Page(beta=0.5) and s["notices"] == []


def test_new_points_are_sanitized_with_the_pages_function_and_bump_the_generation():
    s = fresh()
    LOGIC.set_points(s, [(0, 1), (1, 1), (2, 3)], preset="two")
    assert s["page"].points == ((0, 1), (2, 3)) and s["page"].preset == "two"
    assert s["gen"] == 1 and s["ranges"] is None and s["data_error"] == ""
    assert s["history"] == [()]


def test_a_canvas_snapshot_is_sanitized_too_and_keeps_the_generation():
    s = fresh()
    LOGIC.apply_canvas_edit(s, {"seq": 1, "gen": 0, "op": "add", "points": [[4, 0], [5, 0]]})
    assert s["page"].points == ((4.0, 0.0),) and s["seq"] == 1 and s["gen"] == 0
    LOGIC.apply_canvas_edit(s, {"seq": 1, "gen": 0, "op": "add", "points": [[6, 0]]})
    assert s["page"].points == ((4.0, 0.0),)  # a resend of seq 1 is ignored


def test_undo_walks_back_through_a_bounded_history():
    s = fresh()
    for i in range(HISTORY_LIMIT + 5):
        LOGIC.set_points(s, [(2 * i, 0)])
    assert len(s["history"]) == HISTORY_LIMIT
    LOGIC.undo(s)
    assert s["page"].points == ((2 * (HISTORY_LIMIT + 3), 0),)
    assert len(s["history"]) == HISTORY_LIMIT - 1
    s["history"] = []
    LOGIC.undo(s)  # nothing to undo: nothing changes
    assert s["page"].points == ((2 * (HISTORY_LIMIT + 3), 0),)
