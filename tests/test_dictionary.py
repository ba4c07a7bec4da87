"""Dictionaries: raw columns against the recursive oracles, sizes, de-duplication."""

from __future__ import annotations

import numpy as np
import pytest

from convexviz import Architecture, build_dictionary
from convexviz.dictionary import MAX_RAW_COLUMNS, deduplicate, raw_size_estimate
from convexviz.features import KIND_CODE
from tests import reference as ref


def random_inputs(n: int, seed: int) -> np.ndarray:
    """Distinct, unsorted inputs with gaps of at least 0.05."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.uniform(0.05, 1.0, size=n)) - 2.0
    return rng.permutation(x)


def eval_points(x: np.ndarray, seed: int, extra: int = 25) -> np.ndarray:
    """Data points, anchors that matter (reflections, midpoints) and random points."""
    rng = np.random.default_rng(seed + 1000)
    reflections = (2 * x[:, None] - x[None, :]).ravel()
    mids = ((x[:, None] + x[None, :]) / 2).ravel()
    return np.concatenate([x, reflections[:10], mids[:10], rng.uniform(-6, 6, extra)])


REFERENCE_CASES = [
    ("relu", 2, 0.1, 6),
    ("leaky_relu", 2, 0.1, 6),
    ("leaky_relu", 2, 0.35, 5),
    ("abs", 2, 0.1, 6),
    ("relu", 3, 0.1, 6),
    ("relu", 4, 0.1, 4),
    ("abs", 3, 0.1, 6),
]


def reference_matrix(x: np.ndarray, act: str, depth: int, leak: float, g: np.ndarray):
    if depth == 2:
        return ref.two_layer_matrix(x, act, g, leak)
    if act == "relu":
        return ref.narrow_relu_matrix(x, depth, g)
    return ref.abs3_matrix(x, g)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("act", "depth", "leak", "n"), REFERENCE_CASES)
def test_raw_columns_equal_recursive_reference(act, depth, leak, n, seed):
    x = random_inputs(n, seed)
    g = eval_points(x, seed)
    d = build_dictionary(x, Architecture(act, depth, leak=leak))
    expected = reference_matrix(x, act, depth, leak, g)
    got = d.columns.evaluate(g)
    assert got.shape == expected.shape  # same raw size, same index order (s, j, k)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # Each raw column turned into a frozen feature evaluates to the same values.
    for i in range(0, d.raw_size, max(1, d.raw_size // 40)):
        np.testing.assert_allclose(d.columns.feature(i).evaluate(g), expected[:, i], atol=1e-12)


@pytest.mark.parametrize("act", ["sign", "threshold"])
def test_step_columns_equal_reference(act):
    x = random_inputs(7, 3)
    g = np.concatenate([x, np.linspace(-4, 6, 41)])
    d = build_dictionary(x, Architecture(act, 2))
    np.testing.assert_array_equal(d.columns.evaluate(g), ref.step_matrix(x, act, g))


def test_repeated_inputs_use_distinct_knots():
    x = np.array([0.0, 1.0, 1.0, 3.0, 0.0])
    d = build_dictionary(x, Architecture("relu", 3))
    assert d.raw_size == 4 * 3**2
    g = np.linspace(-1, 4, 21)
    np.testing.assert_allclose(d.columns.evaluate(g), ref.narrow_relu_matrix(x, 3, g), atol=1e-12)
    assert d.A.shape == (5, 3)  # one row per point, N(N-1)/2 classes for 3 distinct inputs


def test_relu_depth5_pads_depth4_chains_with_identity_layers():
    x = random_inputs(4, 7)
    g = eval_points(x, 7)
    d4 = build_dictionary(x, Architecture("relu", 4))
    d5 = build_dictionary(x, Architecture("relu", 5))
    assert d5.columns.signs.shape[1] == 4  # a genuine depth-5 chain
    np.testing.assert_allclose(d5.columns.evaluate(g), d4.columns.evaluate(g), atol=1e-12)
    assert d5.size == d4.size
    assert "depth-4 dictionary" in d5.note


def test_opt_reflection_feature_is_ramp_5_to_8():
    """THEORY.md §4.3 / §8: index s=(-1,-1,+1), data (0, 4, 5), k=1 gives ramp(5, 8)."""
    x = np.array([0.0, 4, 5, 7, 10, 11])
    d = build_dictionary(x, Architecture("relu", 4))
    n = 6
    s, j, k = (-1.0, -1.0, 1.0), (0, 1, 2), 1
    index = list(ref.narrow_relu_indices(n, 4)).index((s, j, k))
    g = np.linspace(-2, 14, 161)
    ramp_5_8 = np.clip(g - 5, 0, 3)
    oracle = [ref.narrow_relu_feature(t, sorted(x), s, j, k) for t in g]
    np.testing.assert_allclose(oracle, ramp_5_8, atol=1e-12)
    np.testing.assert_allclose(d.columns.evaluate(g, np.array([index]))[:, 0], ramp_5_8)
    feature = d.columns.feature(index)
    assert feature.kind == "reflection"
    assert feature.breakpoints == (5.0, 8.0)
    assert feature.mirrors == ((0.0, 4.0),)  # 8 = 0 mirrored about 4
    assert d.class_of[index] >= 0


# ------------------------------------------------------------------------------------------
# Sizes (THEORY.md §2, §3, §4.2, §5).


@pytest.mark.parametrize("n", [3, 4, 5, 6, 8, 12, 20])
def test_two_layer_deduplicated_sizes(n):
    x = random_inputs(n, n)
    sizes = {
        act: build_dictionary(x, Architecture(act, 2)).size
        for act in ("relu", "leaky_relu", "abs", "sign", "threshold")
    }
    assert sizes == {
        "relu": 2 * n - 3,
        "leaky_relu": 2 * n - 2,
        "abs": n - 1,
        "sign": n - 1,
        "threshold": n - 1,
    }


@pytest.mark.parametrize("n", [3, 4, 5, 6, 8, 10, 15, 20])
def test_narrow_relu_depth3_size_is_n_choose_2(n):
    d = build_dictionary(random_inputs(n, 100 + n), Architecture("relu", 3))
    assert d.raw_size == 4 * n**2
    assert d.size == n * (n - 1) // 2


@pytest.mark.parametrize("n", [3, 4, 5, 7])
def test_raw_sizes(n):
    x = random_inputs(n, 200 + n)
    assert build_dictionary(x, Architecture("relu", 2)).raw_size == 2 * n
    assert build_dictionary(x, Architecture("leaky_relu", 2)).raw_size == 2 * n
    # abs: sigma(x - x_j) and sigma(x_j - x) are the same function, kept as one class
    # (THEORY.md §2 counts 2N raw for abs; Table V1 lists 10 for N = 5).
    d_abs = build_dictionary(x, Architecture("abs", 2))
    assert d_abs.raw_size == 2 * n
    assert d_abs.size == n - 1
    assert build_dictionary(x, Architecture("relu", 3)).raw_size == 4 * n**2
    assert build_dictionary(x, Architecture("relu", 4)).raw_size == 16 * n**3
    assert build_dictionary(x, Architecture("abs", 3)).raw_size == n**2 + n * (n - 1) // 2
    for act, depth in [("relu", 3), ("relu", 4), ("abs", 3), ("sign", 4)]:
        arch = Architecture(act, depth)
        assert raw_size_estimate(n, arch) == build_dictionary(x, arch).raw_size


def test_depth4_contains_every_depth3_class_and_small_sizes():
    x = random_inputs(6, 11)
    d3 = build_dictionary(x, Architecture("relu", 3))
    d4 = build_dictionary(x, Architecture("relu", 4))
    assert d4.size >= d3.size
    keys4 = normalized_keys(d4.A, x)
    assert normalized_keys(d3.A, x) <= keys4
    assert build_dictionary(random_inputs(3, 1), Architecture("relu", 4)).size == 5  # §4.2
    assert build_dictionary(random_inputs(3, 1), Architecture("abs", 3)).size == 6  # §5


@pytest.mark.parametrize(
    ("name", "sizes"),
    [
        ("opt", {2: (12, 9), 3: (144, 15), 4: (3456, 31)}),
        ("zshape", {2: (8, 5), 3: (64, 6), 4: (1024, 11)}),
        ("bounce", {2: (8, 5), 3: (64, 6), 4: (1024, 11)}),
    ],
)
def test_notebook_dictionary_sizes_table_v3(name, sizes):
    x, _, _ = ref.NOTEBOOK[name]
    for depth, (raw, unique) in sizes.items():
        d = build_dictionary(x, Architecture("relu", depth))
        assert (d.raw_size, d.size) == (raw, unique)


def test_depth3_classes_are_the_capped_ramps_between_data_points():
    """THEORY.md §4.3: modulo constant and sign, L=3 columns = ramp(x_(a), x_(b)), a < b."""
    x = random_inputs(7, 5)
    p = np.sort(x)
    ramps = np.column_stack(
        [np.clip(x - p[a], 0, p[b] - p[a]) for a in range(7) for b in range(a + 1, 7)]
    )
    d = build_dictionary(x, Architecture("relu", 3))
    assert normalized_keys(d.A, x) == normalized_keys(ramps, x)


# ------------------------------------------------------------------------------------------
# De-duplication.


def normalized_keys(A: np.ndarray, x: np.ndarray) -> set[tuple[float, ...]]:
    """Columns modulo constant and sign, rounded to 1e-7: an independent normal form."""
    order = np.argsort(x)
    V = A[order] - A[order][0]
    keys = set()
    for col in V.T:
        nz = np.nonzero(np.abs(col) > 1e-9)[0]
        if nz.size == 0:
            continue
        col = col * np.sign(col[nz[0]])
        keys.add(tuple(np.round(col, 7) + 0.0))
    return keys


@pytest.mark.parametrize(
    ("act", "depth", "n"),
    [("relu", 2, 8), ("leaky_relu", 2, 8), ("relu", 3, 7), ("relu", 4, 5), ("abs", 3, 7)],
)
def test_deduplication_classes_are_exact(act, depth, n):
    x = random_inputs(n, 17)
    d = build_dictionary(x, Architecture(act, depth))
    raw = d.columns.evaluate(x)
    # Every raw column is sign * representative + constant on the data ...
    for i in np.nonzero(d.class_of >= 0)[0][:: max(1, d.raw_size // 300)]:
        diff = raw[:, i] - d.class_sign[i] * d.A[:, d.class_of[i]]
        assert np.ptp(diff) < 1e-9
    # ... dropped columns are constant, and the classes are all different.
    dropped = d.class_of < 0
    assert np.all(np.ptp(raw[:, dropped], axis=0) < 1e-9)
    assert len(normalized_keys(d.A, x)) == d.size
    assert normalized_keys(raw, x) == normalized_keys(d.A, x)
    # The representative of a class has the lowest kind code among its members.
    kinds = d.columns.kinds
    for c in range(d.size):
        assert kinds[d.representatives[c]] == kinds[d.members(c)].min()


def test_deduplicate_on_a_hand_made_matrix():
    x = np.array([2.0, 0.0, 1.0])
    values = np.column_stack(
        [
            [1.0, 0.0, 0.0],  # step at the largest input
            [5.0, 4.0, 4.0],  # same + 4
            [-1.0, 0.0, 0.0],  # same, negated
            [7.0, 7.0, 7.0],  # constant: dropped
            [0.0, 1.0, 2.0],  # a different column
        ]
    )
    kinds = np.array([3, 0, 3, 0, 3])
    reps, class_of, sign = deduplicate(x, values, kinds)
    # Column 1 (kind 0 = simplest) represents the first class.
    np.testing.assert_array_equal(reps, [1, 4])
    np.testing.assert_array_equal(class_of, [0, 0, 0, -1, 1])
    np.testing.assert_array_equal(sign[[0, 1, 2, 4]], [1, 1, -1, 1])


def test_kinds_of_depth4_columns_follow_their_breakpoints():
    x = random_inputs(4, 23)
    d = build_dictionary(x, Architecture("relu", 4))
    on_data = set(np.round(x, 12))
    for i in range(d.raw_size):
        f = d.columns.feature(i)
        b = f.breakpoints
        off_data = any(round(t, 12) not in on_data for t in b)
        # A kink off the data can only be a reflected anchor 2 x_{j_2} - x_{j_1} (k = 1);
        # such columns are reflections whether they have one kink or two.
        if f.kind == "reflection":
            assert len(b) in (1, 2) and off_data and f.family == "k=1"
        elif f.kind == "ramp":
            assert len(b) == 1 and not off_data
        else:
            assert f.kind == "capped_ramp"
            assert len(b) in (0, 2) and not off_data


def test_too_large_dictionary_message():
    x = np.linspace(0, 1, 60)
    with pytest.raises(ValueError, match=r"relu depth 4 with 60 distinct points.*use at most"):
        build_dictionary(x, Architecture("relu", 4))
    assert 16 * 60**3 > MAX_RAW_COLUMNS


def test_dictionary_evaluate_and_feature_agree():
    x = random_inputs(5, 29)
    d = build_dictionary(x, Architecture("abs", 3))
    g = np.linspace(-4, 4, 33)
    E = d.evaluate(g)
    assert E.shape == (33, d.size)
    for c in range(d.size):
        np.testing.assert_allclose(E[:, c], d.feature(c).evaluate(g), atol=1e-12)
    np.testing.assert_allclose(d.evaluate(x), d.A, atol=1e-12)
    assert d.columns.kinds[d.representatives].min() == KIND_CODE["vee"]
