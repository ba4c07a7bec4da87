"""Exact enumeration of the activation patterns of points in the plane (THEORY_2D §2)."""

from __future__ import annotations

import numpy as np
import pytest

from convexviz.patterns2d import augmented, cover_count, enumerate_patterns, pattern_keys


def _general_points(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, (n, 2))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 12, 20, 35])
def test_cover_count_without_three_on_a_line(n):
    patterns = enumerate_patterns(_general_points(n, n))
    assert len(patterns) == cover_count(n) == n * n - n + 1


def test_patterns_are_distinct_nonzero_and_realizable():
    x = _general_points(5, 9)
    patterns = enumerate_patterns(x)
    assert patterns.any(axis=1).all()
    assert len(set(pattern_keys(patterns))) == len(patterns)
    assert patterns.all(axis=1).sum() == 1  # the all-ones pattern


def test_five_by_five_grid_has_401_nonzero_patterns():
    grid = np.array([(a, b) for a in range(5) for b in range(5)], dtype=float)
    assert len(enumerate_patterns(grid)) == 401
    assert len(enumerate_patterns(0.37 * grid - 1.1)) == 401  # no exact integers needed


@pytest.mark.parametrize("n", [2, 3, 6])
def test_points_on_one_line_give_prefixes_and_suffixes(n):
    t = np.arange(n, dtype=float)
    x = np.column_stack([0.5 + 0.6 * t, -1.0 + 0.8 * t])
    patterns = enumerate_patterns(x)
    assert len(patterns) == 2 * n - 1
    for row in patterns.astype(int):
        assert np.all(np.diff(row) <= 0) or np.all(np.diff(row) >= 0)


def test_repeated_locations_share_their_bits():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    patterns = enumerate_patterns(x)
    assert np.array_equal(patterns[:, 1], patterns[:, 3])
    assert len(patterns) == cover_count(3)
    assert enumerate_patterns(np.zeros((4, 2))).tolist() == [[True] * 4]


def _sampled_patterns(x: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    """Patterns ``1[Xt u >= 0]`` of random lines: uniform, near the points, and exactly through
    one or two points (where on-line points count as active)."""
    n = len(x)
    w = rng.normal(size=(count, 2))
    anchor = x[rng.integers(n, size=count)]
    b = -np.einsum("cd,cd->c", w, anchor)
    b[: count // 3] += rng.normal(scale=0.05, size=count // 3)
    b[count // 3 : 2 * count // 3] = rng.uniform(-6, 6, size=2 * count // 3 - count // 3)
    j, k = rng.integers(n, size=(2, count // 4))
    d = x[k] - x[j]
    through_two = np.column_stack([-d[:, 1], d[:, 0]])
    w[: count // 4] = through_two
    b[: count // 4] = -np.einsum("cd,cd->c", through_two, x[j])
    u = np.column_stack([w, b])
    return augmented(x) @ u.T >= 0


@pytest.mark.parametrize(
    "points",
    [
        _general_points(11, 10),
        np.array([(a, b) for a in range(4) for b in range(4)], dtype=float),
        np.array([[0, 0], [1, 1], [2, 2], [0, 2], [2, 0], [1, 1], [3, 1]], dtype=float),
    ],
    ids=["random", "grid4", "collinear_and_repeated"],
)
def test_random_sampling_never_finds_a_pattern_the_enumeration_lacks(points):
    rng = np.random.default_rng(0)
    enumerated = set(pattern_keys(enumerate_patterns(points)))
    sampled = _sampled_patterns(points, rng, 40_000).T
    sampled = sampled[sampled.any(axis=1)]
    keys = set(pattern_keys(sampled))
    assert keys <= enumerated
    assert len(keys) > 0.5 * len(enumerated)  # the sampling is not vacuous
