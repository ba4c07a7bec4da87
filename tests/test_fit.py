"""The fit pipeline: THEORY.md reference values (Table V2, V3) and bad input (DESIGN.md §8)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convexviz import Architecture, build_dictionary, fit
from convexviz.cost import FitTooLargeError
from convexviz.limits import MAX_POINTS
from tests import reference as ref


@pytest.mark.parametrize(("name", "act", "depth"), sorted(ref.V2_LASSO))
def test_table_v2_lasso_optimum(name, act, depth):
    """Table V2 "Lasso optimum" with the d0/d1/d2 data of §9.

    The data are printed rounded to 3 decimals and the optima to 6 decimals; the rounded
    data reproduce every optimum to within half a unit of the 6th decimal (worst observed
    difference 4.6e-7, i.e. <= 2e-6 relative), so the table was evidently computed on
    these very numbers and rounding of the data does not matter at this precision.
    """
    x, y, beta = ref.V2_DATA[name]
    r = fit(x, y, Architecture(act, depth), beta)
    expected = ref.V2_LASSO[(name, act, depth)]
    assert r.lasso.objective == pytest.approx(expected, abs=5e-7)
    assert r.network_objective == pytest.approx(r.lasso.objective, rel=1e-9)
    assert r.certificate_gap < 1e-9
    assert r.lasso.status == "optimal"


@pytest.mark.parametrize(
    ("act", "depth", "name"),
    [
        ("relu", 2, "d0"),
        ("leaky_relu", 2, "d1"),
        ("abs", 2, "d0"),
        ("relu", 3, "d1"),
        ("relu", 4, "d2"),
        ("abs", 3, "d0"),
        ("sign", 2, "d1"),
        ("threshold", 2, "d2"),
    ],
)
def test_fit_equals_a_textbook_lasso_on_the_reference_columns(act, depth, name):
    """End to end against oracles only: raw columns from tests/reference.py (no
    de-duplication, constants included), solved by a fresh cvxpy problem."""
    x, y, beta = ref.V2_DATA[name]
    if act in ("sign", "threshold"):
        A = ref.step_matrix(x, act, x)
    elif depth == 2:
        A = ref.two_layer_matrix(x, act, x)
    elif act == "relu":
        A = ref.narrow_relu_matrix(x, depth, x)
    else:
        A = ref.abs3_matrix(x, x)
    expected = ref.lasso_cvxpy(A, y, beta)
    assert fit(x, y, Architecture(act, depth), beta).lasso.objective == pytest.approx(
        expected, rel=1e-6
    )


def test_table_v2_structure_depth_and_activation_relations():
    """§4.3 lemma and §2: narrow ReLU L=3 == L=4 == L=5, and below the 2-layer value."""
    for name in ("d0", "d1", "d2"):
        x, y, beta = ref.V2_DATA[name]
        values = {
            L: fit(x, y, Architecture("relu", L), beta).lasso.objective for L in (2, 3, 4, 5)
        }
        assert values[3] == pytest.approx(values[4], rel=1e-9)
        assert values[5] == pytest.approx(values[4], rel=1e-9)
        assert values[3] <= values[2] + 1e-12


@pytest.mark.parametrize("name", ["opt", "zshape", "bounce"])
@pytest.mark.parametrize("depth", [2, 3, 4])
def test_notebook_examples_interpolate_at_notebook_beta(name, depth):
    """STYLE.md rule 28: status, training residual and the min-l1 norm of Table V3."""
    x, y, beta = ref.NOTEBOOK[name]
    r = fit(x, y, Architecture("relu", depth), beta)
    assert r.lasso.status in ("optimal", "optimal_inaccurate")
    np.testing.assert_allclose(r.predict(np.asarray(x, float)), y, atol=1e-5)
    # Table V3 "reconstructed net" column: the network objective matches beta * min-l1.
    expected = ref.NOTEBOOK_MIN_L1[name][depth]
    assert r.network_objective / beta == pytest.approx(expected, rel=2e-4)


def test_opt_depth4_has_a_one_neuron_interpolant_depth3_needs_two():
    """THEORY.md §8: ramp(5, 8) interpolates 'opt' with l1 = 1; depth 3 needs 2 neurons."""
    x, y, _ = ref.NOTEBOOK["opt"]
    x = np.asarray(x, float)
    grid = np.linspace(-2, 14, 161)
    ramp_5_8 = np.clip(grid - 5, 0, 3)
    np.testing.assert_allclose(np.clip(x - 5, 0, 3), y)  # it interpolates, with z = 1
    d4 = build_dictionary(x, Architecture("relu", 4))
    # Some class of the depth-4 dictionary contains ramp(5, 8) as a member (a tie).
    raw = d4.columns.evaluate(grid)
    assert np.any(np.all(np.abs(raw - ramp_5_8[:, None]) < 1e-12, axis=0))
    # No single depth-3 column interpolates (min over columns of the best 1-term fit).
    d3 = build_dictionary(x, Architecture("relu", 3))
    Ac = d3.A - d3.A.mean(0)
    yc = np.asarray(y) - np.mean(y)
    coef = Ac.T @ yc / np.sum(Ac**2, axis=0)
    assert np.min(np.linalg.norm(yc[:, None] - Ac * coef, axis=0)) > 0.1
    # The notebook's L=3 min-norm solution (2/3) ramp(5,7) + (1/3) ramp(5,10) interpolates.
    two = 2 / 3 * np.clip(x - 5, 0, 2) + 1 / 3 * np.clip(x - 5, 0, 5)
    np.testing.assert_allclose(two, y)


def test_fit_result_api():
    x, y, beta = ref.V2_DATA["d2"]
    r = fit(x, y, Architecture("abs", 3), beta)
    assert r.architecture == Architecture("abs", 3)
    assert set(r.timings_ms) >= {"build", "solve", "total"}
    assert r.beta_max > beta
    curves = r.feature_curves(np.linspace(-3, 3, 11))
    assert curves.shape == (11, len(r.active_features))
    np.testing.assert_allclose(
        curves.sum(axis=1) + r.lasso.bias, r.predict(np.linspace(-3, 3, 11)), atol=1e-12
    )
    for a in r.active_features:
        assert a.coef == r.lasso.z[a.index] != 0
        assert a.n_ties == np.count_nonzero(r.dictionary.class_of == a.index) - 1 >= 0
    # A dictionary built once can be reused for another beta.
    again = fit(x, y, Architecture("abs", 3), 2 * beta, dictionary=r.dictionary)
    assert again.dictionary is r.dictionary
    assert again.lasso.objective > r.lasso.objective


def test_duplicate_x_with_different_y_is_legal():
    x = [0.0, 1.0, 1.0, 1.0, 3.0]
    y = [0.0, 1.0, 2.0, 6.0, 0.0]
    r = fit(x, y, Architecture("relu", 3), 1e-7)
    # Tiny beta: the fit at x = 1 is the mean label 3, the other points are interpolated.
    np.testing.assert_allclose(r.predict(np.array([0.0, 1.0, 3.0])), [0.0, 3.0, 0.0], atol=1e-4)
    assert r.lasso.objective == pytest.approx(0.5 * (4 + 1 + 9), rel=1e-5)
    assert r.certificate_gap < 1e-6


# ------------------------------------------------------------------------------------------
# Bad input (DESIGN.md §8): every case is a ValueError whose message names the problem.

RELU2 = Architecture("relu", 2)


@pytest.mark.parametrize(
    ("x", "y", "fragment"),
    [
        ([0.0, float("nan"), 2.0], [0, 1, 2], "x contains NaN or infinite"),
        ([0.0, 1.0, 2.0], [0, float("inf"), 2], "y contains NaN or infinite"),
        ([], [], "no training points"),
        ([0.0, 1.0, 2.0], [0.0, 1.0], "differ in length"),
        (list(range(MAX_POINTS + 1)), [0.0] * (MAX_POINTS + 1), "too many points"),
        ([0.0, 1e7], [0.0, 1.0], "x values must be within +-1e6"),
        ([0.0, 1.0], [0.0, -2e6], "y values must be within +-1e6"),
        (["a", "b"], [0.0, 1.0], "x must be a list of numbers"),
        ([0.0, 1.0], [None, object()], "y must be a list of numbers"),
        ([[0.0, 1.0]], [[0.0, 1.0]], "one-dimensional"),
    ],
)
def test_bad_data_raise_clear_errors(x, y, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        fit(x, y, RELU2, 0.1)


@pytest.mark.parametrize("beta", [0.0, -0.5, float("nan"), float("inf"), "0.1", None])
def test_bad_beta_raises(beta):
    with pytest.raises(ValueError, match="beta must be a positive number"):
        fit([0, 1, 2], [0, 1, 0], RELU2, beta)


def test_bad_architectures_raise():
    with pytest.raises(ValueError, match="unknown activation 'tanh'; choose one of"):
        Architecture("tanh", 2)
    with pytest.raises(ValueError, match="leaky_relu depth 3 is not supported"):
        Architecture("leaky_relu", 3)
    with pytest.raises(ValueError, match="depth must be an integer >= 2"):
        Architecture("relu", 1)
    with pytest.raises(ValueError, match="depth must be an integer >= 2"):
        Architecture("relu", 2.5)
    with pytest.raises(ValueError, match="leak must be in"):
        Architecture("leaky_relu", 2, leak=1.5)
    with pytest.raises(ValueError, match="branching must list 2 positive integers"):
        Architecture("sign", 4, branching=(2,))
    with pytest.raises(ValueError, match="is not supported"):
        Architecture("relu", 9)


def test_too_large_dictionary_is_rejected_before_building():
    x = np.linspace(-3, 3, 60)
    # live, the cost estimate refuses first; offline (limit=False) the memory cap still holds
    with pytest.raises(FitTooLargeError, match=r"relu depth 4 with 60 points.*at most \d+ points"):
        fit(x, np.sin(x), Architecture("relu", 4), 0.1)
    with pytest.raises(
        ValueError, match=r"needs 3,456,000 candidate features.*at most \d+ points"
    ):
        fit(x, np.sin(x), Architecture("relu", 4), 0.1, limit=False)
