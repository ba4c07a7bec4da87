"""Every optimal network (convexviz.optimal_set), its figure, and the closed forms."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexviz import Architecture, fit
from convexviz.closed_forms import beta_max_closed_form, closed_forms, min_l1_interpolation
from convexviz.features import KIND_CODE
from convexviz.lasso import lasso_objective
from convexviz.optimal_figure import create_alternatives_figure
from convexviz.optimal_set import (
    MAX_NAME_LENGTH,
    alternative_optima,
    is_unique,
    objective_tolerance,
    optimal_face,
)
from convexviz.plot_style import FAINT_COLOR, NETWORK_COLOR
from convexviz.plots import default_grid
from tests import reference

OPT_X, OPT_Y = [0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3]
FAST = settings(max_examples=20, deadline=None)


def _ramp(p: float, q: float, x):
    """``ramp(p, q; x) = min(max(x - p, 0), q - p)`` (THEORY.md §4.3)."""
    return np.clip(np.asarray(x, float) - p, 0.0, q - p)


@pytest.fixture(scope="module")
def opt4():
    """The paper's 'opt' data at ReLU depth 4, where reflections add optimal networks."""
    result = fit(OPT_X, OPT_Y, Architecture("relu", 4), beta=1e-3)
    return result, alternative_optima(result)


def _assert_optimal(result, alternatives) -> None:
    """Same certified objective (network and Lasso), same values on the data."""
    for alt in alternatives:
        opt = result.lasso.objective
        assert abs(alt.objective - opt) <= 1e-9 * opt + 1e-15, alt.name
        A, y = result.dictionary.A, result.y
        bias = float(np.mean(y - A @ alt.z))
        assert abs(lasso_objective(A, y, alt.z, bias, result.lasso.beta) - opt) <= 1e-9 * opt
        assert np.allclose(alt.predict(result.x), result.predict(result.x), atol=1e-9)


def _assert_distinct(result, alternatives) -> None:
    grid = default_grid(result.x)
    curves = [alt.predict(grid) for alt in alternatives]
    for i in range(len(curves)):
        for j in range(i):
            assert np.abs(curves[i] - curves[j]).max() > 1e-6, (i, j)


# ---------------------------------------------------------------- the 'opt' example


def test_opt_depth4_is_not_unique_and_says_why(opt4):
    result, _ = opt4
    verdict = is_unique(result)
    assert verdict.unique is False and not verdict
    assert verdict.reason.startswith("Not unique:")


def test_opt_depth4_finds_the_reflection_and_the_capped_ramps_networks(opt4):
    """THEORY.md §4.3: one reflection neuron ramp(5, 8) and the two capped ramps 5-7, 5-10
    are both optimal (beta small: a third tiny capped ramp 4 to 10 rides along)."""
    result, alternatives = opt4
    grid = np.linspace(-2, 13, 301)
    sparsest = alternatives[0]
    assert sparsest.name == "sparsest"
    assert sparsest.n_reflections == 1
    reflection = np.nonzero(
        result.dictionary.columns.kinds[list(sparsest.raw_columns)] == KIND_CODE["reflection"]
    )[0]
    assert reflection.size == 1
    by_name = {alt.name: alt for alt in alternatives}
    no_reflection = by_name["fewest reflections"]
    assert no_reflection.n_reflections == 0
    # The two networks, as curves: ~ ramp(5, 8) and ~ 2/3 ramp(5, 7) + 1/3 ramp(5, 10).
    f_reflection = sparsest.predict(grid)
    f_ramps = no_reflection.predict(grid)
    one_neuron = _ramp(5, 8, grid)
    two_neurons = 2 / 3 * _ramp(5, 7, grid) + 1 / 3 * _ramp(5, 10, grid)
    assert np.abs(f_reflection - f_reflection[0] - one_neuron).max() < 0.02
    assert np.abs(f_ramps - f_ramps[0] - two_neurons).max() < 0.02
    # Same values on the data, different curves between the points (at x = 8: 3 vs 2.4).
    assert np.allclose(sparsest.predict(result.x), no_reflection.predict(result.x), atol=1e-9)
    assert abs(sparsest.predict([8.0])[0] - no_reflection.predict([8.0])[0]) > 0.5
    _assert_optimal(result, alternatives)
    _assert_distinct(result, alternatives)


def test_opt_depth4_alternatives_are_named_and_described(opt4):
    _, alternatives = opt4
    names = [alt.name for alt in alternatives]
    assert names[:3] == ["sparsest", "fewest reflections", "smallest ||z||_2"]
    assert len(set(names)) == len(names)
    assert all(alt.description.endswith(".") for alt in alternatives)
    l2 = alternatives[2]
    assert np.linalg.norm(l2.z) <= min(np.linalg.norm(a.z) for a in alternatives) + 1e-9


def test_smallest_l2_is_the_qp_optimum(opt4):
    """No optimal z is shorter: compare with an independent cvxpy QP over the whole face."""
    import cvxpy as cp

    result, alternatives = opt4
    A = result.dictionary.A
    Ac = A - A.mean(axis=0)
    z = cp.Variable(A.shape[1])
    constraints = [
        Ac @ z == Ac @ result.lasso.z,
        cp.norm1(z) <= np.abs(result.lasso.z).sum() * (1 + 1e-10),
    ]
    cp.Problem(cp.Minimize(cp.sum_squares(z)), constraints).solve(solver="CLARABEL")
    l2 = next(a for a in alternatives if a.name == "smallest ||z||_2")
    assert np.linalg.norm(l2.z) == pytest.approx(np.linalg.norm(z.value), rel=1e-5)


def test_limit_caps_the_number_of_networks(opt4):
    result, alternatives = opt4
    assert len(alternatives) == 8  # the default limit, reached on this example
    assert [a.name for a in alternative_optima(result, limit=2)] == [
        "sparsest",
        "fewest reflections",
    ]
    with pytest.raises(ValueError, match="limit"):
        alternative_optima(result, limit=0)


def test_face_contains_the_fit_with_its_signs(opt4):
    result, _ = opt4
    face = optimal_face(result)
    z = result.lasso.z
    assert set(np.nonzero(z)[0]) <= set(face.columns)
    c = face.from_z(z)
    assert np.all(c >= 0)
    assert np.allclose(face.B @ c, face.target)
    assert np.array_equal(face.to_z(c, z.size), z)


# ---------------------------------------------------------------- uniqueness


def test_depth2_generic_data_is_unique():
    """Two-layer ReLU, generic data, moderate beta: one optimal curve."""
    x = [-2.0, -1.1, 0.3, 0.9, 2.2, 3.1]
    y = [0.5, -0.7, 0.8, 0.1, -0.4, 1.2]
    result = fit(x, y, Architecture("relu", 2), beta=0.1)
    verdict = is_unique(result)
    assert verdict.unique and verdict, verdict.reason
    assert verdict.reason.startswith("Unique:")
    alternatives = alternative_optima(result)
    assert [a.name for a in alternatives] == ["sparsest"]
    _assert_optimal(result, alternatives)


def test_flat_line_is_unique():
    result = fit(OPT_X, OPT_Y, Architecture("relu", 3), beta=100.0)
    verdict = is_unique(result)
    assert verdict.unique and "β_max" in verdict.reason
    assert len(alternative_optima(result)) == 1


def test_depth2_dependent_face_can_still_be_one_curve():
    """(x - a)+ - (a - x)+ = x - a: at small beta many z give the same curve; is_unique
    must look at curves, not at z."""
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-3, 3, 10))
    y = rng.normal(size=10)
    result = fit(x, y, Architecture("relu", 2), beta=0.01)
    face = optimal_face(result)
    assert np.linalg.matrix_rank(face.B) < face.columns.size  # z itself is not unique
    verdict = is_unique(result)
    assert verdict.unique and "same curve" in verdict.reason
    assert len(alternative_optima(result)) == 1


def test_ties_off_the_data_make_abs_depth2_not_unique():
    """On the data the end vees |x + 2| and |x - 3.1| are both lines: tied. Swapping one for
    the other keeps every value inside [-2, 3.1] and changes the curve beyond it."""
    x = [-2.0, -1.1, 0.3, 0.9, 2.2, 3.1]
    y = [2.0, 1.0, 0.1, 0.3, 1.4, 2.6]
    result = fit(x, y, Architecture("abs", 2), beta=0.05)
    verdict = is_unique(result)
    assert not verdict.unique
    assert "vee |x + 2|" in verdict.reason and "vee |x - 3.1|" in verdict.reason
    alternatives = alternative_optima(result)
    assert [a.name for a in alternatives] == ["sparsest", "tie: vee |x - 3.1|"]
    _assert_optimal(result, alternatives)
    inside, outside = np.linspace(-2, 3.1, 50), np.array([-3.0, 4.0])
    first, tie = alternatives
    assert np.allclose(first.predict(inside), tie.predict(inside), atol=1e-9)
    assert np.abs(first.predict(outside) - tie.predict(outside)).min() > 0.05


ARCHITECTURES = [
    ("relu", 2, 7),
    ("relu", 3, 7),
    ("relu", 4, 6),
    ("abs", 2, 7),
    ("abs", 3, 6),
    ("abs", 4, 5),
    ("leaky_relu", 2, 7),
    ("sign", 2, 7),
    ("sign", 3, 6),
    ("threshold", 3, 6),
]


@FAST
@given(
    case=st.sampled_from(ARCHITECTURES),
    seed=st.integers(0, 10_000),
    beta=st.sampled_from([0.003, 0.03, 0.3]),
)
def test_every_alternative_is_optimal_distinct_and_consistent_with_is_unique(case, seed, beta):
    activation, depth, n = case
    rng = np.random.default_rng(seed)
    x = np.round(np.sort(rng.uniform(-3, 3, n)), 2)
    y = np.round(rng.normal(size=n), 2)
    result = fit(x, y, Architecture(activation, depth), beta=beta)
    alternatives = alternative_optima(result, limit=5)
    assert 1 <= len(alternatives) <= 5
    assert alternatives[0].name == "sparsest"
    _assert_optimal(result, alternatives)
    _assert_distinct(result, alternatives)
    grid = default_grid(x)
    for alt in alternatives:
        assert alt.n_neurons == np.count_nonzero(alt.z) == len(alt.raw_columns)
        assert len(alt.name) <= len("tie: ") + MAX_NAME_LENGTH  # fits a legend
        terms = sum(c * f.evaluate(grid) for c, f in zip(alt.coefs, alt.features, strict=True))
        assert np.allclose(terms + alt.network.bias, alt.predict(grid), atol=1e-9)
        assert abs(alt.objective - result.lasso.objective) <= objective_tolerance(result, alt.z)
    assert alternatives[0].n_neurons <= result.network.n_neurons
    # A unique optimum has no alternative; two distinct curves disprove uniqueness.
    assert is_unique(result).unique is (len(alternatives) == 1)


# ---------------------------------------------------------------- the figure


def test_figure_draws_every_alternative_and_the_data(opt4):
    result, alternatives = opt4
    fig = create_alternatives_figure(result, alternatives, selected=1)
    go.Figure(fig.to_dict())  # validates every property
    names = [t.name for t in fig.data]
    assert sorted(names[:-1]) == sorted(a.name for a in alternatives)
    assert names[-2] == alternatives[1].name  # the selected one drawn on top
    assert names[-1] == "data"
    ranks = {t.name: t.legendrank for t in fig.data[:-1]}
    assert [ranks[a.name] for a in alternatives] == sorted(ranks.values())  # legend order
    assert max(ranks.values()) < 1000  # before the data (default rank 1000)
    for trace in fig.data[:-1]:
        bold = trace.name == alternatives[1].name
        assert trace.line.color == (NETWORK_COLOR if bold else FAINT_COLOR)
        assert (trace.line.width > 3) is bold
        alt = next(a for a in alternatives if a.name == trace.name)
        assert np.allclose(trace.y, alt.predict(np.asarray(trace.x)))
    assert np.array_equal(fig.data[-1].x, result.x)
    assert np.array_equal(fig.data[-1].y, result.y)
    assert "8 optimal networks" in fig.layout.title.text


def test_figure_grid_holds_every_kink(opt4):
    """Breakpoints of all alternatives are grid points: ramp(5, 8) kinks at 8 exactly."""
    result, alternatives = opt4
    fig = create_alternatives_figure(result, alternatives, selected=0)
    assert 8.0 in set(np.asarray(fig.data[0].x))


def test_figure_rejects_bad_selection(opt4):
    result, alternatives = opt4
    with pytest.raises(ValueError, match="selected"):
        create_alternatives_figure(result, alternatives, selected=len(alternatives))
    with pytest.raises(ValueError, match="no alternatives"):
        create_alternatives_figure(result, (), selected=0)


# ---------------------------------------------------------------- closed forms (item 4)

CLOSED_FORM_ARCHITECTURES = [
    ("relu", 2),
    ("leaky_relu", 2),
    ("abs", 2),
    ("relu", 3),
    ("relu", 4),
    ("relu", 5),
    ("sign", 2),
    ("threshold", 2),
    ("abs", 3),
    ("sign", 3),
]


@FAST
@given(case=st.sampled_from(CLOSED_FORM_ARCHITECTURES), seed=st.integers(0, 10_000))
def test_beta_max_formula_matches_the_solver(case, seed):
    activation, depth = case
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, 6)
    y = rng.normal(size=6)
    result = fit(x, y, Architecture(activation, depth), beta=0.1)
    form = beta_max_closed_form(x, y, Architecture(activation, depth))
    assert form.value == pytest.approx(result.beta_max, rel=1e-12, abs=1e-12)
    assert form.label == "[PROVED-HERE]" and "§7.1" in form.source
    # And it is the threshold: the flat line just above, a neuron just below.
    above = fit(x, y, Architecture(activation, depth), beta=1.001 * form.value)
    below = fit(x, y, Architecture(activation, depth), beta=0.99 * form.value)
    assert above.network.n_neurons == 0
    assert below.network.n_neurons >= 1


@pytest.mark.parametrize("activation, depth", CLOSED_FORM_ARCHITECTURES)
def test_beta_max_formula_with_repeated_inputs(activation, depth):
    """Repeated x give repeated rows; the data formulas sum over every point."""
    x = [0.0, 1.0, 1.0, 2.5, 4.0, 4.0]
    y = [0.3, -1.0, 0.4, 2.0, -0.5, 0.1]
    result = fit(x, y, Architecture(activation, depth), beta=0.1)
    form = beta_max_closed_form(x, y, Architecture(activation, depth))
    assert form.value == pytest.approx(result.beta_max, rel=1e-12)


# THEORY.md §8 / Table V3: min ||z||_1 of exact interpolants.
REFERENCE_MIN_L1 = [
    ("opt", OPT_X, OPT_Y, {2: 2.0, 3: 1.0, 4: 1.0}),
    ("zshape", [0, 2, 6, 7], [0, 0, 3, 3], {2: 1.5, 3: 0.75, 4: 0.75}),
    ("bounce", [0, 2, 6, 7], [0, 0, 3, 7], {2: 4.0, 3: 4.0, 4: 4.0}),
]


@pytest.mark.parametrize("name, x, y, values", REFERENCE_MIN_L1, ids=lambda v: str(v)[:8])
def test_min_l1_matches_theory_reference_values(name, x, y, values):
    for depth, expected in values.items():
        form = min_l1_interpolation(x, y, Architecture("relu", depth))
        assert form.value == pytest.approx(expected, rel=1e-12)
        assert form.label == "[PROVED-HERE]" and form.source == "THEORY.md §7.2"


@pytest.mark.parametrize("name, x, y, values", REFERENCE_MIN_L1, ids=lambda v: str(v)[:8])
def test_min_l1_is_the_small_beta_limit_of_the_lasso(name, x, y, values):
    """objective / beta -> min-l1 as beta -> 0 (error O(beta))."""
    for depth, expected in values.items():
        beta = 1e-6
        result = fit(x, y, Architecture("relu", depth), beta=beta)
        assert result.lasso.objective / beta == pytest.approx(expected, rel=1e-4)


@FAST
@given(
    activation_depth=st.sampled_from(
        [("relu", 2), ("abs", 2), ("relu", 3), ("relu", 4), ("threshold", 2), ("sign", 2)]
    ),
    seed=st.integers(0, 10_000),
)
def test_min_l1_matches_an_lp_over_the_dictionary(activation_depth, seed):
    activation, depth = activation_depth
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, 6)
    y = rng.normal(size=6)
    arch = Architecture(activation, depth)
    result = fit(x, y, arch, beta=1e-3)
    form = min_l1_interpolation(x, y, arch)
    lp = reference.min_l1_interpolation(result.dictionary.A, y)
    assert form.value == pytest.approx(lp, rel=1e-6)


def test_min_l1_has_no_closed_form_where_theory_gives_none():
    assert min_l1_interpolation(OPT_X, OPT_Y, Architecture("leaky_relu", 2)) is None
    assert min_l1_interpolation(OPT_X, OPT_Y, Architecture("abs", 3)) is None
    assert min_l1_interpolation([0, 0, 1], [0, 1, 2], Architecture("relu", 2)) is None  # repeat
    assert min_l1_interpolation([1], [2], Architecture("relu", 2)) is None


def test_closed_forms_of_a_fit_are_plain_labelled_data():
    result = fit(OPT_X, OPT_Y, Architecture("relu", 4), beta=1e-3)
    forms = closed_forms(result)
    assert [f.name for f in forms] == ["β_max", "β → 0 limit of objective / β"]
    assert forms[0].value == pytest.approx(result.beta_max, rel=1e-12)
    assert forms[1].value == pytest.approx(1.0, rel=1e-12)
    for form in forms:
        assert form.text.startswith(form.label + " " + form.name)
        assert isinstance(form.value, float)
    only_beta_max = closed_forms(fit(OPT_X, OPT_Y, Architecture("abs", 3), beta=1e-3))
    assert [f.name for f in only_beta_max] == ["β_max"]


def test_long_tie_names_are_cut_for_the_legend_and_kept_whole_in_the_description():
    x = [-2.9, -2.75, -1.38, 0.82, 1.88, 2.48]
    y = [1.3, 0.95, -0.7, -1.27, -0.62, 0.04]
    result = fit(x, y, Architecture("abs", 3), beta=0.003)
    ties = [a for a in alternative_optima(result) if a.name.startswith("tie: ")]
    assert ties
    for tie in ties:
        label = tie.description.split(" replaces ")[0]
        if len(label) > MAX_NAME_LENGTH:
            assert tie.name == "tie: " + label[: MAX_NAME_LENGTH - 1].rstrip() + "…"
        else:
            assert tie.name == "tie: " + label
    assert any(tie.name.endswith("…") for tie in ties)
