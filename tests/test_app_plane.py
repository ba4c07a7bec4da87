"""The plane page's wiring, driven by AppTest (no browser; the numerics are tested elsewhere)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from convexviz.datasets2d import PLANE_PRESETS, random_plane_points
from convexviz.plane import fit_plane
from convexviz.ui import plane_session
from convexviz.ui.plane_state import (
    DEFAULT_PLANE_STATE,
    decode_plane,
    encode_plane,
    format_plane_points,
)
from convexviz.ui.state import DEFAULT_STATE, encode
from tests.apptest import APP, TIMEOUT, params, texts

#: st.navigation names a page by the hash of its url_path (streamlit.navigation.page).
PLANE_PAGE = calc_hash("plane")


def run_plane(query: dict[str, str] | None = None) -> AppTest:
    """The plane page after its first run, opened with the query ``query``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at._page_hash = PLANE_PAGE  # AppTest.switch_page needs a page file; ours is a function
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def typed_box(at: AppTest):
    (box,) = [t for t in at.text_input if t.key.startswith("w_plane_typed_")]
    return box


def all_text(at: AppTest) -> str:
    parts = [*texts(at.markdown), *texts(at.caption), *texts(at.success), *texts(at.info)]
    parts += [*texts(at.warning), *texts(at.error)]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def default_plane() -> AppTest:
    return run_plane()


def test_plane_page_runs_and_shows_its_parts(default_plane):
    at = default_plane
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["The plane: a two-layer ReLU network, trained exactly"]
    assert at.select_slider(key="w_plane_beta").value == pytest.approx(DEFAULT_PLANE_STATE.beta)
    assert typed_box(at).value == format_plane_points(DEFAULT_PLANE_STATE.points)
    (status,) = texts(at.success)
    assert status.startswith("Certified optimal [PROVED for m ≥ m*]")
    text = all_text(at)
    assert "**133 activation patterns**" in text and "N² − N + 1 = 133" in text  # 12 points
    assert "at most N + 1 = 13" in text and "[PROVED]" in text
    assert any("min_{u_p" in e.value for e in at.latex)
    assert params(at) == encode_plane(DEFAULT_PLANE_STATE)


def test_the_numbers_are_the_engines(default_plane):
    xy = np.array(DEFAULT_PLANE_STATE.points)
    fit = fit_plane(xy[:, :2], xy[:, 2], DEFAULT_PLANE_STATE.beta, method="all")
    table = next(m for m in texts(default_plane.markdown) if "Convex program's optimum" in m)
    shown = float(table.split("Convex program's optimum | ")[1].split(" |")[0])
    assert shown == pytest.approx(fit.objective, rel=1e-5)


def test_a_link_restores_the_lesson():
    link = {"pts": "0:0:1,2:0:-1,0:2:-1,2:2:1,1:1:0.5", "beta": "0.2", "label": "-1"}
    at = run_plane(link)
    assert not at.exception and params(at) == link
    assert typed_box(at).value == link["pts"]
    assert at.select_slider(key="w_plane_beta").value == 0.2
    assert at.segmented_control(key="w_plane_kind").value == "class −1"
    assert "Regression" in all_text(at)  # a value among the targets: not two classes


def test_a_tampered_link_gives_notices_and_keeps_the_good_parts():
    at = run_plane({"pts": "0:0:1,1:x:1,2:2:-1,3:0:1", "beta": "-1", "evil": "<b>"})
    assert not at.exception
    notices = texts(at.warning)
    assert any("point 2 '1:x:1'" in n for n in notices)
    assert any("beta '-1'" in n for n in notices)
    assert params(at)["pts"] == "0:0:1,2:2:-1,3:0:1"
    assert params(at)["beta"] == encode_plane(DEFAULT_PLANE_STATE)["beta"]


@pytest.mark.parametrize("name", list(PLANE_PRESETS))
def test_every_preset_loads_and_is_certified(name):
    at = run_plane()
    at.selectbox(key="w_plane_preset").select(name).run()
    assert not at.exception and not at.error
    preset = PLANE_PRESETS[name]
    state, notices = decode_plane(params(at))
    assert notices == [] and state.points == preset.points and state.preset == name
    assert state.beta == preset.beta
    assert texts(at.success) and texts(at.success)[0].startswith("Certified optimal")
    assert any(preset.title in c for c in texts(at.caption))
    if name == "line":
        (info,) = [i for i in texts(at.info) if "1-D" in i]
        assert "equals the 1-D two-layer ReLU optimum" in info and "](./?pts=" in info


def test_the_line_lesson_links_the_same_data_on_the_1d_page():
    at = run_plane({"pts": format_plane_points(PLANE_PRESETS["line"].points), "beta": "0.05"})
    (info,) = [i for i in texts(at.info) if "1-D" in i]
    link = info.split("](")[1].rstrip(").")
    query = dict(part.split("=") for part in link.removeprefix("./?").split("&"))
    assert query["act"] == "relu" and query["depth"] == "2" and query["beta"] == "0.05"
    # The 1-D page opens it without notices: the same data, positions along the line.
    one_d = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        one_d.query_params[key] = value.replace("%3A", ":").replace("%2C", ",")
    one_d.run()
    assert not one_d.exception and not texts(one_d.warning)
    assert len(params(one_d)["pts"].split(",")) == len(PLANE_PRESETS["line"].points)


def test_a_bad_csv_is_said_and_the_points_stay():
    at = run_plane()
    before = params(at)["pts"]
    # What the uploader's callback does with the file (AppTest cannot upload one).
    plane_session.load_csv(at.session_state["plane_session"], b"x1,x2\n1,2\n")
    at.run()
    assert params(at)["pts"] == before
    (error,) = texts(at.error)
    assert error.startswith("CSV not loaded (points kept): ")


def test_typed_points_and_bad_typed_points():
    at = run_plane()
    typed_box(at).input("0:0:1, 1:0:-1, 0:1:-1").run()
    assert params(at)["pts"] == "0:0:1,1:0:-1,0:1:-1" and not at.exception
    typed_box(at).input("0:0:1,oops").run()
    assert params(at)["pts"] == "0:0:1,1:0:-1,0:1:-1"
    assert any("Points not changed: point 2 'oops'" in e for e in texts(at.error))


def test_label_control_sets_what_a_click_adds():
    at = run_plane()
    at.segmented_control(key="w_plane_kind").set_value("a value").run()
    assert params(at)["label"] == "0.5"
    at.number_input(key="w_plane_value").set_value(2.5).run()
    assert params(at)["label"] == "2.5"
    at.segmented_control(key="w_plane_kind").set_value("class +1").run()
    assert "label" not in params(at)


def test_random_points_undo_reset_and_beta():
    at = run_plane()
    at.number_input(key="w_plane_n").set_value(9).run()
    at.button(key="w_plane_random").click().run()
    assert decode_plane(params(at))[0].points == random_plane_points(9, 0)
    at.button(key="w_plane_undo").click().run()
    assert decode_plane(params(at))[0].points == DEFAULT_PLANE_STATE.points
    at.select_slider(key="w_plane_beta").set_value(0.5).run()
    assert params(at)["beta"] == "0.5" and not at.exception
    at.button(key="w_plane_reset").click().run()
    assert params(at) == encode_plane(DEFAULT_PLANE_STATE)


def test_canvas_edits_reach_the_session_and_the_url():
    at = run_plane({"pts": "0:0:1,1:0:-1", "beta": "0.1"})
    ps = at.session_state["plane_session"]
    event = {"seq": 1, "gen": ps["gen"], "op": "add", "points": [[0, 0, 1], [1, 0, -1], [0, 1, 1]]}
    plane_session.apply_canvas_edit(ps, event)
    at.run()
    assert params(at)["pts"] == "0:0:1,1:0:-1,0:1:1"


def test_the_plane_session_pickles(default_plane):
    pickle.dumps(default_plane.session_state["plane_session"])


def test_the_1d_page_is_unaffected():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and params(at) == encode(DEFAULT_STATE)
    assert "plane_session" not in at.session_state
    assert all(not t.key.startswith("w_plane") for t in at.text_input)


@pytest.mark.parametrize("points", [[[0, 0, 1]], [[0, 0, 1], [0, 0, -1]], []])
def test_degenerate_point_sets_never_break_the_page(points):
    """One point, one location with two labels, and every point deleted on the canvas."""
    at = run_plane({"pts": "0:0:1,1:1:-1", "beta": "0.1"})
    ps = at.session_state["plane_session"]
    event = {"seq": 1, "gen": ps["gen"], "op": "delete", "points": points}
    plane_session.apply_canvas_edit(ps, event)
    at.run()
    assert not at.exception and not at.error
    if points:
        assert texts(at.success) and texts(at.success)[0].startswith("Certified optimal")
    else:
        assert any("Click anywhere" in i for i in texts(at.info))
