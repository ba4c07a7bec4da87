"""Exact active-set refinement, polish and sparsest optimal vertex (convexviz.polish)."""

import cvxpy as cp
import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from convexviz import Architecture, build_dictionary
from convexviz.lasso import dual_gap, lasso_objective
from convexviz.polish import active_set, polish, sparsest_on_face


def _reference_lasso(A, y, beta):
    """Independent cvxpy solve with tight tolerances (no caching, no polishing)."""
    z = cp.Variable(A.shape[1])
    xi = cp.Variable()
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ z + xi - y) + beta * cp.norm1(z)))
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    return np.asarray(z.value), float(xi.value), prob.value


def _vertex_start(A, z_ref):
    """A vertex of min ||z||_1 s.t. A_c z = A_c z_ref: the support a polisher hands over."""
    Ac = A - A.mean(axis=0)
    m = A.shape[1]
    res = scipy.optimize.linprog(
        np.ones(2 * m), A_eq=np.hstack([Ac, -Ac]), b_eq=Ac @ z_ref, method="highs-ds"
    )
    z = res.x[:m] - res.x[m:]
    return np.where(np.abs(z) > 1e-6 * max(np.abs(z).max(), 1e-300), z, 0.0)


def _active_set(A, y, beta, z_start):
    """:func:`active_set` on the centred data (the free offset eliminated)."""
    return active_set(A - A.mean(axis=0), y - y.mean(), beta, z_start)


def _kkt_violation(A, y, z, beta):
    Ac, yc = A - A.mean(axis=0), y - y.mean()
    corr = Ac.T @ (yc - Ac @ z)
    off = np.abs(corr) - beta
    on = z != 0
    wrong_sign = np.abs(corr[on] - beta * np.sign(z[on]))
    return max(off.max(initial=0.0), wrong_sign.max(initial=0.0))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(3, 8),
    case=st.sampled_from([("relu", 2), ("relu", 3), ("abs", 3), ("leaky_relu", 2)]),
    log_beta=st.floats(-3, 0),
)
def test_active_set_from_a_vertex_reaches_the_optimum(seed, n, case, log_beta):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, n))
    y = rng.normal(size=n)
    beta = 10.0**log_beta
    A = build_dictionary(x, Architecture(*case)).A
    z_ref, _, value = _reference_lasso(A, y, beta)
    z = _active_set(A, y, beta, _vertex_start(A, z_ref))
    assert z is not None
    bias = float(np.mean(y - A @ z))
    assert lasso_objective(A, y, z, bias, beta) <= value + 1e-8 * max(1.0, abs(value))
    assert _kkt_violation(A, y, z, beta) <= 1e-8 * max(beta, 1.0)
    assert dual_gap(A, y, z, bias, beta) <= 1e-10 * max(1.0, value)


def test_active_set_recovers_from_a_wrong_start():
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(-3, 3, 7))
    y = rng.normal(size=7)
    A = build_dictionary(x, Architecture("relu", 3)).A
    z_start = np.zeros(A.shape[1])
    z_start[:3] = 1.0  # an arbitrary, wrong support
    z = _active_set(A, y, 0.1, z_start)
    _, _, value = _reference_lasso(A, y, 0.1)
    assert z is not None
    assert lasso_objective(A, y, z, float(np.mean(y - A @ z)), 0.1) == pytest.approx(
        value, rel=1e-8
    )


def test_sparsest_on_face_keeps_the_optimum_and_never_adds_neurons():
    x = np.array([0, 4, 5, 7, 10, 11.0])
    y = np.array([0, 0, 0, 2, 3, 3.0])
    A = build_dictionary(x, Architecture("relu", 4)).A
    beta = 1e-3
    z_ref, _, value = _reference_lasso(A, y, beta)
    z, _ = polish(A, y, z_ref, 0.0, beta)
    sparse = sparsest_on_face(A, y, beta, z)
    for cand in (z, sparse):
        bias = float(np.mean(y - A @ cand))
        assert lasso_objective(A, y, cand, bias, beta) == pytest.approx(value, rel=1e-9)
    assert np.count_nonzero(sparse) <= np.count_nonzero(z)
    assert np.count_nonzero(sparse) <= len(x) - 1  # a vertex of the optimal face
    # Same fitted values: the Lasso fit is unique on the data.
    np.testing.assert_allclose(A @ sparse - (A @ sparse).mean(), A @ z - (A @ z).mean(), atol=1e-9)


def test_sparsest_on_face_finds_a_sparser_vertex_when_one_exists():
    # Column 2 is the mean of columns 0 and 1, and by symmetry the optimum puts equal
    # weight on 0 and 1: the face holds a two-column and a one-column solution of equal l1.
    A = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])
    y = np.array([0.0, 1.0, 1.0])
    beta = 1e-3
    z_two = _active_set(A, y, beta, np.array([1.0, 1.0, 0.0]))
    assert z_two is not None and np.count_nonzero(z_two) == 2
    z = sparsest_on_face(A, y, beta, z_two)
    assert np.count_nonzero(z) == 1
    assert lasso_objective(A, y, z, float(np.mean(y - A @ z)), beta) == pytest.approx(
        lasso_objective(A, y, z_two, float(np.mean(y - A @ z_two)), beta), rel=1e-12
    )
