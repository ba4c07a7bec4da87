"""Deep absolute-value chains (THEORY_DEEP_ABS.md): depth-4 families, general vertex
enumeration, nesting, breakpoints, mirrors, completeness and the rebuilt network.

Column sets are compared *on the data, modulo an additive constant and a sign* (that is
what the Lasso sees), with a tolerance-based nearest-neighbour match, so rounding can
never split equal columns.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from scipy.spatial import cKDTree

from convexviz import Architecture, build_dictionary, fit
from convexviz.dictionary import MAX_RAW_COLUMNS, max_points
from convexviz.dictionary.abs_chain import abs3_columns
from convexviz.dictionary.abs_deep import (
    FAMILIES4,
    abs4_family_parameters,
    abs_deep_columns,
    abs_raw_size_estimate,
    vertex_parameters,
)
from convexviz.dictionary.incidences import type_subsets
from convexviz.dictionary.mirror_labels import MAX_MIRRORS, compact_pairs
from convexviz.features import KIND_CODE, ChainFeature

# ------------------------------------------------------------------------------------
# Independent helpers


def nested_abs(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``|...||x - c_1| - c_2| ... - c_P|`` for every row of ``c``: shape (len(x), M)."""
    g = np.asarray(x, dtype=float)[:, None]
    for layer in range(c.shape[1]):
        g = np.abs(g - c[:, layer])
    return g


def canonical(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Columns minus their value at the smallest input, sign-normalized; constant ones
    dropped. Rows of the result are the canonical vectors."""
    order = np.argsort(x)
    v = values[order] - values[order][0]
    big = np.abs(v) > 1e-9 * max(1.0, float(np.abs(v).max()))
    keep = big.any(axis=0)
    v, big = v[:, keep], big[:, keep]
    first = np.argmax(big, axis=0)
    return (v * np.sign(v[first, np.arange(v.shape[1])])).T


def contained(x: np.ndarray, inner: np.ndarray, outer: np.ndarray, tol: float = 1e-8) -> bool:
    """Every column of ``inner`` equals some column of ``outer`` (mod constant and sign)."""
    a, b = canonical(x, inner), canonical(x, outer)
    if a.shape[0] == 0:
        return True
    dist, _ = cKDTree(b).query(a, p=np.inf)
    return bool(dist.max() <= tol)


def same_columns(x, first, second) -> bool:
    return contained(x, first, second) and contained(x, second, first)


def n_unique(x: np.ndarray, values: np.ndarray, tol: float = 1e-8) -> int:
    """Number of distinct canonical columns (tolerance clusters)."""
    a = canonical(x, values)
    pairs = cKDTree(a).query_pairs(tol, p=np.inf, output_type="ndarray")
    parent = np.arange(a.shape[0])
    for i, j in sorted(map(tuple, pairs), key=lambda t: -t[1]):
        parent[max(i, j)] = min(parent[max(i, j)], min(i, j))
    return int(np.sum(parent == np.arange(a.shape[0])))


def lp_norm(A: np.ndarray, u: np.ndarray) -> float:
    """``min ||lam||_1  s.t.  A lam + t 1 = u`` (the l1 hull test of §2.2)."""
    n, m = A.shape
    res = scipy.optimize.linprog(
        np.r_[np.ones(2 * m), 0.0],
        A_eq=np.hstack([A, -A, np.ones((n, 1))]),
        b_eq=u,
        bounds=[(0, None)] * (2 * m) + [(None, None)],
        method="highs",
    )
    assert res.status == 0
    return float(res.fun)


def data_sets(ns, seed=0):
    rng = np.random.default_rng(seed)
    return [np.sort(rng.uniform(-1.0, 2.0, n)) for n in ns]


# ------------------------------------------------------------------------------------
# General algorithm and closed forms


def test_type_subset_counts_match_spec():
    # K_3 = 3, K_4 = 30, K_5 = 1014 nonsingular type subsets (§2.4).
    assert [len(type_subsets(p)) for p in (2, 3, 4)] == [3, 30, 1014]


@pytest.mark.parametrize("x", data_sets([4, 5, 6, 7, 9], seed=1), ids=lambda x: f"N{x.size}")
def test_depth4_families_equal_general_algorithm(x):
    c_fam = np.concatenate([c for _, c, _ in abs4_family_parameters(x)])
    c_gen = vertex_parameters(x, 4)
    assert same_columns(x, nested_abs(c_fam, x), nested_abs(c_gen, x))
    # The shipped columns (families, repeated parameters dropped) are the same set too.
    cols = abs_deep_columns(x, 4)
    assert same_columns(x, cols.evaluate(x), nested_abs(c_gen, x))


def test_depth4_families_equal_general_on_integer_grid():
    # Equally spaced data: many coincidences (reflections land on data points).
    x = np.arange(6.0)
    c_fam = np.concatenate([c for _, c, _ in abs4_family_parameters(x)])
    assert same_columns(x, nested_abs(c_fam, x), nested_abs(vertex_parameters(x, 4), x))


@pytest.mark.parametrize("x", data_sets([3, 5, 8, 11], seed=2), ids=lambda x: f"N{x.size}")
def test_depth3_general_algorithm_reproduces_trm(x):
    trm = abs3_columns(x)
    assert same_columns(x, nested_abs(vertex_parameters(x, 3), x), trm.evaluate(x))


def test_each_family_contributes_columns_of_its_own():
    # Dropping any one family changes the column set on some data set (necessity of
    # the *columns*, not of the hull; the hull statement is Table A3's LPs).
    x = data_sets([7], seed=3)[0]
    fams = abs4_family_parameters(x)
    all_values = nested_abs(np.concatenate([c for _, c, _ in fams]), x)
    for drop, (name, _, _) in enumerate(fams):
        rest = np.concatenate([c for k, (_, c, _) in enumerate(fams) if k != drop])
        assert not contained(x, all_values, nested_abs(rest, x)), name


def test_depth4_index_set_size_and_estimate():
    for n in (3, 5, 10):
        x = data_sets([n], seed=n)[0]
        est = abs_raw_size_estimate(n, 4)
        assert est == (9 * n**3 - 5 * n**2) // 2
        raw = abs_deep_columns(x, 4).size
        assert raw <= est
        always = n**3 + 4 * n * n * (n - 1) // 2  # families without a validity condition
        n_valid = sum(c.shape[0] for _, c, _ in abs4_family_parameters(x))
        assert always <= n_valid <= est


def test_depth5_estimate_tracks_raw_size_and_cap():
    for n in (3, 5, 7):
        raw = abs_deep_columns(data_sets([n], seed=n)[0], 5).size
        assert raw <= abs_raw_size_estimate(n, 5) <= 1.25 * raw
    assert abs_raw_size_estimate(13, 5) <= MAX_RAW_COLUMNS < abs_raw_size_estimate(14, 5)
    assert max_points(Architecture("abs", 5)) == 13
    with pytest.raises(ValueError, match="at most 13 points"):
        build_dictionary(np.arange(14.0), Architecture("abs", 5))


# Table D: de-duplicated sizes, mean [min-max] over random data sets.
TABLE_D = {
    (4, 5): (114, 145),
    (4, 8): (691, 923),
    (4, 10): (1746, 1915),
    (5, 5): (665, 906),
    (5, 6): (2213, 3058),
}


@pytest.mark.parametrize(("depth", "n"), sorted(TABLE_D))
def test_unique_sizes_in_table_d_range(depth, n):
    lo, hi = TABLE_D[(depth, n)]
    sizes = []
    for seed in range(3):
        x = np.random.default_rng(100 * n + seed).uniform(0, 1, n)
        d = build_dictionary(x, Architecture("abs", depth))
        assert d.size == n_unique(x, d.columns.evaluate(x))  # build_dictionary's dedup
        sizes.append(d.size)
    assert 0.9 * lo <= min(sizes) and max(sizes) <= 1.1 * hi, sizes


@pytest.mark.parametrize("x", data_sets([5, 6, 7], seed=4), ids=lambda x: f"N{x.size}")
def test_nesting_depth3_in_depth4(x):
    d3 = abs3_columns(x).evaluate(x)
    d4 = abs_deep_columns(x, 4).evaluate(x)
    assert contained(x, d3, d4)
    assert not contained(x, d4, d3)  # and depth 4 has columns of its own


def test_nesting_depth4_in_depth5():
    x = data_sets([5], seed=5)[0]
    d4 = abs_deep_columns(x, 4).evaluate(x)
    d5 = abs_deep_columns(x, 5)
    assert contained(x, d4, d5.evaluate(x))
    # The general depth-5 vertices alone already contain depth 4 ((v, 0) of §2.3).
    assert contained(x, d4, nested_abs(vertex_parameters(x, 5), x))
    assert not contained(x, d5.evaluate(x), d4)


def test_repeated_inputs_give_the_same_columns():
    x = np.array([0.3, 1.0, 0.3, 2.5, 1.0, 4.0])
    a = abs_deep_columns(x, 4)
    b = abs_deep_columns(np.unique(x), 4)
    np.testing.assert_array_equal(a.offsets, b.offsets)


# ------------------------------------------------------------------------------------
# The ChainColumns object


@pytest.mark.parametrize("depth", [4, 5])
def test_columns_structure_and_evaluation(depth):
    x = data_sets([5], seed=6)[0]
    cols = abs_deep_columns(x, depth)
    M, P = cols.offsets.shape
    assert cols.activation == "abs" and P == depth - 1
    assert np.all(cols.signs == 1.0) and cols.signs.shape == (M, P)
    assert cols.kinds.shape == cols.family_index.shape == (M,)
    assert cols.mirrors.shape[0] == M and cols.mirrors.shape[2] == 2
    assert set(cols.families[: len(FAMILIES4)]) == set(FAMILIES4)
    # evaluate == a slow point-by-point nested absolute value, also off the data
    grid = np.linspace(x.min() - 2, x.max() + 2, 9)
    rng = np.random.default_rng(0)
    sample = rng.choice(M, size=40, replace=False)
    fast = cols.evaluate(grid, sample)
    for col, i in enumerate(sample):
        for row, t in enumerate(grid):
            v = float(t)
            for c in cols.offsets[i]:
                v = abs(v - float(c))
            assert fast[row, col] == pytest.approx(v, abs=1e-12)


def _simple_points(x):
    i, j = np.triu_indices(x.size, 0)
    return (x[i] + x[j]) / 2


@pytest.mark.parametrize("depth", [4, 5])
def test_kinds_and_mirrors_agree_with_breakpoints(depth):
    x = data_sets([6], seed=7)[0]
    cols = abs_deep_columns(x, depth)
    simple = _simple_points(x)
    rng = np.random.default_rng(1)
    sample = np.r_[np.arange(30), rng.choice(cols.size, size=250, replace=False)]
    n_with_pairs = 0
    for i in sample:
        f = cols.feature(int(i))
        b = np.array(f.breakpoints)  # computed generically by features.py
        is_simple = np.min(np.abs(b[:, None] - simple[None, :]), axis=1) < 1e-9
        if f.kind == "vee":
            assert b.size == 1
        elif f.kind == "midpoint":
            assert b.size > 1 and is_simple.all()
        else:
            assert f.kind == "reflection" and not is_simple.all()
            n_with_pairs += bool(f.mirrors)
        assert b.size <= 2 ** (depth - 1) - 1  # at most 2^P - 1 breakpoints (§2.1)
        for source, mirror in f.mirrors:  # every listed image is a breakpoint
            assert abs(source - mirror) > 1e-12
            assert np.min(np.abs(b - (2 * mirror - source))) < 1e-9
    n_reflections = sum(cols.kinds[sample] == KIND_CODE["reflection"])
    assert n_with_pairs >= 0.9 * n_reflections > 0


def test_depth4_every_reflection_has_a_mirror_construction():
    x = data_sets([7], seed=8)[0]
    cols = abs_deep_columns(x, 4)
    refl = cols.kinds == KIND_CODE["reflection"]
    assert np.all(np.isfinite(cols.mirrors[refl, 0, :]))
    assert np.all(np.isnan(cols.mirrors[~refl]))


def test_ckz_worked_example_reflection_of_a_reflection():
    # §3.2: centre x_i = 0, knot x_j = 3, zero x_k = -4 gives c = (0, 3, 1) with zeros +-2,
    # +-4 and -2 = 2(2 x_i - x_j) - x_k: x_k mirrored at -3, itself x_j mirrored at 0.
    x = np.array([-4.0, 0.0, 3.0, 7.0])
    cols = abs_deep_columns(x, 4)
    (rows,) = np.nonzero(np.all(np.abs(cols.offsets - [0.0, 3.0, 1.0]) < 1e-12, axis=1))
    f = cols.feature(int(rows[0]))
    assert f.family == "CKZ" and f.kind == "reflection"
    assert f.breakpoints == pytest.approx((-4, -3, -2, 0, 2, 3, 4))
    assert (3.0, 0.0) in f.mirrors and (-4.0, -3.0) in f.mirrors
    assert f.mirrors.index((3.0, 0.0)) < f.mirrors.index((-4.0, -3.0))


# ------------------------------------------------------------------------------------
# §3.2 parameter and breakpoint formulas, member by member


def _family_member(name, x, i, j, k):
    """(c, breakpoints) of a family member from the §3.2 tables, written independently."""
    xi, xj, xk = x[i], x[j], x[k]
    m, d = (xj + xk) / 2, abs(xj - xk) / 2
    if name == "CKZ":
        c = (xi, abs(xj - xi), abs(abs(xk - xi) - abs(xj - xi)))
        bps = [xi, xj, 2 * xi - xj, xk, 2 * xi - xk]
        if abs(xk - xi) <= 2 * abs(xj - xi):
            q = xj if (xk - xi) * (xj - xi) >= 0 else 2 * xi - xj
            bps += [2 * q - xk, 2 * xi - 2 * q + xk]
    elif name == "CZZ":
        dj, dk = abs(xj - xi), abs(xk - xi)
        c = (xi, (dj + dk) / 2, abs(dj - dk) / 2)
        bps = [xi, xi - (dj + dk) / 2, xi + (dj + dk) / 2, xj, xk, 2 * xi - xj, 2 * xi - xk]
    elif name == "KKZ":  # knots x_i, x_j (called i, j here), zero x_k
        mm, dd = (xi + xj) / 2, abs(xi - xj) / 2
        c = (mm, dd, abs(abs(xk - mm) - dd))
        bps = [mm, xi, xj, xk, xi + xj - xk]
        if abs(xk - mm) <= abs(xi - xj):
            q = max(xi, xj) if xk >= mm else min(xi, xj)
            bps += [2 * q - xk, xi + xj - 2 * q + xk]
    elif name == "KZZ_sym":
        c = (m, abs(xi - m), abs(abs(xi - m) - d))
        bps = [m, xi, xj + xk - xi, xj, xk]
        if d <= 2 * abs(xi - m):
            xs = max(xj, xk) if xi >= m else min(xj, xk)
            bps += [2 * xi - xs, xj + xk - 2 * xi + xs]
    elif name == "KZZ_quarter":
        assert abs(xj - xk) <= abs(xi - m)
        c = ((2 * xi + xj + xk) / 4, abs(2 * xi - xj - xk) / 4, d)
        bps = [(2 * xi + xj + xk) / 4, xi, m, xj, xk, xi + (xk - xj) / 2, xi - (xk - xj) / 2]
    elif name == "KZZ_shift":
        assert 2 * abs(xk - xi) <= abs(xj - xk)
        c = (xi + (xj - xk) / 2, abs(xj - xk) / 2, abs(xk - xi))
        bps = [xi + (xj - xk) / 2, xi, xi + xj - xk, xj, xk, 2 * xi - xk, 2 * xi + xj - 2 * xk]
    else:  # ZZZ: zeros x_j, x_k mirror images, third zero x_i
        di = abs(xi - m)
        c = (m, (di + d) / 2, abs(di - d) / 2)
        xs = max(xj, xk) if xi >= m else min(xj, xk)
        bps = [m, (xi + xs) / 2, xj + xk - (xi + xs) / 2, xj, xk, xi, xj + xk - xi]
    return np.array(c), np.unique(np.round(bps, 10))


# Members with distinct indices; the KZZ_quarter / KZZ_shift ones satisfy their validity
# condition on the data below (checked inside _family_member).
MEMBERS = [
    ("CKZ", 2, 4, 0), ("CKZ", 2, 3, 5), ("CKZ", 5, 0, 3), ("CKZ", 1, 3, 6),
    ("CZZ", 3, 0, 5), ("CZZ", 2, 4, 6), ("KKZ", 0, 4, 2), ("KKZ", 1, 2, 6),
    ("KZZ_sym", 6, 0, 2), ("KZZ_sym", 3, 1, 5), ("KZZ_quarter", 6, 0, 1),
    ("KZZ_quarter", 0, 4, 5), ("KZZ_shift", 1, 6, 0), ("KZZ_shift", 5, 0, 4),
    ("ZZZ", 6, 0, 2), ("ZZZ", 3, 1, 4),
]  # fmt: skip


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: "-".join(map(str, m)))
def test_family_member_parameters_and_breakpoints(member):
    name, i, j, k = member
    x = np.array([0.0, 0.7, 1.9, 3.1, 3.6, 5.2, 8.3])
    c, claimed = _family_member(name, x, i, j, k)
    fams = dict((n, c_f) for n, c_f, _ in abs4_family_parameters(x))
    assert np.min(np.max(np.abs(fams[name] - c), axis=1)) < 1e-12  # the member is there
    f = ChainFeature("abs", (1.0, 1.0, 1.0), tuple(c), kind="reflection")
    assert np.unique(np.round(f.breakpoints, 10)) == pytest.approx(claimed, abs=1e-9)
    assert len(claimed) <= 7


# ------------------------------------------------------------------------------------
# Lasso == rebuilt network, depth strictly helps, completeness

TEACHER_X = np.array([0.0, 1.0, 2.5, 3.0, 4.5, 6.0])
TEACHER_C = np.array([3.4, 1.06, 1.37])  # a depth-4 unit far outside the depth-3 hull


def _teacher_y():
    u = nested_abs(TEACHER_C[None, :], TEACHER_X)[:, 0]
    return 2 * (u - u.mean()) / np.ptp(u)


@pytest.mark.parametrize("beta", [0.05, 0.3])
def test_depth4_fit_equals_network_and_beats_depth3(beta):
    y = _teacher_y()
    r3 = fit(TEACHER_X, y, Architecture("abs", 3), beta)
    r4 = fit(TEACHER_X, y, Architecture("abs", 4), beta)
    for r in (r3, r4):
        assert r.network_objective == pytest.approx(r.lasso.objective, rel=1e-7)
        np.testing.assert_allclose(
            r.network.forward(TEACHER_X), r.predict(TEACHER_X), atol=1e-9, rtol=0
        )
        assert r.certificate_gap <= 1e-6 * max(1.0, r.lasso.objective)
        assert r.network.n_neurons <= TEACHER_X.size - 1  # a basic solution
    # Table B "teacher6": depth 4 is strictly (here > 20 %) better than depth 3.
    assert r4.lasso.objective < 0.8 * r3.lasso.objective
    # Every rebuilt unit is a depth-4 chain with penalty beta |z| in total.
    assert all(len(u.weights) == 3 for u in r4.network.units)
    assert r4.network.penalty(beta) == pytest.approx(beta * np.abs(r4.lasso.z).sum(), rel=1e-9)


def test_depth5_fit_not_above_depth4_and_equals_network():
    y = _teacher_y()
    r4 = fit(TEACHER_X, y, Architecture("abs", 4), 0.05)
    r5 = fit(TEACHER_X, y, Architecture("abs", 5), 0.05)
    assert r5.network_objective == pytest.approx(r5.lasso.objective, rel=1e-7)
    assert r5.lasso.objective <= r4.lasso.objective * (1 + 1e-7)


def test_random_depth4_units_lie_in_the_l1_hull():
    x = TEACHER_X
    A4 = build_dictionary(x, Architecture("abs", 4)).A
    rng = np.random.default_rng(11)
    worst = 0.0
    for _ in range(40):
        c = np.r_[rng.uniform(-1, 7), rng.uniform(-1, 4, 2)]  # negative c_l included
        u = nested_abs(c[None, :], x)[:, 0]
        if np.ptp(u) > 1e-9:
            worst = max(worst, lp_norm(A4, u))
    assert worst <= 1 + 1e-7
    # Control: the depth-3 dictionary misses the teacher unit, the depth-4 one does not.
    u = nested_abs(TEACHER_C[None, :], x)[:, 0]
    assert lp_norm(build_dictionary(x, Architecture("abs", 3)).A, u) > 1.3
    assert lp_norm(A4, u) <= 1 + 1e-7


def test_random_depth5_units_lie_in_the_l1_hull():
    x = data_sets([6], seed=12)[0]
    A5 = build_dictionary(x, Architecture("abs", 5)).A
    rng = np.random.default_rng(12)
    span = np.ptp(x)
    for _ in range(15):
        c = np.r_[rng.uniform(x.min(), x.max()), rng.uniform(0, span, 3) * [1.0, 0.7, 0.4]]
        u = nested_abs(c[None, :], x)[:, 0]
        if np.ptp(u) > 1e-9:
            assert lp_norm(A5, u) <= 1 + 1e-7


def test_compact_pairs_keeps_the_first_distinct_proper_pairs():
    nan = np.nan
    src = np.array([[1.0, 1.0, 2.0, 5.0, 3.0, 4.0, 6.0], [nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    mir = np.array([[0.0, 0.0, 2.0, 1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0]])
    on = np.isfinite(src)
    on[1, 2] = False  # unused
    out = compact_pairs(src, mir, on, 1e-12, MAX_MIRRORS)
    assert out.shape == (2, MAX_MIRRORS, 2)
    # row 0: the repeat (1, 0) and the degenerate (2, 2) are skipped; four pairs fit
    np.testing.assert_array_equal(out[0], [[1, 0], [5, 1], [3, 1], [4, 1]])
    np.testing.assert_array_equal(out[1], [[0, 1], [0, 2], [0, 3], [0, 4]])
    assert np.isnan(compact_pairs(src, mir, np.zeros_like(on), 1e-12, 2)).all()
