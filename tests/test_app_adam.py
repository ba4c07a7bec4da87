"""The gradient-descent panel (issue 8, item 1), driven by AppTest: no browser, real runs."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from convexviz.ui import training_panel, training_run
from tests.apptest import run, texts

OPT = {"pts": "0:0,4:0,5:0,7:2,10:3,11:3", "act": "relu", "depth": "2", "beta": "0.01"}


def panel_texts(at: AppTest) -> str:
    return " ".join(texts(at.markdown) + texts(at.caption) + texts(at.info) + texts(at.error))


def wait_for_end(at: AppTest) -> training_run.TrainingRun:
    run = training_run.SHARED.latest(at.session_state["adam"]["owner"])
    assert run.join(60), "the run did not end"
    return run


def test_panel_is_present_with_its_inputs():
    at = run(OPT)
    assert not at.exception
    assert at.button(key="adam_train").label == "Train with Adam"
    assert at.button(key="adam_stop").disabled  # nothing to stop yet
    # default width max(N + 1, 2 m*) for 6 points: 7 unless the optimum has 4+ neurons
    assert width_input(at).value >= 7
    assert at.number_input(key="adam_starts").value == 4
    assert any("Gradient descent" in h.value for h in at.subheader)


@pytest.mark.parametrize(
    ("act", "depth", "words"),
    [
        ("sign", "2", "derivative is zero"),
        ("threshold", "3", "derivative is zero"),
        ("leaky_relu", "2", None),
        ("relu", "5", "depth 2, 3 or 4 only"),
        ("abs", "5", "depth 2, 3 or 4 only"),
    ],
)
def test_unsupported_architectures_say_why(act, depth, words):
    at = run({**OPT, "act": act, "depth": depth})
    assert not at.exception
    if words is None:  # supported: the button is there
        assert at.button(key="adam_train")
        return
    assert any(words in t for t in texts(at.info)), texts(at.info)
    assert not [b for b in at.button if b.key == "adam_train"]


def test_train_then_results_after_polling():
    at = run(OPT)
    at.number_input(key="adam_seed").set_value(3)
    at.button(key="adam_train").click().run()
    assert not at.exception and not at.warning
    adam = at.session_state["adam"]
    assert training_run.SHARED.latest(adam["owner"]).request.seeds == (3, 4, 5, 6)
    run_ = wait_for_end(at)
    assert run_.status == training_run.DONE
    at.run()  # the poll after the end (a full run here)
    assert not at.exception
    final = run_.latest()
    optimum = adam["optimum"]
    # truth: no run ends below the certified optimum (within rounding)
    assert (final.objective >= optimum * (1 - 1e-9)).all()
    (table,) = [d for d in at.dataframe if "seed" in d.value.columns]
    assert list(table.value["seed"]) == [3, 4, 5, 6]
    said = texts(at.success) + texts(at.info)
    assert any("above the certified optimum" in t and "none below" in t for t in said), said
    assert not at.error
    # The session keeps plain values only (the run itself stays with the server's manager).
    for key in ("adam", "adam_owner"):
        pickle.dumps(at.session_state[key])


def wait_for_a_step(run_: training_run.TrainingRun, timeout: float = 30.0) -> None:
    """Wait until the run has trained past step 0 (its first chunk)."""
    deadline = time.monotonic() + timeout
    while (snap := run_.latest()) is None or snap.step == 0:
        assert time.monotonic() < deadline, "no training step within the timeout"
        time.sleep(0.01)


def width_input(at: AppTest):
    (width,) = [n for n in at.number_input if n.key.startswith("adam_width_")]
    return width


def start_a_long_run() -> tuple[AppTest, training_run.TrainingRun]:
    """The 'opt' page training 8 runs of 200 units (seconds of training)."""
    at = run(OPT)
    width_input(at).set_value(200)
    at.number_input(key="adam_starts").set_value(8).run()
    at.button(key="adam_train").click().run()
    return at, training_run.SHARED.latest(at.session_state["adam"]["owner"])


def test_stop_ends_the_run_and_keeps_what_it_reached():
    at, run_ = start_a_long_run()
    assert run_.active  # 8 runs of 200 units: seconds of training
    assert not at.button(key="adam_stop").disabled
    wait_for_a_step(run_)  # stop after some training, so there is something to keep
    at.button(key="adam_stop").click().run()
    assert not at.exception
    assert run_.status == training_run.STOPPED
    assert any("Stopped at step" in t for t in texts(at.caption))
    assert 0 < run_.latest().step < run_.latest().setup.steps
    assert at.button(key="adam_stop").disabled


def test_an_edit_of_the_settings_cancels_the_run():
    at, run_ = start_a_long_run()
    assert run_.active
    at.select_slider(key="w_beta").set_value(0.1).run()
    assert not at.exception
    assert run_.join(5)
    assert run_.status == training_run.CANCELLED
    assert run_.reason == "the network settings changed"
    assert at.session_state["adam"] is None
    assert any("no longer applies" in t for t in texts(at.caption))


def test_busy_server_says_try_again(monkeypatch):
    class Full(training_run.RunManager):
        def start(self, owner, request):
            raise training_run.BusyError("The server is busy: try again in a few seconds.")

    monkeypatch.setattr(training_run, "SHARED", Full())
    at = run(OPT)
    at.button(key="adam_train").click().run()
    assert not at.exception
    assert any("try again" in t for t in texts(at.warning))


# ---------------------------------------------------------------- the panel's pure helpers


def snapshot_with(objective: list[float], steps: int = 10):
    """A finished snapshot of len(objective) runs with the given final objectives."""
    from convexviz.training import TrainingSetup, TrainingSnapshot

    k = len(objective)
    setup = TrainingSetup("relu", 2, beta=0.01, width=3, steps=steps, seeds=tuple(range(k)))
    final = np.array(objective, dtype=float)
    history = np.linspace(10.0, 1.0, steps)[None, :] * final[:, None] * 3
    return TrainingSnapshot(setup, steps, history, final, final.copy(), (), ())


def test_verdict_reports_a_run_below_the_optimum_as_a_bug():
    said = training_panel.verdict(snapshot_with([1.0, 0.98]), optimum=1.0)
    assert said.kind == "error" and "BELOW" in said.text and "bug" in said.text
    # rounding (the certificate's gap) is not a bug
    ok = training_panel.verdict(snapshot_with([1.0 - 1e-12, 1.1]), optimum=1.0)
    assert ok.kind == "success" and "none below" in ok.text
    assert "1 of 2 runs got stuck" in ok.text
    nan = training_panel.verdict(snapshot_with([float("nan"), 1.1]), optimum=1.0)
    assert nan.kind == "error"


def test_verdict_when_every_run_is_stuck():
    said = training_panel.verdict(snapshot_with([1.5, 2.0]), optimum=1.0)
    assert said.kind == "info"
    assert "Every run got stuck" in said.text and "best 50 %" in said.text


def test_gap_rows_and_gap_words():
    rows = training_panel.gap_rows(snapshot_with([1.002, 1.3]), optimum=1.0)
    assert [r["above the optimum"] for r in rows] == ["0.2 %", "30 %"]
    assert [r["seed"] for r in rows] == [0, 1]
    assert training_panel.format_gap(float("inf")) == "∞ %"


def test_loss_figure_is_valid_plotly_with_the_optimum_line():
    import plotly.graph_objects as go

    snap = snapshot_with([1.2, 1.05], steps=2000)
    fig = training_panel.loss_figure(snap, optimum=1.0)
    go.Figure(fig.to_dict())  # validates every property
    names = [t.name for t in fig.data]
    assert names == ["run 1 (seed 0)", "run 2 (seed 1)", "certified optimum"]
    assert list(fig.data[-1].y) == [1.0, 1.0]
    assert all(len(t.x) <= training_panel.LOSS_POINTS + 1 for t in fig.data)
    assert fig.layout.yaxis.type == "log"
    lo, hi = fig.layout.yaxis.range
    assert 10**lo < 1.0 < 1.2 < 10**hi  # the optimum and the final values are in view
    # an optimum of zero (data fitted with no weights) cannot go on a log axis
    zero = training_panel.loss_figure(snapshot_with([0.0, 0.1]), optimum=0.0)
    assert zero.layout.yaxis.type != "log"


def test_stale_reason_names_what_changed():
    from dataclasses import replace

    from convexviz.ui.state import DEFAULT_STATE

    ranges = {"x": [-1.0, 1.0], "y": [-1.0, 1.0]}
    request = training_panel.make_request(DEFAULT_STATE, ranges, width=5, seed=7, starts=3)
    assert request.seeds == (7, 8, 9) and len(request.grid) == training_panel.GRID_POINTS
    assert training_panel.stale_reason(request, DEFAULT_STATE) == ""
    moved = replace(DEFAULT_STATE, points=DEFAULT_STATE.points[:-1])
    assert training_panel.stale_reason(request, moved) == "the points changed"
    for change in ({"beta": 0.5}, {"depth": 2}, {"activation": "abs"}):
        other = replace(DEFAULT_STATE, **change)
        assert training_panel.stale_reason(request, other) == "the network settings changed"


def test_steps_stay_within_the_trainers_work_cap():
    from convexviz.training import DEFAULT_STEPS, MAX_WORK

    assert training_panel.steps_for(6, 2, 10, 4) == DEFAULT_STEPS
    steps = training_panel.steps_for(50, 4, 200, 8)
    assert steps < DEFAULT_STEPS and 8 * 200 * 50 * 3 * steps <= MAX_WORK


def test_trained_curves_for_the_canvas():
    from convexviz.ui.canvas.protocol import trained_curves

    out = trained_curves(
        ((0.0, 1.0),), {"act": "relu"}, np.array([0.0, 0.5]), np.array([[1.0, 2.0 / 3]])
    )
    assert out == {
        "points": [[0.0, 1.0]],
        "settings": {"act": "relu"},
        "x": [0.0, 0.5],
        "y": [[1.0, 0.666667]],
    }


def test_progress_text_names_the_step_and_the_best_gap_so_far():
    assert training_panel.progress_text(None, 0.0, 1.0) == "Training: starting…"
    text = training_panel.progress_text(snapshot_with([1.5, 1.031]), 1.23, optimum=1.0)
    assert text == ("Training: step 10 of 10 (1.2 s); best run so far 3.1 % above the optimum")
