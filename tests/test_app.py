"""The Streamlit app's wiring, driven by AppTest (no browser; numerics are tested elsewhere)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from convexviz import Architecture
from convexviz.cost import max_points, refusal
from convexviz.datasets import PRESETS
from convexviz.ui.state import DEFAULT_STATE, encode, format_points
from tests.apptest import APP, params, run, texts


def typed_box(at: AppTest):
    (box,) = at.text_input
    return box


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    return run()


def test_app_runs_and_shows_the_main_parts(default_app):
    at = default_app
    assert not at.exception
    assert not at.error
    assert at.selectbox(key="w_act").value == "relu"
    assert at.select_slider(key="w_depth").value == 3
    assert at.select_slider(key="w_beta").value == pytest.approx(1e-3)
    assert at.toggle(key="w_dict").value is False
    assert {b.label for b in at.button} >= {"Random points", "Undo", "Reset"}
    assert typed_box(at).value == format_points(DEFAULT_STATE.points)
    assert any("min_{z" in e.value for e in at.latex)
    (status,) = texts(at.success)
    assert "neuron" in status and "solved in" in status and "certified optimal" in status
    assert any("Duality gap" in c for c in texts(at.caption))
    assert any("candidate features" in c for c in texts(at.caption))
    assert any("[PROVED-HERE]" in m for m in texts(at.markdown))  # relu depth 3, THEORY §4.3
    table = next(m for m in texts(at.markdown) if "Lasso optimum" in m)
    assert "rebuilt network" in table  # both objectives, side by side


def test_default_state_is_written_to_the_url(default_app):
    assert params(default_app) == encode(DEFAULT_STATE)


def test_session_state_of_the_app_is_picklable(default_app):
    # enforceSerializableSessionState is off only because of a Streamlit 1.67 bug in keyed
    # CCv2 components (see .streamlit/config.toml); everything the app stores must pickle.
    for key in ("app", "notices", "gen", "seq", "history", "ranges", "data_error"):
        pickle.dumps(default_app.session_state[key])


def test_url_round_trip_restores_points_and_settings():
    wanted = {"pts": "0:0,1:1,2:0,3:1.5", "act": "abs", "depth": "3", "beta": "0.01"}
    at = run({**wanted, "dict": "1"})
    assert not at.exception and not at.warning
    assert at.selectbox(key="w_act").value == "abs"
    assert at.select_slider(key="w_depth").value == 3
    assert at.select_slider(key="w_beta").value == pytest.approx(0.01)
    assert at.toggle(key="w_dict").value is True
    assert typed_box(at).value == wanted["pts"]
    assert params(at) == {**wanted, "dict": "1"}


def test_invalid_url_values_fall_back_with_a_visible_notice():
    at = run({"pts": "1:2,oops", "act": "tanh", "depth": "x", "beta": "-3", "zzz": "1"})
    assert not at.exception
    notices = " ".join(texts(at.warning))
    for word in ("pts", "tanh", "depth", "beta"):
        assert word in notices
    assert at.selectbox(key="w_act").value == DEFAULT_STATE.activation
    assert params(at) == encode(DEFAULT_STATE)


def test_preset_loads_points_and_settings():
    at = run()
    at.selectbox(key="w_preset").set_value("abs_reflection").run()
    assert not at.exception
    preset = PRESETS["abs_reflection"]
    assert params(at)["pts"] == format_points(preset.points)
    assert params(at)["act"] == "abs" and params(at)["preset"] == "abs_reflection"
    assert at.selectbox(key="w_act").value == "abs"
    assert at.selectbox(key="w_preset").value is None  # an action: can be chosen again
    assert any(preset.title in c for c in texts(at.caption))
    at.button[[b.label for b in at.button].index("Undo")].click().run()
    assert params(at)["pts"] == format_points(DEFAULT_STATE.points)


def test_typed_points_valid_and_invalid():
    at = run()
    typed_box(at).set_value("0:0, 1:2, 3:1").run()
    assert not at.exception and not at.error
    assert params(at)["pts"] == "0:0,1:2,3:1"
    typed_box(at).set_value("0:0,1:banana").run()
    assert not at.exception
    (error,) = at.error
    assert "Points not changed" in error.value and "banana" in error.value
    assert params(at)["pts"] == "0:0,1:2,3:1"  # previous points kept
    assert any("3 points" in s for s in texts(at.success))


def test_random_points_reset_and_undo():
    at = run()
    at.number_input(key="w_n").set_value(7)
    at.number_input(key="w_seed").set_value(5)
    at.button[[b.label for b in at.button].index("Random points")].click().run()
    assert not at.exception
    assert len(params(at)["pts"].split(",")) == 7
    at.button[[b.label for b in at.button].index("Reset")].click().run()
    assert params(at)["pts"] == format_points(DEFAULT_STATE.points)
    at.button[[b.label for b in at.button].index("Undo")].click().run()
    assert len(params(at)["pts"].split(",")) == 7


def test_unsupported_combination_explains_itself():
    at = run()
    at.selectbox(key="w_act").set_value("leaky_relu").run()
    assert not at.exception
    info = " ".join(texts(at.info))
    assert "leaky_relu depth 3 is not supported" in info
    assert params(at)["act"] == "leaky_relu" and params(at)["depth"] == "3"
    at.select_slider(key="w_depth").set_value(2).run()
    assert not at.exception and not any("not supported" in i for i in texts(at.info))
    assert any("neuron" in s for s in texts(at.success))


def test_too_few_points_and_too_large_dictionary_are_messages_not_crashes():
    at = run({"pts": "1:1", "act": "relu", "depth": "3", "beta": "0.001"})
    assert not at.exception
    assert any("at least two points" in i for i in texts(at.info))
    many = ",".join(f"{k}:{k % 3}" for k in range(60))
    at = run({"pts": many, "act": "relu", "depth": "4", "beta": "0.001"})
    assert not at.exception
    assert any("No fit" in i and "points" in i for i in texts(at.info))


def test_too_large_random_data_set_is_refused_with_a_sentence_and_nothing_lost():
    """abs depth 5 with 13 random points: refused before any fit, the points are kept (in
    the URL and the typed box), and Undo brings back the points before them."""
    before = {"pts": "0:1,1:0,3:2,4:1", "act": "abs", "depth": "5", "beta": "0.001"}
    at = run(before)
    assert not at.exception and any("neuron" in s for s in texts(at.success))
    at.number_input(key="w_n").set_value(13)
    at.button[[b.label for b in at.button].index("Random points")].click().run()
    assert not at.exception
    random_points = params(at)["pts"]
    assert len(random_points.split(",")) == 13  # the new points are kept, not dropped
    n_distinct = len({p.split(":")[0] for p in random_points.split(",")})
    sentence = refusal(Architecture("abs", 5), n_distinct)
    assert sentence and f"at most {max_points(Architecture('abs', 5))} points" in sentence
    assert any(sentence in i for i in texts(at.info)), texts(at.info)
    assert not any("neuron" in s for s in texts(at.success))
    assert typed_box(at).value == format_points(
        tuple(tuple(float(v) for v in p.split(":")) for p in random_points.split(","))
    )
    at.button[[b.label for b in at.button].index("Undo")].click().run()
    assert params(at)["pts"] == before["pts"]
    assert any("neuron" in s for s in texts(at.success))


def test_beta_and_depth_changes_update_the_url():
    at = run()
    options = at.select_slider(key="w_beta").options
    at.select_slider(key="w_beta").set_value(0.1).run()
    assert not at.exception and "0.1" in options
    assert params(at)["beta"] == "0.1"
    at.select_slider(key="w_depth").set_value(4).run()
    assert params(at)["depth"] == "4"
    assert any("reflection" in m for m in texts(at.markdown))


def test_streamlit_run_serves_app_py_as_an_st_app_with_the_preview_route():
    """``streamlit run app.py`` finds ``app`` (an ``st.App``) by reading the file; importing
    the module builds it without running the page (the page runs only as ``__main__``)."""
    import subprocess
    import sys

    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(Path(APP))
    assert found.is_asgi_app and found.import_string == "app:app"
    code = (
        "import app, streamlit as st; from convexviz.ui import preview; "
        "assert isinstance(app.app, st.App); "
        "assert any(getattr(r, 'path', '') == preview.PREVIEW_PATH "
        "           for r in app.app._user_routes); print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(APP).parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert "ScriptRunContext" not in done.stderr  # no page code ran outside Streamlit


def test_typed_box_shows_the_points_after_every_change_and_never_loses_a_click():
    at = run({"pts": "0:0,1:1,2:0", "act": "relu", "depth": "2", "beta": "0.01"})
    # A canvas snapshot (what a click sends), applied as the component's callback would.
    from convexviz.ui import session as appsession

    appsession.apply_canvas_edit(
        at.session_state,
        {"seq": 1, "gen": 0, "op": "add", "points": [[0, 0], [1, 1], [2, 0], [1.5, 2]]},
    )
    at.run()
    assert typed_box(at).value == "0:0,1:1,2:0,1.5:2"
    typed_box(at).set_value("0:0,1:1,2:0,1.5:2,3:1").run()
    assert params(at)["pts"] == "0:0,1:1,2:0,1.5:2,3:1"


def test_upload_limit_is_one_megabyte():
    """Points are at most a few hundred lines: the uploader must not offer 200 MB."""
    import tomllib  # as Streamlit reads this file

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 1


def test_no_solver_code_name_in_what_students_read():
    """Item 7.2: "certified optimal", not "FAST"; a fallback is said in words."""
    from convexviz.lasso import LassoFit
    from convexviz.ui import wording

    for params_ in ({}, {"pts": "0:1,1:0,3:2,4:1", "act": "abs", "depth": "3"}):
        at = run(params_)
        shown = [*texts(at.success), *texts(at.info), *texts(at.caption), *texts(at.markdown)]
        assert shown and not any(name in t for t in shown for name in ("FAST", "CLARABEL", "SCS"))
    fallback = LassoFit(
        np.zeros(1),
        0.0,
        0.1,
        1.0,
        "optimal_inaccurate",
        "CLARABEL",
        0.0,
        "fell back to CLARABEL (FAST: no)",
    )
    note = wording.solver_note(fallback)
    assert "Clarabel" in note and "limited accuracy" in note
    assert not any(name in note for name in ("FAST", "CLARABEL"))


@pytest.mark.parametrize(("act", "depth"), [("relu", 5), ("abs", 4), ("sign", 3)])
def test_each_theory_statement_is_shown_once(act, depth):
    from convexviz import theory

    at = run({"pts": "0:0,1:1,2:0,3:2,4:1", "act": act, "depth": str(depth)})
    assert not at.exception
    shown = [*texts(at.markdown), *texts(at.info), *texts(at.caption), *texts(at.warning)]
    notes = theory.notes(act, depth)
    assert notes
    for note in notes:
        assert sum(note in t for t in shown) == 1, note
