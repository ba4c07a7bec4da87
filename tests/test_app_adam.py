"""The gradient-descent panel (issue 8, item 1), driven by AppTest: no browser, real runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from convexviz.ui import training_run

TIMEOUT = 120
APP = str(Path(__file__).resolve().parents[1] / "app.py")
OPT = {"pts": "0:0,4:0,5:0,7:2,10:3,11:3", "act": "relu", "depth": "2", "beta": "0.01"}


def run(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def panel_texts(at: AppTest) -> str:
    return " ".join(texts(at.markdown) + texts(at.caption) + texts(at.info) + texts(at.error))


def wait_for_end(at: AppTest) -> training_run.TrainingRun:
    run = at.session_state["adam"]["run"]
    assert run.join(60), "the run did not end"
    return run


def test_panel_is_present_with_its_inputs():
    at = run(OPT)
    assert not at.exception
    assert at.button(key="adam_train").label == "Train with Adam"
    assert at.button(key="adam_stop").disabled  # nothing to stop yet
    # default width max(N + 1, 2 m*) for 6 points: 7 unless the optimum has 4+ neurons
    (width,) = [n for n in at.number_input if n.key.startswith("adam_width_")]
    assert width.value >= 7
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
    assert adam["run"].request.seeds == (3, 4, 5, 6)
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


def test_stop_ends_the_run_and_keeps_what_it_reached():
    at = run(OPT)
    at.number_input(key="adam_starts").set_value(8)
    at.button(key="adam_train").click().run()
    run_ = at.session_state["adam"]["run"]
    assert run_.active or run_.status == training_run.DONE  # a fast machine may finish
    at.button(key="adam_stop").click().run()
    assert not at.exception
    assert not run_.active
    if run_.status == training_run.STOPPED:
        assert any("Stopped at step" in t for t in texts(at.caption))
        assert run_.latest().step < run_.latest().setup.steps


def test_an_edit_of_the_settings_cancels_the_run():
    at = run(OPT)
    at.number_input(key="adam_starts").set_value(8)
    at.button(key="adam_train").click().run()
    run_ = at.session_state["adam"]["run"]
    at.select_slider(key="w_beta").set_value(0.1).run()
    assert not at.exception
    assert run_.join(5)
    assert run_.status in (training_run.CANCELLED, training_run.DONE)
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
