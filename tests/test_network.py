"""Reconstruction: Lasso solution -> explicit network with the same curve and objective."""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexviz import Architecture, build_dictionary, fit
from convexviz.network import ChainUnit, reconstruct, unit_for
from tests import reference as ref

FAST = settings(max_examples=25, deadline=None)

ARCHS = [
    Architecture("relu", 2),
    Architecture("leaky_relu", 2, leak=0.2),
    Architecture("abs", 2),
    Architecture("relu", 3),
    Architecture("relu", 4),
    Architecture("relu", 5),
    Architecture("abs", 3),
    Architecture("sign", 2),
    Architecture("threshold", 2),
    Architecture("sign", 3, branching=(3,)),
    Architecture("threshold", 4, branching=(2, 2)),
]


@st.composite
def fits(draw):
    arch = draw(st.sampled_from(ARCHS))
    n = draw(st.integers(3, 5 if arch.depth >= 4 and arch.activation == "relu" else 7))
    gaps = draw(st.lists(st.floats(0.1, 2.0), min_size=n - 1, max_size=n - 1))
    x = draw(st.floats(-3.0, 0.0)) + np.concatenate([[0.0], np.cumsum(gaps)])
    x = x[list(draw(st.permutations(range(n))))]
    y = np.array(draw(st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n)))
    beta = 10 ** draw(st.floats(-3.0, 0.0))
    return fit(x, y, arch, beta, reuse=False)


@FAST
@given(result=fits())
def test_rebuilt_network_objective_equals_lasso(result):
    lasso = result.lasso
    assert result.network.n_neurons == np.count_nonzero(lasso.z)
    assert result.network_objective == pytest.approx(lasso.objective, rel=1e-7, abs=1e-12)
    # Penalty part on its own: sum of unit penalties = beta ||z||_1.
    assert result.network.penalty(lasso.beta) == pytest.approx(
        lasso.beta * np.abs(lasso.z).sum(), rel=1e-9, abs=1e-15
    )


@FAST
@given(result=fits())
def test_network_forward_equals_predict(result):
    x = result.x
    grid = np.concatenate([np.linspace(x.min() - 2, x.max() + 2, 157), x])
    np.testing.assert_allclose(result.network.forward(grid), result.predict(grid), atol=1e-9)
    # On the data the curve is A z + xi (STYLE.md rule 27c).
    A_z = result.dictionary.A @ result.lasso.z + result.lasso.bias
    np.testing.assert_allclose(result.network.forward(x), A_z, atol=1e-9)
    assert result.certificate_gap < 1e-7 * max(1.0, result.lasso.objective)


@pytest.mark.parametrize("arch", ARCHS[:7], ids=lambda a: f"{a.activation}{a.depth}")
def test_every_chain_column_is_one_unit(arch):
    """Each dictionary class, scaled by z, is exactly one unit with penalty beta |z|."""
    rng = np.random.default_rng(arch.depth)
    x = rng.permutation(np.cumsum(rng.uniform(0.1, 1.0, 5)))
    d = build_dictionary(x, arch)
    grid = np.linspace(x.min() - 3, x.max() + 3, 97)
    beta = 0.37
    for c in range(d.size):
        z = float(rng.choice([-1, 1]) * rng.uniform(0.1, 3.0))
        unit = unit_for(d.feature(c), z, arch)
        assert isinstance(unit, ChainUnit)
        assert len(unit.weights) == arch.depth - 1
        np.testing.assert_allclose(unit.forward(grid), z * d.feature(c).evaluate(grid), atol=1e-9)
        assert unit.penalty(beta, arch.depth) == pytest.approx(beta * abs(z), rel=1e-12)
        # Balanced rescaling: every weight has magnitude |z|^(1/L) (AM-GM equality).
        magnitudes = np.abs(np.array(unit.weights + (unit.alpha,)))
        np.testing.assert_allclose(magnitudes, abs(z) ** (1 / arch.depth))


def test_opt_depth4_reflection_unit_matches_the_notebook_init():
    """THEORY.md §8: z = 1 on ramp(5, 8) gives weights (-1, -1, +1), biases (8, 4, -1)."""
    x = [0.0, 4, 5, 7, 10, 11]
    d = build_dictionary(x, Architecture("relu", 4))
    index = list(ref.narrow_relu_indices(6, 4)).index(((-1.0, -1.0, 1.0), (0, 1, 2), 1))
    unit = unit_for(d.columns.feature(index), 1.0, Architecture("relu", 4))
    assert unit.weights == (-1.0, -1.0, 1.0)
    assert unit.biases == (8.0, 4.0, -1.0)
    assert unit.alpha == 1.0


# ------------------------------------------------------------------------------------------
# Sign / threshold trees (THEORY.md §6).


TREES = [
    Architecture("sign", 3, branching=(1,)),
    Architecture("sign", 3, branching=(3,)),
    Architecture("threshold", 3, branching=(2,)),
    Architecture("sign", 4, branching=(2, 2)),
    Architecture("sign", 4, branching=(1, 3)),
    Architecture("threshold", 4, branching=(3, 2)),
]


@pytest.mark.parametrize("arch", TREES, ids=lambda a: f"{a.activation}{a.depth}{a.branching}")
@pytest.mark.parametrize("n", [5, 7])
def test_tree_pattern_counts_and_reconstruction(arch, n):
    x = np.random.default_rng(n).permutation(np.arange(n, dtype=float))
    d = build_dictionary(x, arch)
    K = int(np.prod(arch.branching))
    assert arch.max_switches == K
    expected = sum(comb(n - 1, r) for r in range(1, min(K, n - 1) + 1))
    assert d.raw_size == d.size == expected == ref.sign_pattern_count(n, K)
    # The set of data patterns is every pattern with 1..K switches (brute force).
    on_data = d.columns.evaluate(np.sort(x))
    low = -1.0 if arch.activation == "sign" else 0.0
    as_sign = np.where(on_data == low, -1, 1)
    assert {tuple(int(v) for v in col) for col in as_sign.T} == ref.sign_patterns(n, K)
    # Each pattern is realized by a tree unit with the given branching.
    grid = np.concatenate([np.linspace(-1, n, 4 * n + 3), x])
    beta = 0.2
    for c in range(d.size):
        z = -1.7 if c % 2 else 0.6
        feature = d.feature(c)
        unit = unit_for(feature, z, arch)
        np.testing.assert_allclose(unit.forward(grid), z * feature.evaluate(grid), atol=1e-12)
        assert unit.penalty(beta, arch.depth) == pytest.approx(beta * abs(z))
        assert tree_shape(unit.top) == arch.branching[::-1]


def tree_shape(node) -> tuple[int, ...]:
    """Branching of a tree from the top unit downwards (all subtrees must agree)."""
    if not node.children:
        return ()
    below = {tree_shape(child) for child in node.children}
    assert len(below) == 1
    return (len(node.children),) + below.pop()


def test_sign_tree_fit_uses_multistep_patterns():
    # A pulse needs two switches: a depth-3 tree does it with one neuron.
    x = np.arange(6.0)
    y = np.array([0, 0, 1, 1, 0, 0], dtype=float)
    r2 = fit(x, y, Architecture("sign", 2), 1e-3)
    r3 = fit(x, y, Architecture("sign", 3, branching=(2,)), 1e-3)
    assert r3.network.n_neurons == 1 < r2.network.n_neurons
    assert r3.active_features[0].feature.kind == "multistep"
    assert r3.lasso.objective < r2.lasso.objective
    np.testing.assert_allclose(r3.network.forward(x), r3.predict(x), atol=1e-12)


def test_empty_network_is_its_bias():
    r = fit([0.0, 1.0, 2.0], [1.0, 1.0, 1.0], Architecture("relu", 3), 0.1)
    assert r.network.n_neurons == 0
    np.testing.assert_allclose(r.network.forward(np.linspace(-3, 3, 5)), 1.0)
    assert r.network.objective(r.x, r.y, 0.1) == 0.0


def test_reconstruct_uses_the_fit_coefficients():
    x, y, beta = ref.V2_DATA["d1"]
    r = fit(x, y, Architecture("abs", 3), beta)
    net = reconstruct(r.dictionary, r.lasso)
    assert net.bias == r.lasso.bias
    assert len(net.units) == len(r.active_features)
    for unit, active in zip(net.units, r.active_features, strict=True):
        assert np.sign(unit.alpha) == np.sign(active.coef)


def test_pattern_units_reject_patterns_that_start_high():
    from convexviz.features import PatternFeature

    with pytest.raises(ValueError, match="start low"):
        unit_for(PatternFeature("sign", (0.5,), 1.0), 1.0, Architecture("sign", 2))
    # Exhaustive check of the brute-force oracle itself: C(N-1, r) patterns with r switches.
    for n, k in itertools.product(range(2, 7), range(1, 4)):
        assert len(ref.sign_patterns(n, k)) == ref.sign_pattern_count(n, k)
