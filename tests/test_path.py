"""The exact regularization path (issue 8, item 2): knots and betas in between against
independent solves, the API of :class:`RegularizationPath`, the ``path`` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexviz import Architecture
from convexviz.dictionary import build_dictionary
from convexviz.lasso import beta_max, lasso_objective, solve_lasso
from convexviz.path import lasso_path, regularization_path
from tests.cli import run_main

ROOT = Path(__file__).resolve().parents[1]
OPT_X = [0.0, 4.0, 5.0, 7.0, 10.0, 11.0]
OPT_Y = [0.0, 0.0, 0.0, 2.0, 3.0, 3.0]
OPT = "0,0 4,0 5,0 7,2 10,3 11,3"
RTOL = 1e-9

ARCHITECTURES = [
    ("relu", 2, 12),
    ("relu", 3, 12),
    ("relu", 4, 8),
    ("leaky_relu", 2, 10),
    ("abs", 2, 10),
    ("abs", 3, 10),
    ("abs", 4, 8),
    ("sign", 2, 10),
    ("sign", 3, 8),
    ("threshold", 2, 10),
]


def random_problem(seed: int, n: int):
    rng = np.random.default_rng(seed)
    return np.sort(rng.uniform(-3, 3, n)), rng.normal(size=n)


def clarabel_objective(A, y, beta) -> float:
    z, xi = cp.Variable(A.shape[1]), cp.Variable()
    loss = 0.5 * cp.sum_squares(A @ z + xi - y) + beta * cp.norm1(z)
    problem = cp.Problem(cp.Minimize(loss))
    problem.solve(solver="CLARABEL")
    return float(problem.value)


def assert_matches_solves(A, y, path, betas):
    for beta in betas:
        z, offset = path.at(beta)
        ours = lasso_objective(A, y, z, offset, beta)
        reference = solve_lasso(A, y, beta, reuse=False).objective
        assert ours == pytest.approx(reference, rel=RTOL, abs=1e-12), beta


def test_opt_data_knots_against_solve_lasso_and_clarabel():
    d = build_dictionary(OPT_X, Architecture("relu", 3))
    y = np.array(OPT_Y)
    path = regularization_path(d, y)
    assert path.beta_max == pytest.approx(beta_max(d.A, y), rel=1e-15)
    assert path.betas[0] == path.beta_max
    assert np.all(np.diff(path.betas) < 0)
    assert path.betas[-1] == pytest.approx(path.beta_max * 1e-4)
    for beta, objective in zip(path.betas[1:], path.objectives[1:], strict=True):
        assert objective == pytest.approx(solve_lasso(d.A, y, beta).objective, rel=RTOL)
        assert objective == pytest.approx(clarabel_objective(d.A, y, beta), rel=1e-6)
    assert np.all(path.gaps <= 1e-9 * np.maximum(path.objectives, 1e-300) + 1e-12)


@pytest.mark.parametrize(("activation", "depth", "n"), ARCHITECTURES)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_architecture_between_knots(activation, depth, n, seed):
    x, y = random_problem(seed, n)
    d = build_dictionary(x, Architecture(activation, depth))
    path = regularization_path(d, y)
    rng = np.random.default_rng(seed + 100)
    # random betas inside random segments (log-uniform within the segment)
    k = rng.integers(0, len(path.segments), size=6)
    t = rng.uniform(size=6)
    lo, hi = path.betas[k + 1], path.betas[k]
    assert_matches_solves(d.A, y, path, lo * (hi / lo) ** t)
    assert_matches_solves(d.A, y, path, path.betas[1:])


def test_fit_objective_agrees_though_fit_polishes_to_the_sparsest_vertex():
    d = build_dictionary(OPT_X, Architecture("relu", 4))
    y = np.array(OPT_Y)
    path = regularization_path(d, y)
    for beta in (1.0, 0.1, 0.01):
        z, offset = path.at(beta)
        fitted = solve_lasso(d.A, y, beta)
        assert lasso_objective(d.A, y, z, offset, beta) == pytest.approx(
            fitted.objective, rel=RTOL
        )
        assert np.allclose(d.A @ z + offset, d.A @ fitted.z + fitted.bias, atol=1e-7)


def test_at_is_piecewise_linear_and_exact_at_the_knots():
    d = build_dictionary(OPT_X, Architecture("relu", 2))
    path = regularization_path(d, OPT_Y)
    for k, segment in enumerate(path.segments):
        mid = 0.5 * (segment.beta_hi + segment.beta_lo)
        z_mid, off_mid = path.at(mid)
        assert np.allclose(z_mid[segment.support], 0.5 * (segment.z_hi + segment.z_lo))
        assert np.count_nonzero(z_mid) == path.n_active[k]
        assert off_mid == pytest.approx(np.mean(np.array(OPT_Y) - d.A @ z_mid))
        assert np.array_equal(path.at(segment.beta_lo)[0][segment.support], segment.z_lo) or (
            k + 1 < len(path.segments)
        )


def test_at_outside_the_path():
    d = build_dictionary(OPT_X, Architecture("relu", 2))
    path = regularization_path(d, OPT_Y, beta_min=0.1)
    z, offset = path.at(10 * path.beta_max)
    assert not z.any() and offset == pytest.approx(np.mean(OPT_Y))
    assert path.betas[-1] == 0.1
    with pytest.raises(ValueError, match="below the path"):
        path.at(0.05)
    with pytest.raises(ValueError, match="positive"):
        path.at(-1.0)


def test_degenerate_paths():
    constant = lasso_path(np.arange(12.0).reshape(4, 3), [2.0, 2.0, 2.0, 2.0])
    assert constant.n_knots == 1 and constant.beta_max == 0.0
    assert constant.at(1.0)[1] == 2.0
    A = np.eye(4)
    above = lasso_path(A, [1.0, 0.0, 0.0, 0.0], beta_min=10.0)
    assert above.n_knots == 1 and above.betas[0] == above.beta_max
    with pytest.raises(ValueError):
        lasso_path(A, [1.0, np.nan, 0.0, 0.0])
    with pytest.raises(ValueError):
        lasso_path(A, [1.0, 0.0, 0.0, 0.0], beta_min=0.0)
    with pytest.raises(ValueError):
        lasso_path(A, [1.0, 0.0, 0.0])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(3, 8),
    m=st.integers(1, 12),
    t=st.floats(0.0, 1.0),
)
def test_random_matrices_against_solves(seed, n, m, t):
    rng = np.random.default_rng(seed)
    A, y = rng.normal(size=(n, m)), rng.normal(size=n)
    path = lasso_path(A, y)
    assert np.all(np.diff(path.betas) < 0)
    beta = path.betas[-1] * (path.beta_max / path.betas[-1]) ** t
    assert_matches_solves(A, y, path, [beta, *path.betas[1:]])


# ---------------------------------------------------------------- command line


def test_cli_contract_in_a_real_process():
    proc = subprocess.run(
        [sys.executable, "-m", "convexviz", "path", "--points", OPT, "--activation", "relu",
         "--depth", "3", "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"beta_max", "knots"}
    knots = out["knots"]
    betas = [k["beta"] for k in knots]
    assert betas[0] == out["beta_max"] and knots[0]["n_active"] == 0
    assert all(a > b for a, b in zip(betas, betas[1:], strict=False))
    assert betas[-1] <= out["beta_max"] * 1e-4 * (1 + 1e-12)
    d = build_dictionary(OPT_X, Architecture("relu", 3))
    y = np.array(OPT_Y)
    for knot in knots[1:]:
        reference = solve_lasso(d.A, y, knot["beta"])
        assert knot["objective"] == pytest.approx(reference.objective, rel=RTOL)
        assert set(knot) == {"beta", "objective", "n_active"}


def test_cli_n_active_is_the_count_just_below_each_knot(capsys):
    code, out, _ = run_main(capsys, "path", "--points", OPT, "--depth", "2", "--json")
    assert code == 0
    knots = json.loads(out)["knots"]
    path = regularization_path(build_dictionary(OPT_X, Architecture("relu", 2)), OPT_Y)
    for knot in knots[1:-1]:
        below = knot["beta"] * (1 - 1e-6)
        assert knot["n_active"] == path.number_of_neurons(below)


def test_cli_beta_min_and_table(capsys):
    code, out, _ = run_main(capsys, "path", "--points", OPT, "--beta-min", "0.5", "--json")
    assert code == 0
    knots = json.loads(out)["knots"]
    assert knots[-1]["beta"] == 0.5
    code, out, _ = run_main(capsys, "path", "--points", OPT, "--depth", "3")
    assert code == 0 and out.startswith("beta_max = ") and "n_active" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--points", "0,0 1,nan 2,1"],
        ["--points", "0,0 1"],
        ["--points", OPT, "--activation", "tanh"],
        ["--points", OPT, "--depth", "9"],
        ["--points", " ".join(f"{i},{i % 3}" for i in range(300))],
        ["--points", OPT, "--beta-min", "0"],
        ["--points", OPT, "--beta-min", "-1"],
        ["--points", OPT, "--beta-min", "nan"],
        ["--points", OPT, "--beta-min", "1e9"],
        ["--points", OPT, "--leak", "5", "--activation", "leaky_relu"],
        ["--points", OPT, "--beta-min", "abc"],
    ],
)
def test_cli_bad_input_exits_2_with_one_line(capsys, args):
    code, out, err = run_main(capsys, "path", *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("convexviz: error:")


def test_fallback_to_solves_keeps_the_path_exact(monkeypatch):
    """Break the homotopy at every third knot: the solves take over, the path stays exact."""
    import convexviz.path as path_module

    homotopy_line = path_module._Homotopy.line_below
    calls = {"n": 0}

    def broken_every_third(self, beta, support, signs):
        calls["n"] += 1
        return None if calls["n"] % 3 == 0 else homotopy_line(self, beta, support, signs)

    monkeypatch.setattr(path_module._Homotopy, "line_below", broken_every_third)
    x, y = random_problem(3, 12)
    d = build_dictionary(x, Architecture("relu", 3))
    path = regularization_path(d, y)
    assert path.n_fallbacks >= calls["n"] // 3 > 0
    assert np.all(np.diff(path.betas) < 0)
    mids = np.sqrt(path.betas[1:] * path.betas[:-1])
    assert_matches_solves(d.A, y, path, [*path.betas[1:], *mids])


# ---------------------------------------------------------------- robustness on random data

#: The deepest ``beta / beta_max`` the app asks for (:data:`convexviz.ui.betapath.MIN_RATIO`).
DEEP = 1e-8

#: Random data (:func:`convexviz.datasets.random_points`) whose path used to stop with
#: "could not be continued below beta=..." (rounding in ill-conditioned active-set solves,
#: and joins computed a hair above their knot), most of them between 1e-4 and 1e-6 beta_max.
ONCE_FAILING = [
    *[("relu", 2, 60, seed) for seed in range(8)],
    *[("abs", 3, 20, seed) for seed in (0, 2, 4, 6)],
    *[("abs", 3, 40, seed) for seed in (0, 1, 5)],
    ("relu", 3, 40, 2),
    ("relu", 2, 80, 6),
]


def assert_certified(A, y, path):
    """Every knot, and the middle of every segment, certified by a duality gap computed here."""
    from convexviz.lasso import certificate_tolerance, dual_gap

    points = [(b, *path.at(b)) for b in path.betas]
    points += [(b, *path.at(b)) for b in (path.betas[1:] + path.betas[:-1]) / 2]
    for beta, z, offset in points:
        objective = lasso_objective(A, y, z, offset, beta)
        assert dual_gap(A, y, z, offset, beta) <= certificate_tolerance(A, z, objective), beta


@pytest.mark.parametrize(("activation", "depth", "n", "seed"), ONCE_FAILING)
def test_random_data_paths_go_all_the_way_down_certified(activation, depth, n, seed):
    from convexviz.datasets import random_points

    points = random_points(n, seed)
    d = build_dictionary([x for x, _ in points], Architecture(activation, depth))
    y = np.array([y for _, y in points])
    floor = beta_max(d.A, y) * DEEP
    path = regularization_path(d, y, floor)
    assert path.stopped_at is None and path.stop_reason == ""
    assert path.betas[-1] == floor
    assert_certified(d.A, y, path)


def break_below(monkeypatch, threshold: float) -> None:
    """Make the homotopy break at every knot below ``threshold`` and allow no solve there:
    the path cannot be continued (as with ties beyond double precision)."""
    import convexviz.path as path_module

    homotopy_line = path_module._Homotopy.line_below

    def broken(self, beta, support, signs):
        return None if beta < threshold else homotopy_line(self, beta, support, signs)

    monkeypatch.setattr(path_module._Homotopy, "line_below", broken)
    monkeypatch.setattr(path_module, "MAX_FALLBACK_SOLVES", 0)


def test_a_path_that_cannot_be_continued_is_returned_down_to_where_it_stopped(monkeypatch):
    d = build_dictionary(OPT_X, Architecture("relu", 2))
    y = np.array(OPT_Y)
    full = regularization_path(d, y)
    assert full.stopped_at is None and full.n_knots > 4
    break_below(monkeypatch, full.betas[2])
    path = regularization_path(d, y)
    assert path.stopped_at == path.betas[-1]
    np.testing.assert_allclose(path.betas, full.betas[:4], rtol=1e-12)
    assert "double precision" in path.stop_reason
    assert_certified(d.A, y, path)
    with pytest.raises(ValueError, match="the path stopped there: no solve"):
        path.at(path.stopped_at / 2)
    # stopped at beta_max itself: one knot, no segment
    break_below(monkeypatch, 2 * full.beta_max)
    top = regularization_path(d, y)
    assert top.stopped_at == top.beta_max and top.n_knots == 1 and not top.segments


def test_cli_a_path_that_stops_early_exits_2_saying_where(monkeypatch, capsys):
    d = build_dictionary(OPT_X, Architecture("relu", 2))
    full = regularization_path(d, OPT_Y)
    break_below(monkeypatch, full.betas[2])
    code, out, err = run_main(capsys, "path", "--points", OPT, "--depth", "2")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert f"could not be continued below beta={full.betas[3]:.6g} (no solve" in err
