"""The Lasso solver: oracles (sklearn, LP, closed forms, TV denoising), beta_max, certificates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Lasso

from convexviz import Architecture, build_dictionary, fit
from convexviz.lasso import beta_max, dual_gap, lasso_objective, solve_lasso
from tests import reference as ref

FAST = settings(max_examples=25, deadline=None)


@st.composite
def data_sets(draw, n_min: int = 3, n_max: int = 7):
    """Distinct inputs (gaps >= 0.1, shuffled), labels in [-2, 2], beta in [1e-3, 1]."""
    n = draw(st.integers(n_min, n_max))
    gaps = draw(st.lists(st.floats(0.1, 2.0), min_size=n - 1, max_size=n - 1))
    start = draw(st.floats(-3.0, 0.0))
    x = start + np.concatenate([[0.0], np.cumsum(gaps)])
    order = draw(st.permutations(range(n)))
    y = draw(st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n))
    log_beta = draw(st.floats(-3.0, 0.0))
    return x[list(order)], np.array(y), float(10**log_beta)


ARCHS = [
    Architecture("relu", 2),
    Architecture("leaky_relu", 2),
    Architecture("abs", 2),
    Architecture("relu", 3),
    Architecture("relu", 4),
    Architecture("abs", 3),
    Architecture("sign", 2),
    Architecture("threshold", 2),
]
ARCH_IDS = [f"{a.activation}{a.depth}" for a in ARCHS]


# ------------------------------------------------------------------------------------------
# sklearn oracle.


@pytest.mark.parametrize("arch", ARCHS, ids=ARCH_IDS)
@pytest.mark.parametrize("name", ["d0", "d2"])
def test_objective_matches_sklearn_lasso(arch, name):
    x, y, beta = ref.V2_DATA[name]
    y = np.asarray(y)
    A = build_dictionary(x, arch).A
    ours = solve_lasso(A, y, beta, reuse=False)
    n = y.size
    # sklearn minimizes (1/2n)||y - A w - b||^2 + alpha ||w||_1, i.e. our objective / n.
    model = Lasso(alpha=beta / n, fit_intercept=True, tol=1e-14, max_iter=1_000_000)
    model.fit(A, y)
    theirs = ref.lasso_objective(A, y, model.coef_, model.intercept_, beta)
    assert ours.objective <= theirs + 1e-9
    assert ours.objective == pytest.approx(theirs, rel=1e-7)
    # Fitted values on the data are unique (strictly convex loss in A z + xi).
    np.testing.assert_allclose(A @ ours.z + ours.bias, model.predict(A), atol=2e-5)


# ------------------------------------------------------------------------------------------
# beta -> 0: LP, closed forms, Lasso at tiny beta.


@pytest.mark.parametrize("name", ["opt", "zshape", "bounce"])
@pytest.mark.parametrize("depth", [2, 3, 4])
def test_notebook_min_l1_norms_table_v3(name, depth):
    x, y, beta = ref.NOTEBOOK[name]
    expected = ref.NOTEBOOK_MIN_L1[name][depth]
    d = build_dictionary(x, Architecture("relu", depth))
    # LP on the de-duplicated dictionary and on the *raw* oracle columns (L=2: §2 columns).
    assert ref.min_l1_interpolation(d.A, y) == pytest.approx(expected, abs=1e-8)
    raw = (
        ref.two_layer_matrix(x, "relu", x)
        if depth == 2
        else ref.narrow_relu_matrix(x, depth, x)
        if depth == 3
        else d.columns.evaluate(np.asarray(x, float))
    )
    assert ref.min_l1_interpolation(raw, y) == pytest.approx(expected, abs=1e-8)
    net = "relu2" if depth == 2 else "narrow_relu"
    assert ref.min_l1_closed_form(x, y, net) == pytest.approx(expected, abs=1e-12)
    # The Lasso at the notebook's beta (1e-7 / 1e-8): objective = beta * min-l1 + O(beta^2),
    # but at this beta the optimum sits at the solver's tolerance (THEORY.md §1; Table V3's
    # own Clarabel values are off by up to 2.2e-5 relative, e.g. 7.500117e-9 for zshape
    # L=4). Hence rel 2e-4 here, and a tight check at beta = 1e-6 below.
    y = np.asarray(y, float)
    r = solve_lasso(d.A, y, beta, reuse=False)
    assert r.objective / beta == pytest.approx(expected, rel=2e-4)
    assert np.abs(r.z).sum() == pytest.approx(expected, rel=2e-4)
    assert np.max(np.abs(d.A @ r.z + r.bias - y)) < 1e-5
    r = solve_lasso(d.A, y, 1e-6, reuse=False)
    assert r.objective / 1e-6 == pytest.approx(expected, rel=1e-5)


CLOSED_FORM_CASES = [
    ("relu2", Architecture("relu", 2)),
    ("abs2", Architecture("abs", 2)),
    ("narrow_relu", Architecture("relu", 3)),
    ("narrow_relu", Architecture("relu", 4)),
    ("threshold2", Architecture("threshold", 2)),
    ("sign2", Architecture("sign", 2)),
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("net", "arch"), CLOSED_FORM_CASES, ids=[c[0] for c in CLOSED_FORM_CASES])
def test_closed_form_min_l1_equals_lp_and_small_beta_lasso(net, arch, seed):
    """THEORY.md §7.2 on random data (N = 4..7): closed form == LP == Lasso / beta."""
    rng = np.random.default_rng(seed)
    n = 4 + seed
    x = rng.permutation(np.cumsum(rng.uniform(0.2, 1.5, n)))
    y = rng.normal(size=n)
    d = build_dictionary(x, arch)
    closed = ref.min_l1_closed_form(x, y, net)
    assert ref.min_l1_interpolation(d.A, y) == pytest.approx(closed, rel=1e-7)
    # opt(beta) / beta = min-l1 - k beta + O(beta^2): the interpolant bounds it from above,
    # and the linear term (k beta ~ 1e-5 relative at 1e-6 here) is removed by Richardson
    # extrapolation from beta and beta / 10.
    ratios = [solve_lasso(d.A, y, b, reuse=False).objective / b for b in (1e-5, 1e-6)]
    assert ratios[1] <= closed * (1 + 1e-8)
    assert ratios[1] == pytest.approx(closed, rel=1e-4)
    assert (10 * ratios[1] - ratios[0]) / 9 == pytest.approx(closed, rel=1e-6)


# ------------------------------------------------------------------------------------------
# Sign/threshold two-layer nets are TV denoising (THEORY.md §3, §7.3).


@pytest.mark.parametrize("act", ["threshold", "sign"])
@pytest.mark.parametrize("beta", [0.05, 0.3])
def test_step_lasso_equals_tv_denoising(act, beta):
    rng = np.random.default_rng(7)
    x = rng.permutation(np.linspace(-2, 2, 8))
    y = np.sign(x) + 0.3 * rng.normal(size=8)
    lam = beta if act == "threshold" else beta / 2
    tv_value, u = ref.tv_denoise(x, y, lam)
    r = fit(x, y, Architecture(act, 2), beta)
    assert r.lasso.objective == pytest.approx(tv_value, rel=1e-7)
    np.testing.assert_allclose(r.predict(x), u, atol=1e-6)


# ------------------------------------------------------------------------------------------
# beta_max (THEORY.md §7.1).


@pytest.mark.parametrize("arch", ARCHS, ids=ARCH_IDS)
def test_beta_max_switches_every_feature_off(arch):
    x, y, _ = ref.V2_DATA["d1"]
    y = np.asarray(y)
    A = build_dictionary(x, arch).A
    bmax = beta_max(A, y)
    yc = y - y.mean()
    assert bmax == pytest.approx(np.max(np.abs((A - A.mean(0)).T @ yc)))
    above = solve_lasso(A, y, 1.001 * bmax, reuse=False)
    assert np.all(above.z == 0)
    assert above.bias == pytest.approx(y.mean())
    assert above.objective == pytest.approx(0.5 * float(yc @ yc))
    below = solve_lasso(A, y, 0.95 * bmax, reuse=False)
    assert np.count_nonzero(below.z) >= 1
    assert below.objective < 0.5 * float(yc @ yc)


@FAST
@given(data=data_sets(), arch_index=st.integers(0, len(ARCHS) - 1))
def test_beta_max_property(data, arch_index):
    x, y, _ = data
    A = build_dictionary(x, ARCHS[arch_index]).A
    bmax = beta_max(A, y)
    above = solve_lasso(A, y, 1.001 * bmax + 1e-12, reuse=False)
    assert np.all(above.z == 0) and above.bias == pytest.approx(y.mean(), abs=1e-12)
    if bmax > 1e-6:
        below = solve_lasso(A, y, 0.95 * bmax, reuse=False)
        assert np.count_nonzero(below.z) >= 1
        assert below.objective < above.objective


# ------------------------------------------------------------------------------------------
# Certificates.


def test_dual_gap_zero_at_solution_positive_when_perturbed():
    x, y, beta = ref.V2_DATA["d0"]
    y = np.asarray(y)
    A = build_dictionary(x, Architecture("relu", 3)).A
    r = solve_lasso(A, y, beta, reuse=False)
    assert r.duality_gap < 1e-9
    assert dual_gap(A, y, r.z, r.bias, beta) < 1e-9
    delta = 0.1
    # Moving the offset raises the objective by exactly N delta^2 / 2 (residuals sum to 0).
    gap = dual_gap(A, y, r.z, r.bias + delta, beta)
    assert gap >= 0.5 * y.size * delta**2 * (1 - 1e-6)
    i = int(np.argmax(np.abs(r.z)))
    z = r.z.copy()
    z[i] *= 1.2
    increase = lasso_objective(A, y, z, r.bias, beta) - r.objective
    assert increase > 1e-4
    assert dual_gap(A, y, z, r.bias, beta) >= increase - 1e-12


def test_certificate_on_a_larger_dictionary_detects_suboptimality():
    """Depth-2 optimum certified against the depth-3 candidates: the gap is the loss."""
    x, y, beta = ref.V2_DATA["d0"]
    y = np.asarray(y)
    A2 = build_dictionary(x, Architecture("relu", 2)).A
    A3 = build_dictionary(x, Architecture("relu", 3)).A
    r2 = solve_lasso(A2, y, beta, reuse=False)
    r3 = solve_lasso(A3, y, beta, reuse=False)
    # The depth-2 optimum is suboptimal for depth 3 (V2: 0.821997 vs 0.535273) ...
    gap = dual_gap(A2, y, r2.z, r2.bias, beta, candidates=[A2, A3])
    assert gap >= r2.objective - r3.objective - 1e-9
    assert gap > 0.28
    # ... but the depth-3 optimum is also optimal over the union of both dictionaries.
    union = np.hstack([A3, A2])
    z3 = np.concatenate([r3.z, np.zeros(A2.shape[1])])
    assert dual_gap(union, y, z3, r3.bias, beta) < 1e-9


@FAST
@given(data=data_sets(), arch_index=st.integers(0, len(ARCHS) - 1))
def test_certificate_property(data, arch_index):
    x, y, beta = data
    A = build_dictionary(x, ARCHS[arch_index]).A
    r = solve_lasso(A, y, beta, reuse=False)
    scale = max(1.0, r.objective)
    assert 0.0 <= r.duality_gap < 1e-7 * scale
    assert dual_gap(A, y, r.z, r.bias + 0.05, beta) >= 0.5 * y.size * 0.05**2 * (1 - 1e-6)


# ------------------------------------------------------------------------------------------
# De-duplication does not change the optimum.


@FAST
@given(arch_index=st.integers(0, len(ARCHS) - 1), data=st.data())
def test_deduplication_keeps_the_optimum(arch_index, data):
    arch = ARCHS[arch_index]
    # Depth 4 has 16 N^3 raw columns: keep N <= 4 so the raw solve stays fast.
    x, y, beta = data.draw(data_sets(3, 4 if arch.depth == 4 else 6))
    d = build_dictionary(x, arch)
    raw = d.columns.evaluate(x)  # every raw candidate, constant columns included
    full = solve_lasso(raw, y, beta, reuse=False)
    dedup = solve_lasso(d.A, y, beta, reuse=False)
    assert dedup.objective == pytest.approx(full.objective, rel=1e-7, abs=1e-10)
    # Fitted values are unique, and 0.5 ||u - u*||^2 <= objective - optimum <= gap; so two
    # solutions agree to sqrt(2 gap_1) + sqrt(2 gap_2) (solver tolerance, not 0).
    tol = np.sqrt(2 * full.duality_gap) + np.sqrt(2 * dedup.duality_gap) + 1e-7
    u_full = raw @ full.z + full.bias
    u_dedup = d.A @ dedup.z + dedup.bias
    assert np.linalg.norm(u_full - u_dedup) <= tol


# ------------------------------------------------------------------------------------------
# Toy cases (STYLE.md rule 26).


def test_one_point_gives_a_constant():
    r = fit([1.5], [2.0], Architecture("relu", 3), beta=0.1)
    assert r.dictionary.size == 0
    assert r.lasso.bias == 2.0 and r.lasso.objective == 0.0
    np.testing.assert_allclose(r.predict(np.linspace(-5, 5, 11)), 2.0)
    assert r.network.n_neurons == 0


@pytest.mark.parametrize(("act", "depth"), [("relu", 2), ("relu", 3), ("abs", 2), ("sign", 2)])
def test_two_points_tiny_beta_interpolates(act, depth):
    r = fit([0.0, 2.0], [1.0, 4.0], Architecture(act, depth), beta=1e-8)
    np.testing.assert_allclose(r.predict(np.array([0.0, 2.0])), [1.0, 4.0], atol=1e-6)
    # One feature suffices, and its l1 cost is 3/2 for all four nets: the slope of the
    # secant (ramps, vees, capped ramps: §7.2 with N = 2) or half the rise (sign step).
    assert r.network.n_neurons == 1
    assert np.abs(r.lasso.z).sum() == pytest.approx(1.5, rel=1e-6)


def test_zero_labels_give_zero_network():
    r = fit([0, 1, 2, 3], [0, 0, 0, 0], Architecture("relu", 4), beta=0.01)
    assert np.all(r.lasso.z == 0) and r.lasso.bias == 0.0 and r.lasso.objective == 0.0
    assert r.network.n_neurons == 0
    assert r.beta_max == 0.0


def test_duplicate_inputs_with_different_labels_are_averaged():
    x = [0.0, 1.0, 1.0, 2.0]
    y = [0.0, 0.0, 2.0, 0.0]
    r = fit(x, y, Architecture("relu", 2), beta=1e-8)
    # At x = 1 the best fit is the mean label 1; the others are hit exactly.
    np.testing.assert_allclose(r.predict(np.array([0.0, 1.0, 2.0])), [0.0, 1.0, 0.0], atol=1e-5)
    assert r.lasso.objective == pytest.approx(1.0, rel=1e-5)  # 0.5 (1 + 1) + O(beta)


def test_solve_lasso_rejects_bad_beta():
    A = np.eye(3)
    y = np.array([1.0, 2.0, 3.0])
    for beta in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="beta must be a positive number"):
            solve_lasso(A, y, beta)


def test_cached_problem_resolves_for_new_beta():
    x, y, _ = ref.V2_DATA["d2"]
    A = build_dictionary(x, Architecture("relu", 3)).A
    y = np.asarray(y)
    values = [solve_lasso(A, y, b).objective for b in (0.1, 0.3, 0.1)]
    fresh = [solve_lasso(A, y, b, reuse=False).objective for b in (0.1, 0.3)]
    assert values[0] == pytest.approx(fresh[0], rel=1e-9)
    assert values[1] == pytest.approx(fresh[1], rel=1e-9)
    assert values[2] == pytest.approx(values[0], rel=1e-9)
    assert values[1] > values[0]
