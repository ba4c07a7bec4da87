"""The plane page's gradient-descent panel (issue 9, item 5): AppTest, real runs, no browser;
then its pure helpers and its runs in the shared run manager."""

from __future__ import annotations

import pickle
import threading
import time

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from convexviz.plane import fit_plane
from convexviz.plane_network import PlaneNetwork
from convexviz.plane_training import (
    PlaneTrainingSetup,
    PlaneTrainingSnapshot,
    train,
    train_live,
)
from convexviz.training import train_live as line_train_live
from convexviz.ui import plane_training_panel as panel
from convexviz.ui import training_panel, training_run
from convexviz.ui.training_run import RunManager, RunRequest
from tests.apptest import run, texts

# The data the tests open the plane page with (XOR, two points per corner), by its URL.
STAND_IN = np.array(
    [
        (-1.5, -1.0, 1.0), (-1.0, -1.5, 1.0), (1.5, 1.0, 1.0), (1.0, 1.5, 1.0),
        (-1.5, 1.0, -1.0), (-1.0, 1.5, -1.0), (1.5, -1.0, -1.0), (1.0, -1.5, -1.0),
    ]
)  # fmt: skip
STAND_IN_BETA = 0.05
XOR4 = np.array([(-1.0, -1.0, 1.0), (-1.0, 1.0, -1.0), (1.0, -1.0, -1.0), (1.0, 1.0, 1.0)])


def open_plane() -> AppTest:
    """The app after a run of its plane page, opened with the link of :data:`STAND_IN`.

    The page is a callable ``st.Page`` (no file for ``AppTest.switch_page``), so the test
    asks for it by its registered script hash, as a browser at ``/plane`` does."""
    at = run()  # the 1-D page first: it registers the pages (and writes its own URL)
    at.query_params.clear()
    at.query_params["pts"] = ",".join(f"{a:g}:{b:g}:{c:g}" for a, b, c in STAND_IN)
    at.query_params["beta"] = str(STAND_IN_BETA)
    (page,) = [h for h, info in at._registered_pages.items() if info["url_pathname"] == "plane"]
    at._page_hash = page
    return at.run()


def edit_page_state(at: AppTest, **changes) -> None:
    """Change the plane page's state as its widgets and canvas do (a new PlaneState)."""
    from dataclasses import replace

    session = dict(at.session_state["plane_session"])
    session["state"] = replace(session["state"], **changes)
    at.session_state["plane_session"] = session


def panel_texts(at: AppTest) -> str:
    return " ".join(
        texts(at.markdown) + texts(at.caption) + texts(at.info) + texts(at.error)
        + texts(at.success) + texts(at.warning)
    )  # fmt: skip


def plane_run(at: AppTest) -> training_run.TrainingRun:
    return training_run.SHARED.latest(at.session_state["plane_adam"]["owner"])


def width_input(at: AppTest):
    (width,) = [n for n in at.number_input if n.key.startswith("plane_adam_width_")]
    return width


def certified() -> tuple[float, float, int]:
    fit = fit_plane(STAND_IN[:, :2], STAND_IN[:, 2], STAND_IN_BETA)
    return fit.objective, fit.duality_gap, fit.network.width


# ---------------------------------------------------------------- the page (AppTest)


def test_panel_is_on_the_plane_page_with_its_inputs():
    at = open_plane()
    assert not at.exception
    assert any("Gradient descent" in h.value for h in at.subheader)
    assert at.button(key="plane_adam_train").label == "Train with Adam"
    assert at.button(key="plane_adam_stop").disabled  # nothing to stop yet
    _, _, neurons = certified()
    assert width_input(at).value == neurons  # default: the optimum's width
    assert width_input(at).min == 1  # the student can lower it to one neuron
    assert at.number_input(key="plane_adam_starts").value == panel.DEFAULT_STARTS
    # the 1-D page's panel is not there
    assert not [b for b in at.button if b.key == "adam_train"]


def test_train_then_the_verdict_table_and_surface():
    at = open_plane()
    at.number_input(key="plane_adam_seed").set_value(3).run()
    at.button(key="plane_adam_train").click().run()
    assert not at.exception and not at.warning
    run_ = plane_run(at)
    assert run_.request.seeds == (3, 4, 5, 6)
    assert run_.request.points == panel.as_points(STAND_IN)
    assert run_.join(60) and run_.status == training_run.DONE
    at.run()  # the poll after the end
    assert not at.exception
    optimum, gap, _ = certified()
    assert at.session_state["plane_adam"]["optimum"] == pytest.approx(optimum, rel=1e-12)
    final = run_.latest()
    bound = optimum - training_panel.below_tolerance(optimum, gap)
    assert (final.objective >= bound).all() and (final.best >= bound).all()
    (table,) = [d for d in at.dataframe if "seed" in d.value.columns]
    assert list(table.value["seed"]) == [3, 4, 5, 6]
    assert list(table.value["start"]) == [1, 2, 3, 4]
    said = texts(at.success) + texts(at.info)
    assert any("above the certified optimum" in t and "none below" in t for t in said), said
    assert any(t.startswith(("Best start", "Every start")) for t in said), said
    assert not at.error
    assert "The best start's trained network" in panel_texts(at)
    for key in ("plane_adam", "plane_adam_owner"):  # plain values only
        pickle.dumps(at.session_state[key])


def test_one_neuron_is_stuck_far_above_on_the_page():
    at = open_plane()
    width_input(at).set_value(1).run()
    at.button(key="plane_adam_train").click().run()
    run_ = plane_run(at)
    assert run_.request.width == 1
    assert run_.join(60)
    at.run()
    assert not at.exception
    optimum, _, _ = certified()
    assert run_.latest().gap_percent(optimum).min() > 100  # XOR needs more than one neuron
    assert any("Every start got stuck" in t and "More neurons m" in t for t in texts(at.info))


def start_a_long_run() -> tuple[AppTest, training_run.TrainingRun]:
    """200 neurons, 8 starts: seconds of training."""
    at = open_plane()
    width_input(at).set_value(200)
    at.number_input(key="plane_adam_starts").set_value(8).run()
    at.button(key="plane_adam_train").click().run()
    return at, plane_run(at)


def wait_for_a_step(run_: training_run.TrainingRun, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (snap := run_.latest()) is None or snap.step == 0:
        assert time.monotonic() < deadline, "no training step within the timeout"
        time.sleep(0.01)


def test_stop_ends_the_run_and_keeps_what_it_reached():
    at, run_ = start_a_long_run()
    assert run_.active
    assert not at.button(key="plane_adam_stop").disabled
    wait_for_a_step(run_)
    at.button(key="plane_adam_stop").click().run()
    assert not at.exception
    assert run_.status == training_run.STOPPED
    assert any("Stopped at step" in t for t in texts(at.caption))
    assert 0 < run_.latest().step < run_.latest().setup.steps
    assert at.button(key="plane_adam_stop").disabled


def test_an_edit_of_the_data_cancels_the_run():
    """The page's points change (as a click changes them): the next run of the page
    cancels the run and says why."""
    at, run_ = start_a_long_run()
    assert run_.active
    edit_page_state(at, points=tuple(tuple(p) for p in STAND_IN[:-1]))
    at.run()
    assert not at.exception
    assert run_.join(5) and run_.status == training_run.CANCELLED
    assert run_.reason == "the points changed"
    assert at.session_state["plane_adam"] is None
    assert any("no longer applies" in t for t in texts(at.caption))


def test_a_moved_point_cancels_the_run():
    """The page's state (``plane_session["state"]``) is what the panel compares with."""
    at, run_ = start_a_long_run()
    moved = [tuple(p) for p in STAND_IN]
    moved[0] = (-1.4, -1.0, 1.0)
    edit_page_state(at, points=tuple(moved))
    at.run()
    assert not at.exception
    assert run_.join(5) and run_.reason == "the points changed"


def test_a_new_beta_cancels_the_run():
    at, run_ = start_a_long_run()
    edit_page_state(at, beta=0.1)
    at.run()
    assert not at.exception
    assert run_.join(5) and run_.reason == "β changed"


def test_busy_server_says_try_again(monkeypatch):
    class Full(RunManager):
        def start(self, owner, request):
            raise training_run.BusyError("The server is busy: try again in a few seconds.")

    monkeypatch.setattr(training_run, "SHARED", Full())
    at = open_plane()
    at.button(key="plane_adam_train").click().run()
    assert not at.exception
    assert any("try again" in t for t in texts(at.warning))


# ---------------------------------------------------------------- pure helpers


def test_request_from_the_page_state():
    req = panel.make_request(STAND_IN, 0.05, width=3, seed=10, starts=2)
    assert req.points == panel.as_points(STAND_IN) and req.inputs == (req.points, 0.05)
    assert req.seeds == (10, 11) and req.width == 3
    points, y = req.data()
    np.testing.assert_array_equal(points, STAND_IN[:, :2])
    np.testing.assert_array_equal(y, STAND_IN[:, 2])
    assert req.setup() == PlaneTrainingSetup(0.05, 3, req.steps, seeds=(10, 11))
    req.check()  # fine
    hash(req)  # frozen, hashable like the 1-D request


def test_steps_are_capped_by_the_work_limit():
    assert panel.steps_for(20, 10, 4) == training_panel.DEFAULT_STEPS
    steps = panel.steps_for(100, 200, 8)
    assert steps < training_panel.DEFAULT_STEPS
    assert 8 * 200 * 100 * steps <= training_panel.MAX_WORK


def test_default_width_is_the_optimums():
    fit = fit_plane(XOR4[:, :2], XOR4[:, 2], 0.05)
    assert panel.default_width(fit) == fit.network.width == 2


def test_stale_reason_names_what_changed():
    req = panel.make_request(STAND_IN, 0.05, 3, 0, 2)
    assert panel.stale_reason(req, STAND_IN, 0.05) == ""
    assert panel.stale_reason(req, [tuple(p) for p in STAND_IN], 0.05) == ""  # tuples too
    moved = STAND_IN.copy()
    moved[0, 0] += 0.1
    assert panel.stale_reason(req, moved, 0.05) == "the points changed"
    relabelled = STAND_IN.copy()
    relabelled[0, 2] = -1
    assert panel.stale_reason(req, relabelled, 0.05) == "the points changed"
    assert panel.stale_reason(req, STAND_IN, 0.1) == "β changed"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"width": 0}, "width"),
        ({"beta": -1.0}, "beta"),
        ({"points": ()}, "at least one point"),
        ({"width": 200, "steps": 50_000, "seeds": tuple(range(16))}, "too much training"),
    ],
)
def test_bad_requests_fail_before_a_thread_starts(changes, words):
    from dataclasses import replace

    manager = RunManager()
    req = replace(panel.make_request(STAND_IN, 0.05, 3, 0, 2), **changes)
    with pytest.raises(ValueError, match=words):
        manager.start("a", req)
    assert manager.active_count() == 0


def finished(objective: list[float], steps: int = 50) -> PlaneTrainingSnapshot:
    k = len(objective)
    setup = PlaneTrainingSetup(0.05, 2, steps, seeds=tuple(range(k)))
    final = np.array(objective, dtype=float)
    history = np.linspace(10.0, 1.0, steps)[None, :] * final[:, None] * 3
    return PlaneTrainingSnapshot(setup, steps, history, final, final.copy())


def test_the_verdict_speaks_of_starts_and_neurons():
    words = panel.WORDS
    ok = training_panel.verdict(finished([1.0, 1.3]), 1.0, 0.0, words)
    assert ok.text.startswith("Best start") and "1 of 2 starts got stuck" in ok.text
    stuck = training_panel.verdict(finished([1.5, 2.0]), 1.0, 0.0, words)
    assert "Every start got stuck" in stuck.text and "More neurons m" in stuck.text
    bug = training_panel.verdict(finished([0.9, 1.0]), 1.0, 0.0, words)
    assert bug.kind == "error" and bug.text.startswith("Start 1 ended BELOW")
    rows = training_panel.gap_rows(finished([1.0, 1.3]), 1.0, words)
    assert [r["start"] for r in rows] == [1, 2]
    text = training_panel.progress_text(finished([1.1, 1.3]), 1.0, 1.0, words)
    assert "best start so far 10 % above" in text


def test_loss_figure_is_legible_and_never_below_its_optimum_line():
    xy, y = STAND_IN[:, :2], STAND_IN[:, 2]
    optimum, gap, neurons = certified()
    final = list(train_live(xy, y, PlaneTrainingSetup(STAND_IN_BETA, neurons, 2000)))[-1]
    fig = panel.loss_figure(final, optimum)
    go.Figure(fig.to_dict())  # every property valid
    names = [t.name for t in fig.data]
    assert names[:-1] == [f"start {k + 1} (seed {k})" for k in range(4)]
    assert names[-1] == "certified optimum" and list(fig.data[-1].y) == [optimum, optimum]
    assert fig.layout.title.text == "Training loss of each random start"
    assert fig.layout.legend.x > 1  # beside the plot area, not over a curve
    bound = optimum - training_panel.below_tolerance(optimum, gap)
    assert min(min(t.y) for t in fig.data[:-1]) >= bound


def test_the_optimal_network_certifies_itself_in_the_trained_picture():
    """The optimum's own network through the panel's picture: the same certificate as the
    fit's (M(r) <= beta, gap ~ 0), and the words say it is optimal."""
    fit = fit_plane(XOR4[:, :2], XOR4[:, 2], 0.05)
    picture = panel.trained_picture(fit.network, XOR4, 0.05)
    assert picture.objective == pytest.approx(fit.network_objective, rel=1e-12)
    assert picture.certificate.worst_line.magnitude <= 0.05 * (1 + 1e-6)
    assert picture.certificate.duality_gap == pytest.approx(fit.duality_gap, abs=1e-9)
    assert "found an optimal network" in panel.certificate_text(picture)


def test_a_stuck_network_shows_where_a_new_neuron_would_enter():
    """One neuron on XOR: its certificate has M(r) > beta, and its duality gap bounds its
    distance to the certified optimum from above (weak duality, checked independently)."""
    fit = fit_plane(XOR4[:, :2], XOR4[:, 2], 0.05)
    stuck = train(XOR4[:, :2], XOR4[:, 2], PlaneTrainingSetup(0.05, 1, 2000, seeds=(0,)))
    picture = panel.trained_picture(stuck.networks[0], XOR4, 0.05)
    assert picture.objective == pytest.approx(stuck.objective[0], rel=1e-12)
    assert picture.certificate.worst_line.magnitude > 0.05 * 2
    assert picture.objective - fit.objective <= picture.certificate.duality_gap + 1e-9
    text = panel.certificate_text(picture)
    line = picture.certificate.worst_line
    side = panel.line_text(line.w, line.b)
    assert f"{side} = 0" in text and f"active where {side} > 0" in text
    assert "would lower the objective" in text


def test_surface_figure_draws_the_trained_network_like_the_optimum():
    net = PlaneNetwork(np.array([[1.0, 1.0], [1.0, -1.0]]), np.zeros(2), np.array([1.0, -1]), 0)
    picture = panel.trained_picture(net, XOR4, 0.05)
    fig = panel.surface_figure(picture)
    go.Figure(fig.to_dict())  # every property valid
    surface = fig.data[0]
    assert surface.type == "heatmap"
    z, g1, g2 = np.array(surface.z), np.array(surface.x), np.array(surface.y)
    i, j = 7, 40
    assert z[j, i] == pytest.approx(float(net(np.array([[g1[i], g2[j]]]))[0]), abs=1e-9)
    names = {t.name for t in fig.data}
    assert {"decision line f = 0", "worst line (certificate)", "class +1"} <= names
    assert fig.layout.legend.y < 0  # under the plot area, off the surface


def test_line_text_writes_signs_as_a_student_would():
    assert panel.line_text((-1.0, 0.5), 0.0) == "−1.00 x₁ + 0.50 x₂ + 0.00"
    assert panel.line_text((0.0, -1.0), 2.5) == "0.00 x₁ − 1.00 x₂ + 2.50"


def test_surface_title_names_the_best_start():
    snap = finished([1.3, 1.0, 1.2])
    assert panel.surface_title(snap) == "The best start's trained network (start 2, seed 1)"


# ---------------------------------------------------------------- the shared run manager


def test_both_pages_share_the_server_cap():
    """A plane run and a 1-D run count together: the third owner hears 'busy'."""
    gate = threading.Event()

    def slow(*args, **kwargs):
        runner = train_live if args[0].ndim == 2 else line_train_live  # plane: points (N, 2)
        for snap in runner(*args, **kwargs):
            gate.wait(10)
            yield snap

    manager = RunManager(max_active=2, trainer=slow)
    plane = manager.start("a", panel.make_request(STAND_IN, 0.05, 3, 0, 2))
    line = manager.start("b", RunRequest(((0.0, 0.0), (1.0, 1.0)), "relu", 2, 0.1, 2, 100, (0,)))
    with pytest.raises(training_run.BusyError, match="try again"):
        manager.start("c", panel.make_request(STAND_IN, 0.05, 3, 0, 2))
    gate.set()
    assert plane.join(30) and line.join(30)
    assert plane.status == line.status == training_run.DONE
    assert isinstance(plane.latest(), PlaneTrainingSnapshot)


def test_a_plane_run_equals_the_trainer_called_directly():
    req = panel.make_request(STAND_IN, 0.05, 3, 5, 2)
    manager = RunManager()
    run_ = manager.start("a", req)
    assert run_.join(60) and run_.status == training_run.DONE
    *_, direct = train_live(STAND_IN[:, :2], STAND_IN[:, 2], req.setup(), chunk=req.steps)
    np.testing.assert_array_equal(run_.latest().objective, direct.objective)
    np.testing.assert_array_equal(run_.latest().history, direct.history)


def test_a_failing_plane_trainer_is_reported_not_lost():
    def broken(*args, **kwargs):
        yield from ()
        raise FloatingPointError("overflow in the gradient")

    run_ = RunManager(trainer=broken).start("a", panel.make_request(STAND_IN, 0.05, 3, 0, 1))
    assert run_.join(10)
    assert run_.status == training_run.FAILED and "overflow" in run_.error
