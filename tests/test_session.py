"""Session logic of the app (convexviz/ui/session.py) on a plain dict, without Streamlit."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from convexviz.datasets import PRESETS
from convexviz.ui import session as appsession
from convexviz.ui.state import DEFAULT_STATE


def session(**params: str) -> dict:
    s: dict = {}
    appsession.init(s, params)
    return s


def test_init_reads_the_url_once_and_reports_invalid_values():
    s = session(pts="0:0,1:1", act="abs", depth="nope")
    assert s["app"].points == ((0.0, 0.0), (1.0, 1.0)) and s["app"].activation == "abs"
    assert len(s["notices"]) == 1 and "depth" in s["notices"][0]
    appsession.init(s, {"pts": "5:5"})  # a rerun does not read the URL again
    assert s["app"].points == ((0.0, 0.0), (1.0, 1.0))
    pickle.dumps(s)  # everything stored is plain and picklable


def test_python_side_changes_bump_gen_and_are_undoable():
    s = session()
    appsession.load_preset(s, "zshape")
    assert s["gen"] == 1 and s["app"].points == PRESETS["zshape"].points
    assert s["app"].preset == "zshape" and s["notices"] == []
    appsession.type_points(s, "0:0, 2:1")
    assert s["gen"] == 2 and s["app"].points == ((0.0, 0.0), (2.0, 1.0)) and not s["app"].preset
    appsession.undo(s)
    assert s["gen"] == 3 and s["app"].points == PRESETS["zshape"].points
    appsession.undo(s)
    assert s["app"].points == DEFAULT_STATE.points
    appsession.undo(s)  # nothing left: no change
    assert s["app"].points == DEFAULT_STATE.points and s["history"] == []


def test_canvas_edits_keep_gen_and_apply_only_newer_snapshots():
    s = session()
    pts = [list(p) for p in DEFAULT_STATE.points] + [[12, 1]]
    appsession.apply_canvas_edit(s, {"seq": 1, "gen": 0, "op": "add", "points": pts})
    assert s["gen"] == 0 and s["seq"] == 1 and len(s["app"].points) == 7
    appsession.apply_canvas_edit(s, {"seq": 1, "gen": 0, "op": "add", "points": pts[:2]})
    assert len(s["app"].points) == 7  # a resend of seq 1 changes nothing
    appsession.load_preset(s, "vee")  # gen 1: older snapshots are stale now
    appsession.apply_canvas_edit(s, {"seq": 2, "gen": 0, "op": "add", "points": pts})
    assert s["app"].points == PRESETS["vee"].points


def test_bad_typed_points_and_csv_keep_the_points_and_explain():
    s = session()
    appsession.type_points(s, "1:2,3")
    assert "Points not changed" in s["data_error"] and s["app"].points == DEFAULT_STATE.points
    appsession.load_csv(s, b"x,y\n1,2\n3,oops\n")
    assert "CSV not loaded" in s["data_error"] and "oops" in s["data_error"]
    appsession.load_csv(s, b"x,y\n1,2\n3,4\n")
    assert s["data_error"] == "" and s["app"].points == ((1.0, 2.0), (3.0, 4.0))


def test_typing_after_a_canvas_click_keeps_the_clicked_point():
    """Issue 7.9: the box showed 0:0,1:1,2:0; a click added 1.5:2; then ',3:1' was typed."""
    s = session(pts="0:0,1:1,2:0")
    shown = s["app"].points  # what the text box was drawn from
    clicked = [[0, 0], [1, 1], [2, 0], [1.5, 2]]
    appsession.apply_canvas_edit(s, {"seq": 1, "gen": 0, "op": "add", "points": clicked})
    appsession.type_points(s, "0:0,1:1,2:0,3:1", drawn_from=shown)
    assert s["app"].points == ((0, 0), (1, 1), (2, 0), (1.5, 2), (3, 1))


def test_typing_applies_deletions_and_moves_against_the_current_points():
    s = session(pts="0:0,1:1,2:0")
    shown = s["app"].points
    appsession.apply_canvas_edit(
        s, {"seq": 1, "gen": 0, "op": "add", "points": [[0, 0], [1, 1], [2, 0], [5, 5]]}
    )
    appsession.type_points(s, "0:0,1:3", drawn_from=shown)  # deleted 2:0, moved 1:1 -> 1:3
    assert s["app"].points == ((0, 0), (5, 5), (1, 3))
    # Nothing changed since the box was drawn: the typed list is taken as it is, in its order.
    appsession.type_points(s, "5:5,0:0", drawn_from=s["app"].points)
    assert s["app"].points == ((5, 5), (0, 0))


@given(
    st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), max_size=8),
    st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), max_size=8),
)
def test_rebase_onto_the_same_points_is_the_edit_itself(base, edited):
    """With no concurrent change the merge returns the typed points (as multisets)."""
    base, edited = tuple(base), tuple(edited)
    merged = appsession.rebase_edit(base, edited, base)
    assert sorted(merged) == sorted(edited)
