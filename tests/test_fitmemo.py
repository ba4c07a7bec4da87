"""The shared fit memo: same results as ``fit``, computed once, safe across threads."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.ui.fitmemo import FitMemo, array_bytes
from tests.concurrency import run_in_threads

OPT = ((0.0, 0.0), (4.0, 0.0), (5.0, 0.0), (7.0, 2.0), (10.0, 3.0), (11.0, 3.0))
RELU3 = Architecture("relu", 3)


def test_memo_returns_the_fit_of_the_points():
    result = FitMemo().fit(OPT, RELU3, 1e-3)
    direct = fit([p[0] for p in OPT], [p[1] for p in OPT], RELU3, 1e-3)
    assert result.lasso.objective == pytest.approx(direct.lasso.objective, rel=1e-12)
    grid = np.linspace(-1, 12, 50)
    assert np.allclose(result.predict(grid), direct.predict(grid), atol=1e-9)


def test_each_input_is_its_own_entry_and_the_oldest_is_dropped_first():
    calls = []

    def compute(points, arch, beta):
        calls.append((points, arch, beta))
        return (points, arch, beta)

    memo = FitMemo(max_entries=2, compute=compute)
    a = memo.fit(OPT, RELU3, 1e-3)
    memo.fit(OPT, RELU3, 1e-2)  # beta is part of the key
    memo.fit(OPT, RELU3, 1e-3)  # a hit; now (1e-2) is the oldest
    memo.fit(OPT[:-1], RELU3, 1e-3)  # evicts (1e-2)
    assert memo.fit(OPT, RELU3, 1e-3) is a
    memo.fit(OPT, RELU3, 1e-2)
    assert len(calls) == 4 and memo.stats() == {
        "computed": 4,
        "hits": 2,
        "waited": 0,
        "entries": 2,
        "bytes": 0,
    }


def test_the_byte_budget_drops_the_oldest_results_but_keeps_the_newest():
    memo = FitMemo(max_bytes=2500, compute=lambda p, a, b: {"A": np.zeros(int(b))})  # 8 B each
    memo.fit(OPT, RELU3, 100)  # 800 bytes
    memo.fit(OPT, RELU3, 150)  # 1200 bytes, 2000 in all
    assert memo.stats()["entries"] == 2 and memo.stats()["bytes"] == 2000
    memo.fit(OPT, RELU3, 100)  # a hit: now 150 is the least recently used
    memo.fit(OPT, RELU3, 75)  # 600 more: over budget, 150 goes
    assert memo.stats()["entries"] == 2 and memo.stats()["bytes"] == 1400
    memo.fit(OPT, RELU3, 1000)  # 8000 bytes alone: kept, everything older goes
    assert memo.stats()["entries"] == 1 and memo.stats()["bytes"] == 8000
    assert memo.stats()["computed"] == 4


def test_array_bytes_counts_every_array_of_a_fit_once():
    x = np.linspace(0, 10, 20)
    result = FitMemo().fit(tuple(zip(x, np.sin(x), strict=True)), RELU3, 1e-3)
    counted = array_bytes(result)
    import pickle

    assert 0.9 < counted / len(pickle.dumps(result)) <= 1.0  # arrays are nearly all of it
    shared = np.zeros(100)
    assert array_bytes([shared, shared, {"k": shared}]) == 800


def test_points_given_as_lists_or_ints_share_the_entry_of_floats():
    memo = FitMemo()
    a = memo.fit([[0, 0], [4, 0], [5, 0], [7, 2], [10, 3], [11, 3]], RELU3, 1e-3)
    assert memo.fit(OPT, RELU3, 1e-3) is a


def test_concurrent_callers_of_one_key_share_one_computation():
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow(points, arch, beta):
        calls.append(beta)
        started.set()
        release.wait(5)
        return object()

    memo = FitMemo(compute=slow)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(memo.fit(OPT, RELU3, 1e-3)))
        for _ in range(4)
    ]
    threads[0].start()
    assert started.wait(5)
    for t in threads[1:]:
        t.start()
    deadline = time.time() + 5
    while memo.stats()["waited"] < 3 and time.time() < deadline:
        time.sleep(0.005)
    release.set()
    for t in threads:
        t.join(5)
    assert calls == [1e-3] and len(results) == 4 and all(r is results[0] for r in results)
    assert memo.stats()["waited"] == 3


def test_a_value_error_is_remembered_and_raised_to_every_caller():
    calls = []

    def too_big(points, arch, beta):
        calls.append(1)
        raise ValueError("the dictionary would have 10 columns; the limit is 5")

    memo = FitMemo(compute=too_big)
    for _ in range(2):
        with pytest.raises(ValueError, match="limit is 5"):
            memo.fit(OPT, RELU3, 1e-3)
    assert len(calls) == 1


def test_other_errors_reach_the_waiting_callers_and_are_not_remembered():
    started, release = threading.Event(), threading.Event()
    calls = []

    def broken(points, arch, beta):
        calls.append(1)
        if len(calls) == 1:
            started.set()
            release.wait(5)
            raise RuntimeError("boom")
        return "second try"

    memo = FitMemo(compute=broken)
    errors = []

    def call():
        try:
            memo.fit(OPT, RELU3, 1e-3)
        except RuntimeError as err:
            errors.append(str(err))

    first = threading.Thread(target=call)
    first.start()
    assert started.wait(5)
    waiter = threading.Thread(target=call)
    waiter.start()
    deadline = time.time() + 5
    while memo.stats()["waited"] < 1 and time.time() < deadline:
        time.sleep(0.005)
    release.set()
    first.join(5)
    waiter.join(5)
    assert errors == ["boom", "boom"]
    assert memo.fit(OPT, RELU3, 1e-3) == "second try"  # not remembered: computed again


def test_real_fits_from_many_threads_agree_with_sequential_fits():
    """One data set, many betas, many threads: the same fits as one by one (the solver's
    lock on its shared cached problems is tested in test_solver_paths.py)."""
    rng = np.random.default_rng(7)
    x = np.sort(rng.uniform(-3, 3, 12))
    pts = tuple(zip(x.tolist(), np.sin(x).tolist(), strict=True))
    betas = [10.0**-k for k in range(1, 7)]
    expected = {b: FitMemo().fit(pts, RELU3, b).lasso.objective for b in betas}
    memo = FitMemo()
    got = {}

    def work(b):
        got[b] = memo.fit(pts, RELU3, b).lasso.objective

    assert run_in_threads(work, betas * 2, timeout=60) == []
    for b in betas:
        assert got[b] == pytest.approx(expected[b], rel=1e-9)


def test_max_entries_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        FitMemo(max_entries=0)


def test_a_deadline_is_raised_but_not_remembered():
    """A fit stopped by its deadline depends on the load: the next ask computes again."""
    from convexviz.deadline import FitDeadlineError

    calls = []

    def compute(points, architecture, beta):
        calls.append(1)
        if len(calls) == 1:
            raise FitDeadlineError("relu depth 3 with 4 points", "the solve", 3.0)
        return {"A": np.zeros(2)}

    memo = FitMemo(compute=compute)
    with pytest.raises(FitDeadlineError):
        memo.fit(OPT, RELU3, 1e-3)
    assert memo.fit(OPT, RELU3, 1e-3)["A"].shape == (2,)
    assert len(calls) == 2
