"""The plane page's session logic, on a plain dict (no Streamlit)."""

from __future__ import annotations

import pickle

import pytest

from convexviz.datasets2d import PLANE_PRESETS, random_plane_points
from convexviz.limits import MAX_PLANE_POINTS
from convexviz.ui import plane_session as ps
from convexviz.ui.plane_state import DEFAULT_PLANE_STATE, decode_plane

LINK = {"pts": "0:0:1,1:0:-1,0:1:-1", "beta": "0.2", "label": "-1"}


@pytest.fixture
def session() -> dict:
    s: dict = {}
    ps.init(s, LINK)
    return s


def test_init_reads_the_link_once(session):
    assert session["state"] == decode_plane(LINK)[0] and session["notices"] == []
    ps.init(session, {"beta": "0.9"})  # a later run keeps the session's state
    assert session["state"].beta == 0.2


def test_a_bad_link_gives_notices_that_the_first_change_retires():
    s: dict = {}
    ps.init(s, {"beta": "zero"})
    assert s["notices"] and s["state"].beta == DEFAULT_PLANE_STATE.beta
    ps.set_label(s, -1.0)
    assert s["notices"] == []


def snapshot(session, points, seq=None, gen=None):
    return {
        "seq": session["seq"] + 1 if seq is None else seq,
        "gen": session["gen"] if gen is None else gen,
        "op": "add",
        "points": points,
    }


def test_canvas_snapshots_apply_once_and_keep_the_generation(session):
    new = [[0, 0, 1], [1, 0, -1], [0, 1, -1], [2, 2, -1]]
    ps.apply_canvas_edit(session, snapshot(session, new))
    assert session["state"].points[-1] == (2, 2, -1) and session["gen"] == 0
    assert session["seq"] == 1 and len(session["history"]) == 1
    ps.apply_canvas_edit(session, snapshot(session, new[:1], seq=1))  # a resend: ignored
    assert len(session["state"].points) == 4


def test_stale_or_malformed_snapshots_are_ignored(session):
    before = session["state"]
    ps.apply_canvas_edit(session, snapshot(session, [[5, 5, 1]], gen=7))
    ps.apply_canvas_edit(session, "not a snapshot")
    ps.apply_canvas_edit(session, {"seq": 3, "gen": 0})
    assert session["state"] == before


def test_canvas_points_are_sanitized(session):
    ps.apply_canvas_edit(session, snapshot(session, [[0, 0, 1], [0, 0, 1], ["x", 1, 1], [1, 1]]))
    assert session["state"].points == ((0, 0, 1),)


def test_python_changes_raise_the_generation_and_undo_goes_back(session):
    first = session["state"].points
    ps.load_preset(session, "disc")
    assert session["state"].points == PLANE_PRESETS["disc"].points
    assert session["state"].preset == "disc" and session["gen"] == 1
    assert session["state"].beta == PLANE_PRESETS["disc"].beta
    ps.load_random(session, 7, 3)
    assert session["state"].points == random_plane_points(7, 3) and session["gen"] == 2
    assert session["state"].preset == ""
    ps.undo(session)
    assert session["state"].points == PLANE_PRESETS["disc"].points
    ps.undo(session)
    assert session["state"].points == first and session["gen"] == 4
    ps.undo(session)  # nothing left: nothing changes
    assert session["state"].points == first
    ps.reset(session)
    assert session["state"].points == DEFAULT_PLANE_STATE.points
    assert session["state"].beta == DEFAULT_PLANE_STATE.beta


def test_unknown_preset_changes_nothing(session):
    before = dict(session)
    ps.load_preset(session, "nope")
    assert session == before


def test_typed_points_replace_and_bad_text_keeps_the_points(session):
    ps.type_points(session, "0:0:1, 3:3:-1")
    assert session["state"].points == ((0, 0, 1), (3, 3, -1)) and session["data_error"] == ""
    ps.type_points(session, "0:0:1,3:3")
    assert session["state"].points == ((0, 0, 1), (3, 3, -1))
    assert session["data_error"].startswith("Points not changed: point 2 '3:3'")
    ps.type_points(session, "")
    assert "no points given" in session["data_error"]


def test_a_typed_edit_is_rebased_onto_a_click_made_meanwhile(session):
    shown = session["state"].points  # the box showed these
    clicked = [list(p) for p in shown] + [[5, 5, 1]]
    ps.apply_canvas_edit(session, snapshot(session, clicked))
    ps.type_points(session, "0:0:1,1:0:-1,0:1:-1,9:9:-1", drawn_from=shown)
    assert session["state"].points == ((0, 0, 1), (1, 0, -1), (0, 1, -1), (5, 5, 1), (9, 9, -1))


def test_csv_upload_and_a_bad_file(session):
    ps.load_csv(session, b"x1,x2,y\n0,0,1\n1,1,-1\n")
    assert session["state"].points == ((0, 0, 1), (1, 1, -1))
    ps.load_csv(session, b"x,y\n0,1\n")
    assert session["state"].points == ((0, 0, 1), (1, 1, -1))
    assert session["data_error"].startswith("CSV not loaded (points kept): ")
    rows = "\n".join(f"{k},0,1" for k in range(MAX_PLANE_POINTS + 1)).encode()
    ps.load_csv(session, rows)
    assert "too many points" in session["data_error"]


def test_the_session_pickles(session):
    ps.load_preset(session, "xor")
    assert pickle.loads(pickle.dumps(session)) == session
