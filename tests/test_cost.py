"""The cost model, the refusal before any work and the deadline inside the solver.

No test here measures time: the calibration lives in ``benchmarks/calibrate_cost.py``.
The deadline is driven by a fake clock (``convexviz.deadline._clock``).
"""

from __future__ import annotations

import importlib
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convexviz.deadline as deadline_module
from convexviz import Architecture, build_dictionary, fit
from convexviz.cost import (
    FitTooLargeError,
    builder,
    distinct_count,
    fit_cost,
    max_points,
    refusal,
)
from convexviz.deadline import Deadline, FitDeadlineError
from convexviz.dual_ipm import dual_interior_point
from convexviz.lasso import LassoUnsolvedError, solve_lasso
from convexviz.limits import FIT_DEADLINE_SECONDS, MAX_FIT_SECONDS, MAX_POINTS
from convexviz.polish import active_set, polish, sparsest_on_face

#: The module, not the function ``convexviz.fit`` that the package exports under its name.
fit_module = importlib.import_module("convexviz.fit")

#: Every builder, with the largest N at which building its dictionary in a test is cheap.
ARCHITECTURES = (
    (Architecture("relu", 2), 40),
    (Architecture("leaky_relu", 2, 0.2), 40),
    (Architecture("abs", 2), 40),
    (Architecture("sign", 2), 40),
    (Architecture("threshold", 2), 40),
    (Architecture("relu", 3), 25),
    (Architecture("relu", 4), 12),
    (Architecture("relu", 6), 8),
    (Architecture("abs", 3), 25),
    (Architecture("abs", 4), 12),
    (Architecture("abs", 5), 7),
    (Architecture("sign", 3), 20),
    (Architecture("sign", 4, branching=(3, 2)), 14),
    (Architecture("threshold", 5), 14),
)
IDS = [f"{a.activation}-{a.depth}-{'x'.join(map(str, a.branching))}" for a, _ in ARCHITECTURES]

#: Every (activation, depth) the page offers, for the arithmetic checks.
ALL = [
    Architecture(act, depth)
    for act, depth in [("relu", d) for d in range(2, 9)]
    + [("leaky_relu", 2)]
    + [("abs", d) for d in range(2, 6)]
    + [(act, d) for act in ("sign", "threshold") for d in range(2, 6)]
]


# ---------------------------------------------------------------- the size bound


@pytest.mark.parametrize(("arch", "top"), ARCHITECTURES, ids=IDS)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_column_bound_is_above_the_built_dictionary(arch, top, data):
    """The bound counts without building; the built raw and distinct sizes never exceed it."""
    n = data.draw(st.integers(2, top), label="distinct x")
    kind = data.draw(st.sampled_from(["uniform", "integers", "clustered"]), label="kind")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        values = rng.uniform(-5, 5, n)
    elif kind == "integers":  # many coincidences (midpoints on data, equal gaps)
        values = rng.choice(np.arange(-30, 31), n, replace=False).astype(float)
    else:  # two tight clusters far apart
        values = np.concatenate([rng.normal(-3, 1e-3, n // 2), rng.normal(4, 1e-3, n - n // 2)])
    values = np.unique(values)
    x = np.repeat(values, rng.integers(1, 4, values.size))  # repeated x values
    rng.shuffle(x)
    d = build_dictionary(x, arch)
    cost = fit_cost(arch, distinct_count(x))
    assert cost.n_distinct == values.size
    assert d.size <= d.raw_size <= cost.columns


def test_repeats_do_not_change_the_cost():
    arch = Architecture("abs", 4)
    assert distinct_count([0, 1, 1, 2, 2, 2]) == 3
    assert fit_cost(arch, distinct_count([0, 1, 1, 2, 2, 2])) == fit_cost(arch, 3)


# ---------------------------------------------------------------- the estimate


@pytest.mark.parametrize("arch", ALL, ids=lambda a: f"{a.activation}-{a.depth}")
def test_cost_grows_with_the_number_of_points(arch):
    seconds = [fit_cost(arch, n).seconds for n in range(1, MAX_POINTS + 1)]
    columns = [fit_cost(arch, n).columns for n in range(1, MAX_POINTS + 1)]
    assert all(b > a for a, b in itertools.pairwise(seconds))
    assert all(b >= a for a, b in itertools.pairwise(columns))


@pytest.mark.parametrize("arch", ALL, ids=lambda a: f"{a.activation}-{a.depth}")
def test_max_points_is_the_last_accepted_count(arch):
    top = max_points(arch)
    accepted = [
        n for n in range(1, MAX_POINTS + 1) if fit_cost(arch, n).seconds <= MAX_FIT_SECONDS
    ]
    assert top == max(accepted)
    assert accepted == list(range(1, top + 1))  # one interval: refused from top + 1 on


def test_two_layer_networks_take_every_allowed_point():
    for act in ("relu", "leaky_relu", "abs", "sign", "threshold"):
        assert max_points(Architecture(act, 2)) == MAX_POINTS


def test_deep_networks_are_limited_and_deeper_is_not_cheaper():
    assert max_points(Architecture("abs", 5)) < max_points(Architecture("abs", 4))
    assert max_points(Architecture("abs", 4)) < max_points(Architecture("abs", 3))
    assert max_points(Architecture("relu", 4)) < max_points(Architecture("relu", 3))
    assert max_points(Architecture("sign", 5)) < max_points(Architecture("sign", 4))
    # the measured cases of issue 10 are refused: abs depth 5 with 13, ReLU depth 4 with 29
    assert not fit_cost(Architecture("abs", 5), 13).accepted
    assert not fit_cost(Architecture("relu", 4), 29).accepted


def test_builder_names_match_the_dictionary_builders():
    assert builder(Architecture("relu", 2)) == builder(Architecture("leaky_relu", 2))
    assert builder(Architecture("relu", 7)) == builder(Architecture("relu", 3)) == "relu_chain"
    assert builder(Architecture("abs", 5)) == "abs_deep"
    assert builder(Architecture("threshold", 4)) == "sign_tree"


# ---------------------------------------------------------------- refusal before any work


def refused_case() -> tuple[Architecture, int, int]:
    """abs depth 5 with the smallest refused N, and the largest accepted N (by counting)."""
    arch = Architecture("abs", 5)
    n = 2
    while fit_cost(arch, n).accepted:
        n += 1
    return arch, n, n - 1


def test_refusal_sentence_states_the_size_the_time_and_what_is_allowed():
    arch = Architecture("abs", 5)
    text = refusal(arch, 13)
    allowed = max(n for n in range(1, 30) if fit_cost(arch, n).seconds <= MAX_FIT_SECONDS)
    seconds = fit_cost(arch, 13).seconds
    assert text.startswith("abs depth 5 with 13 points is too large to solve live here (about ")
    assert f"(about {seconds:.0f} s)" in text
    assert f"at most {allowed} points" in text
    assert fit_cost(Architecture("abs", 4), 13).accepted
    assert text.endswith("or choose depth 4")
    assert refusal(arch, allowed) == ""


def test_refusal_offers_the_deepest_smaller_depth_that_accepts_the_points():
    arch = Architecture("sign", 3)
    n = max_points(arch) + 1
    assert fit_cost(Architecture("sign", 2), n).accepted
    assert refusal(arch, n).endswith("or choose depth 2")
    relu = Architecture("relu", 8)  # more layers per column than depths 4..7, same columns
    n = max_points(relu) + 1
    offered = max(d for d in range(2, 8) if fit_cost(Architecture("relu", d), n).accepted)
    assert 2 < offered < 8
    assert refusal(relu, n).endswith(f"or choose depth {offered}")


def test_fit_refuses_before_building_or_solving(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("a refused fit must not start any work")

    monkeypatch.setattr(fit_module, "build_dictionary", must_not_run)
    monkeypatch.setattr(fit_module, "solve_lasso", must_not_run)
    arch, n, allowed = refused_case()
    x = np.repeat(np.linspace(0, 1, n), 2)  # repeats: the distinct count decides
    with pytest.raises(FitTooLargeError) as info:
        fit(x, np.sin(7 * x), arch, 0.01)
    assert isinstance(info.value, ValueError)
    assert f"abs depth 5 with {n} points" in str(info.value)
    assert f"at most {allowed} points" in str(info.value)
    assert info.value.cost == fit_cost(arch, n)


def test_the_limit_can_be_lifted_for_offline_use(monkeypatch):
    arch, n, _ = refused_case()
    calls = []
    real = fit_module.build_dictionary
    monkeypatch.setattr(fit_module, "build_dictionary", lambda *a: calls.append(1) or real(*a))
    x = np.linspace(-2, 2, n)
    result = fit(x, np.abs(x), arch, 0.01, limit=False, deadline_s=None)
    assert calls == [1]
    assert result.lasso.status == "optimal"


# ---------------------------------------------------------------- the deadline


class TickingClock:
    """A clock that advances by one 'second' each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0
        self.stages: list[str] = []

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_deadline_fires_on_a_forced_tiny_budget():
    x = [0, 4, 5, 7, 10, 11]
    with pytest.raises(FitDeadlineError) as info:
        fit(x, [0, 0, 0, 2, 3, 3], Architecture("relu", 3), 1e-3, deadline_s=0.0)
    text = str(info.value)
    assert text.startswith("relu depth 3 with 6 points took longer than ")
    assert "was stopped" in text
    assert "use fewer points, a smaller depth or a larger beta" in text
    assert isinstance(info.value, ValueError)
    assert info.value.budget_s == 0.0


def test_default_deadline_leaves_ordinary_fits_alone():
    result = fit([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], Architecture("relu", 4), 1e-3)
    assert result.lasso.status == "optimal"
    assert FIT_DEADLINE_SECONDS >= 2 * MAX_FIT_SECONDS


@pytest.mark.parametrize(
    ("budget", "stage"),
    [
        (0.5, "the dictionary's build"),  # first read after the start: already late
        (2.5, "the interior-point iterations"),  # build check, solver check, then the IPM
    ],
)
def test_deadline_is_checked_between_and_inside_the_steps(monkeypatch, budget, stage):
    monkeypatch.setattr(deadline_module, "_clock", TickingClock())
    x = np.linspace(-3, 3, 12)
    with pytest.raises(FitDeadlineError) as info:
        fit(x, np.sin(x), Architecture("relu", 3), 1e-3, deadline_s=budget, reuse=False)
    assert info.value.stage == stage


def test_a_generous_fake_budget_lets_the_fit_finish(monkeypatch):
    clock = TickingClock()
    monkeypatch.setattr(deadline_module, "_clock", clock)
    x = np.linspace(-3, 3, 12)
    result = fit(x, np.sin(x), Architecture("relu", 3), 1e-3, deadline_s=1e6, reuse=False)
    assert result.lasso.solver == "FAST"
    assert clock.now > 10  # every IPM iteration read the clock


def expired() -> Deadline:
    return Deadline(1.0, expires_at=-1.0, context="relu depth 3 with 12 points")


def problem():
    x = np.linspace(-3, 3, 12)
    A = build_dictionary(x, Architecture("relu", 3)).A
    y = np.sin(x)
    return A - A.mean(axis=0), y - y.mean(), A, y


def test_each_solver_loop_checks_the_deadline():
    Ac, yc, A, y = problem()
    z = dual_interior_point(Ac, yc, 1e-3)
    for call, stage in [
        (lambda d: dual_interior_point(Ac, yc, 1e-3, deadline=d), "interior-point"),
        (lambda d: polish(A, y, z, 0.0, 1e-3, deadline=d), "polish"),
        (lambda d: active_set(Ac, yc, 1e-3, z, deadline=d), "polish"),
    ]:
        with pytest.raises(FitDeadlineError, match=stage):
            call(expired())
        call(None)  # without a deadline the same call runs
    z_exact, _ = polish(A, y, z, 0.0, 1e-3)
    assert 1 < np.count_nonzero(z_exact) <= 6  # the search for a sparser optimum runs
    with pytest.raises(FitDeadlineError, match="sparser network"):
        sparsest_on_face(A, y, 1e-3, z_exact, deadline=expired())
    sparsest_on_face(A, y, 1e-3, z_exact, deadline=None)


def test_an_expired_deadline_stops_the_solve_without_fallback():
    _, _, A, y = problem()
    with pytest.raises(FitDeadlineError) as info:
        solve_lasso(A, y, 1e-3, reuse=False, deadline=expired())
    assert not isinstance(info.value, LassoUnsolvedError)
    assert info.value.stage == "the first solve"


def test_the_certificate_checks_the_deadline_between_blocks(monkeypatch):
    clock = TickingClock()
    monkeypatch.setattr(deadline_module, "_clock", clock)
    _, _, A, y = problem()

    def blocks():
        yield A
        yield A

    # Count the clock reads of one whole solve (deterministic: same data, no cache) ...
    start = clock.now
    solve_lasso(A, y, 1e-3, reuse=False, candidates=blocks, deadline=Deadline(1.0, 1e9))
    reads = clock.now - start
    # ... then expire just before the last one: the check at the certificate's last block.
    start = clock.now
    late = Deadline(1.0, expires_at=start + reads - 0.5)
    with pytest.raises(FitDeadlineError) as info:
        solve_lasso(A, y, 1e-3, reuse=False, candidates=blocks, deadline=late)
    assert info.value.stage == "the certificate"


def test_waiting_time_extends_a_deadline():
    d = Deadline(2.0, expires_at=-1.0)
    with pytest.raises(FitDeadlineError):
        d.check("the solve")
    d.extended(1e9).check("the solve")  # moved past now: no error
    assert d.extended(-5).expires_at == d.expires_at  # waiting never shortens it


# ---------------------------------------------------------------- what the page accepts


def test_every_readme_lesson_link_and_preset_is_accepted():
    from convexviz.datasets import PRESETS
    from convexviz.ui.fitmemo import FitMemo, fit_state
    from convexviz.ui.state import AppState, decode
    from convexviz.ui.wording import fit_problem
    from tests.browser import lesson_links

    links = lesson_links()
    assert len(links) >= 8
    states = [decode(query)[0] for _, query in links]
    states += [AppState(p.points, p.activation, p.depth, p.beta) for p in PRESETS.values()]
    memo = FitMemo()
    for state in states:
        assert fit_problem(state) == "", state
        result, problem = fit_state(state, memo)
        assert problem == "" and result is not None


def test_the_page_states_the_refusal_before_any_fit():
    from convexviz.ui.fitmemo import FitMemo, fit_state
    from convexviz.ui.state import AppState
    from convexviz.ui.wording import fit_problem

    def must_not_run(*args):
        raise AssertionError("a refused state must not reach the fit")

    points = tuple((float(k), float(k % 2)) for k in range(13)) + ((0.0, 0.5),)  # 13 distinct
    state = AppState(points, "abs", 5, 0.01)
    expected = f"No fit: {refusal(Architecture('abs', 5), 13)}."
    assert fit_problem(state) == expected
    assert fit_state(state, FitMemo(compute=must_not_run)) == (None, expected)
    twenty = tuple((float(k), float(k % 2)) for k in range(20))
    branched = AppState(twenty, "sign", 4, 0.01, branching=(9, 9))  # K = 81: 2^19 patterns
    assert fit_problem(branched).startswith("No fit: sign depth 4 with 20 points is too large")
    assert fit_problem(AppState(twenty, "sign", 4, 0.01, branching=(2, 2))) == ""


def test_a_cvxpy_fallback_and_the_lp_get_the_time_left_as_their_own_limit(monkeypatch):
    """They cannot be interrupted from outside: the solver is told how long it may take."""
    import cvxpy as cp
    import scipy.optimize

    import convexviz.polish as polish_module
    from convexviz import lasso as lasso_module

    _, _, A, y = problem()
    seen = {}
    real_solve = cp.Problem.solve

    def spy_solve(self, *args, **kwargs):
        seen["cvxpy"] = kwargs
        return real_solve(self, *args, **kwargs)

    monkeypatch.setattr(cp.Problem, "solve", spy_solve)
    solve_lasso(A, y, 1e-3, solver="CLARABEL", reuse=False, deadline=Deadline(5.0, 1e18))
    assert seen["cvxpy"]["solver"] == "CLARABEL" and seen["cvxpy"]["time_limit"] > 1e6
    problem_ = lasso_module._ParametrizedLasso(A, y)
    problem_.solve(1e-3, "SCS", time_limit=2.0)
    assert seen["cvxpy"]["time_limit_secs"] == 2.0
    problem_.solve(1e-3, "CLARABEL")  # no deadline: no limit
    assert set(seen["cvxpy"]) == {"solver"}

    real_linprog = scipy.optimize.linprog

    def spy_linprog(*args, **kwargs):
        seen["lp"] = kwargs.get("options")
        return real_linprog(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "linprog", spy_linprog)
    Ac, _, _, _ = problem()
    z = np.zeros(Ac.shape[1])
    z[:3] = 1.0
    assert polish_module._lp_vertex(Ac, z, time_limit=1.5) is not None
    assert seen["lp"] == {"time_limit": 1.5}


def test_both_errors_survive_a_trip_between_processes():
    """Fits run in a pool of worker processes: their errors travel by pickle."""
    import pickle

    too_large = FitTooLargeError(fit_cost(Architecture("abs", 5), 13))
    stopped = FitDeadlineError("relu depth 4 with 20 points", "the polish", 3.0)
    for error in (too_large, stopped):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
    assert pickle.loads(pickle.dumps(too_large)).cost == too_large.cost
    assert pickle.loads(pickle.dumps(stopped)).stage == "the polish"


def test_a_fit_stopped_in_a_worker_process_arrives_as_its_sentence():
    import functools

    from convexviz.ui.workers import FitPool

    pool = FitPool(workers=1, queue=0)
    try:
        stopped = functools.partial(fit, deadline_s=0.0)
        with pytest.raises(FitDeadlineError, match="relu depth 3 with 6 points took longer"):
            pool.run(
                stopped, [0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], Architecture("relu", 3), 1e-3
            )
        with pytest.raises(FitTooLargeError, match="abs depth 5 with 13 points"):
            pool.run(fit, np.arange(13.0), np.zeros(13), Architecture("abs", 5), 1e-3)
    finally:
        pool.shutdown()
