"""The background run manager of the gradient-descent panel (no Streamlit)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.training import train, train_live
from convexviz.ui import training_panel, training_run
from convexviz.ui.training_run import (
    CANCELLED,
    DONE,
    FAILED,
    STOPPED,
    BusyError,
    RunManager,
    RunRequest,
)

OPT = ((0.0, 0.0), (4.0, 0.0), (5.0, 0.0), (7.0, 2.0), (10.0, 3.0), (11.0, 3.0))


def request(**changes) -> RunRequest:
    settings = dict(
        points=OPT, activation="relu", depth=2, beta=0.01, width=8, steps=2000, seeds=(0, 1)
    )
    settings.update(changes)
    return RunRequest(**settings)


class Gate:
    """A stand-in trainer: run ``i`` (in start order) yields one snapshot per ``step(i)``,
    until ``open()`` lets every run go freely. Runs under the test's control."""

    def __init__(self) -> None:
        self.channels: list[tuple[threading.Semaphore, threading.Semaphore]] = []
        self.opened = threading.Event()

    def __call__(self, x, y, setup, *, chunk, grid):
        go, yielded = threading.Semaphore(0), threading.Semaphore(0)
        self.channels.append((go, yielded))
        for snapshot in train_live(x, y, setup, chunk=chunk, grid=grid):
            while not (self.opened.is_set() or go.acquire(timeout=0.01)):
                pass
            yield snapshot
            yielded.release()

    def step(self, i: int, n: int = 1) -> None:
        go, yielded = self.channels[i]
        for _ in range(n):
            go.release()
            assert yielded.acquire(timeout=10)

    def release(self, i: int) -> None:
        """Let run ``i`` take one more snapshot without waiting for it (it may stop)."""
        self.channels[i][0].release()

    def open(self) -> None:
        self.opened.set()


def test_a_run_trains_to_the_end_with_monotone_snapshots():
    seen = []

    def spy(*args, **kwargs):
        for s in train_live(*args, **kwargs):
            seen.append(s.step)
            yield s

    manager = RunManager(trainer=spy)
    run = manager.start("a", request(grid=(0.0, 5.0, 11.0)))
    assert run.join(30)
    assert run.status == DONE and not run.error
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] == 2000
    last = run.latest()
    assert last.done and last.prediction.shape == (2, 3)
    assert manager.active_count() == 0


def test_the_run_equals_the_trainer_called_directly():
    manager = RunManager()
    run = manager.start("a", request())
    assert run.join(30)
    xy = np.array(OPT)
    direct = train(xy[:, 0], xy[:, 1], request().setup())
    np.testing.assert_array_equal(run.latest().objective, direct.objective)


def test_final_objectives_are_never_below_the_lasso_optimum():
    rng = np.random.default_rng(0)
    manager = RunManager()
    for activation, depth in [("relu", 2), ("relu", 3), ("abs", 2), ("leaky_relu", 2)]:
        x = np.sort(rng.uniform(-3, 3, 7))
        points = tuple(zip(x.tolist(), rng.normal(size=7).tolist(), strict=True))
        optimum = fit(x, np.array(points)[:, 1], Architecture(activation, depth), 0.05)
        req = request(points=points, activation=activation, depth=depth, beta=0.05, width=12)
        run = manager.start("a", req)
        assert run.join(60) and run.status == DONE
        tol = training_panel.below_tolerance(optimum.lasso.objective, optimum.certificate_gap)
        assert (run.latest().objective >= optimum.lasso.objective - tol).all()
        assert (run.latest().best >= optimum.lasso.objective - tol).all()


def test_stop_keeps_the_last_snapshot():
    gate = Gate()
    manager = RunManager(trainer=gate)
    run = manager.start("a", request(chunk=100))
    gate.step(0, 3)  # snapshots at steps 0, 100, 200
    assert run.active and run.latest().step == 200
    run.stop()
    gate.release(0)  # the thread takes its next snapshot and sees the flag
    assert run.join(10)
    assert run.status == STOPPED
    assert run.latest().step == 300
    assert manager.active_count() == 0


def test_cancel_says_why_and_a_second_start_cancels_the_first():
    gate = Gate()
    manager = RunManager(trainer=gate)
    first = manager.start("a", request())
    gate.step(0)
    second = manager.start("a", request(seeds=(5,)))
    assert first.reason == "a new run was started"
    assert manager.active_count() == 1  # at most one run per session
    gate.release(0)
    assert first.join(10) and first.status == CANCELLED
    assert first.latest().step == 100  # ended at its next snapshot
    second.cancel("the points changed")
    gate.open()
    assert second.join(10) and second.status == CANCELLED
    assert second.reason == "the points changed"
    assert manager.active_count() == 0


def test_the_server_wide_cap_says_busy_and_frees_up():
    gate = Gate()
    manager = RunManager(max_active=2, trainer=gate)
    runs = [manager.start(owner, request()) for owner in ("a", "b")]
    with pytest.raises(BusyError, match="try again"):
        manager.start("c", request())
    runs[0].stop()
    gate.release(0)
    assert runs[0].join(10) and runs[0].status == STOPPED
    third = manager.start("c", request())  # a slot is free again
    assert third.active
    gate.open()
    assert runs[1].join(30) and third.join(30)
    assert runs[1].status == third.status == DONE


def test_bad_settings_fail_before_a_thread_starts():
    manager = RunManager()
    with pytest.raises(ValueError, match="width"):
        manager.start("a", request(width=0))
    with pytest.raises(ValueError, match="training supports"):
        manager.start("a", request(activation="sign"))
    with pytest.raises(ValueError, match="too much training"):
        manager.start("a", request(depth=4, width=200, steps=50_000, seeds=tuple(range(16))))
    assert manager.active_count() == 0


def test_a_failing_trainer_is_reported_not_lost():
    def broken(*args, **kwargs):
        yield from ()
        raise FloatingPointError("overflow in the gradient")

    manager = RunManager(trainer=broken)
    run = manager.start("a", request())
    assert run.join(10)
    assert run.status == FAILED and "overflow in the gradient" in run.error
    assert manager.active_count() == 0


def test_the_latest_run_of_an_owner_is_remembered_after_it_ends(monkeypatch):
    """A session stores only its owner id; the manager keeps each owner's latest run,
    finished ones too, and forgets the oldest owners beyond MAX_REMEMBERED."""
    monkeypatch.setattr(training_run, "MAX_REMEMBERED", 2)
    manager = RunManager()
    first = manager.start("a", request())
    assert first.join(30) and not first.active
    assert manager.latest("a") is first and manager.active_count() == 0
    second = manager.start("a", request())
    assert manager.latest("a") is second
    for owner in ("b", "c"):
        assert manager.start(owner, request()).join(30)
    assert manager.latest("a") is None and manager.latest("c") is not None
    assert manager.latest("nobody") is None
