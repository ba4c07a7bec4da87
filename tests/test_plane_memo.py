"""The plane fit memo: one computation per key, warm starts one edit apart, failures in words."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convexviz.datasets2d import PLANE_PRESETS, random_plane_points
from convexviz.plane import fit_plane
from convexviz.plane_program import ProgramFailedError
from convexviz.ui.plane_memo import PlaneMemo, one_edit_apart, plane_beta_max, plane_fit_state
from convexviz.ui.plane_state import PlaneState

POINTS = random_plane_points(12, 4)


class Recorder:
    """A compute stand-in that records the warm lines it was given, then fits for real."""

    def __init__(self) -> None:
        self.warm: list[np.ndarray | None] = []

    def __call__(self, points, y, beta, warm):
        self.warm.append(warm)
        return fit_plane(points, y, beta, warm_lines=warm)


def test_a_fit_is_computed_once_and_equals_the_engine():
    memo = PlaneMemo()
    a = memo.fit(POINTS, 0.05)
    assert memo.fit(POINTS, 0.05) is a
    assert memo.stats()["computed"] == 1 and memo.stats()["hits"] == 1
    xy = np.array(POINTS)
    plain = fit_plane(xy[:, :2], xy[:, 2], 0.05, method="all")  # every pattern, one program
    assert a.objective == pytest.approx(plain.objective, abs=1e-6)


def test_concurrent_callers_share_one_computation():
    calls = []

    def slow(points, y, beta, warm):
        calls.append(beta)
        time.sleep(0.2)
        return fit_plane(points, y, beta)

    memo = PlaneMemo(compute=slow)
    results = []
    threads = [threading.Thread(target=lambda: results.append(memo.fit(POINTS, 0.1)))
               for _ in range(4)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [0.1] and len(results) == 4 and all(r is results[0] for r in results)
    assert memo.stats()["waited"] == 3


def test_one_edit_away_warms_the_next_fit_and_changes_only_the_speed():
    rec = Recorder()
    memo = PlaneMemo(compute=rec)
    first = memo.fit(POINTS, 0.05)
    added = (*POINTS, (0.3, -0.4, 1.0))
    moved = (*POINTS[:-1], (0.5, 0.5, POINTS[-1][2]))
    far = random_plane_points(12, 99)
    warm_added = memo.fit(added, 0.05, after=POINTS)
    memo.fit(moved, 0.05)  # no `after`: the newest kept fit one edit away (POINTS) warms it
    memo.fit(far, 0.05)  # nothing one edit away: cold
    memo.fit(POINTS, 0.2)  # another beta: cold (and different points than any at 0.2)
    assert rec.warm[0] is None
    assert rec.warm[1] is first.working_lines and rec.warm[2] is first.working_lines
    assert rec.warm[3] is None and rec.warm[4] is None
    cold = fit_plane(np.array(added)[:, :2], np.array(added)[:, 2], 0.05)
    assert warm_added.status == cold.status == "optimal"
    assert warm_added.objective == pytest.approx(cold.objective, abs=1e-6)


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.sampled_from([1.0, -1.0])),
             max_size=6, unique=True),
    st.integers(0, 3),
)  # fmt: skip
def test_one_edit_apart_counts_added_and_removed_points(points, k):
    a = tuple(points)
    extra = (9.0, 9.0, 1.0)
    assert one_edit_apart(a, a) and one_edit_apart(a, (*a, extra))
    assert one_edit_apart((*a, extra), a)
    if len(a) > k:
        moved = tuple(p if i != k else (7.0, 7.0, p[2]) for i, p in enumerate(a))
        assert one_edit_apart(a, moved)
        assert not one_edit_apart(a, (*moved, extra))


def test_memo_is_bounded_in_entries_and_bytes():
    memo = PlaneMemo(max_entries=2)
    for beta in (0.1, 0.2, 0.3):
        memo.fit(POINTS, beta)
    assert memo.stats()["entries"] == 2
    tiny = PlaneMemo(max_bytes=1)
    for beta in (0.1, 0.2):
        tiny.fit(POINTS, beta)
    assert tiny.stats()["entries"] == 1  # the newest is always kept


def test_a_solver_failure_becomes_a_sentence_and_is_remembered():
    calls = []

    def failing(points, y, beta, warm):
        calls.append(1)
        raise ProgramFailedError("Clarabel stopped: numerical trouble")

    memo = PlaneMemo(compute=failing)
    state = PlaneState(POINTS, 0.05)
    fit, problem = plane_fit_state(state, memo)
    assert fit is None
    assert problem == "No fit for these points: Clarabel stopped: numerical trouble"
    assert plane_fit_state(state, memo)[1] == problem and calls == [1]


def test_no_points_is_a_sentence_not_a_fit():
    fit, problem = plane_fit_state(PlaneState((), 0.05), PlaneMemo())
    assert fit is None and "Click" in problem


@pytest.mark.parametrize("name", ["xor", "moons", "line"])
def test_beta_max_is_where_the_network_becomes_a_constant(name):
    points = PLANE_PRESETS[name].points
    top = plane_beta_max(points)
    xy = np.array(points)
    above = fit_plane(xy[:, :2], xy[:, 2], 1.01 * top)
    below = fit_plane(xy[:, :2], xy[:, 2], 0.9 * top)
    assert above.network.width == 0
    assert above.objective == pytest.approx(0.5 * np.sum((xy[:, 2] - xy[:, 2].mean()) ** 2))
    assert below.network.width >= 1


def test_beta_max_of_equal_targets_is_zero():
    assert plane_beta_max(((0, 0, 1), (1, 0, 1), (0, 1, 1))) == 0.0
