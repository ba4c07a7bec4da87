"""Activation patterns of points in the plane: every way a line cuts the training points.

Write ``xt_n = (x_n1, x_n2, 1)``. A *pattern* is the 0/1 vector ``d = 1[Xt u >= 0]`` for some
``u in R^3``: the training points on the non-negative side of the line
``u1 x1 + u2 x2 + u3 = 0`` (THEORY_2D §2). The patterns are the dictionary of the convex
program of a two-layer ReLU network on the plane, as the ramps are in 1-D.

Exact enumeration. Every pattern is the sign pattern of an open cell of the arrangement of the
planes ``xt_n . u = 0`` in ``R^3`` (points with ``xt_n . u = 0`` can be pushed to the positive
side by adding a small multiple of ``(0, 0, 1)``), and every such cell touches a ray
``s (xt_j x xt_k)``: the line through two training points. Near that ray the points strictly
off the line take ``1[s (xt_j x xt_k) . xt_n > 0]`` and the points *on* the line take a
prefix or a suffix of their order along it (a nearby line crosses it once), or none or all.
Thresholds at ``j`` and ``k`` suffice for each pair, since every point on a line forms a pair
with every other. With no three points on a line this gives Cover's count
``N^2 - N + 2`` patterns including the zero pattern; collinear points give fewer.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Relative tolerance of "on the line": ``|cross| <= ON_LINE_RTOL * scale^2``.
ON_LINE_RTOL = 1e-12


def augmented(points: NDArray) -> NDArray[np.float64]:
    """``Xt``: the points with a column of ones, shape ``(N, 3)``."""
    x = np.asarray(points, dtype=float)
    return np.column_stack([x, np.ones(len(x))])


def cover_count(n_points: int) -> int:
    """Nonzero patterns of ``N`` points with no three on a line: ``N^2 - N + 1`` (Cover 1965)."""
    return n_points * n_points - n_points + 1


def enumerate_patterns(points: NDArray) -> NDArray[np.bool_]:
    """Every nonzero activation pattern of the points, exactly.

    Parameters
    ----------
    points : array of shape (N, 2)
        Training inputs; collinear points and repeated locations are allowed.

    Returns
    -------
    patterns : bool array of shape (P, N)
        Row ``p`` is a pattern ``d_p = 1[Xt u >= 0]``; all distinct, none all-zero, in
        decreasing lexicographic order of the bits (the all-ones pattern first).
        ``P = N^2 - N + 1`` when no three points are on a line; ``P = 1`` (all ones) when
        all points share one location.
    """
    x = np.asarray(points, dtype=float)
    n = len(x)
    if n == 0:
        return np.zeros((0, 0), dtype=bool)
    j, k = np.triu_indices(n, 1)
    direction = x[k] - x[j]  # (Q, 2)
    distinct = np.any(direction != 0.0, axis=1)
    j, k, direction = j[distinct], k[distinct], direction[distinct]
    if len(j) == 0:
        return np.ones((1, n), dtype=bool)
    rel = x[None, :, :] - x[j][:, None, :]  # (Q, N, 2): x_n - x_j
    cross = direction[:, None, 0] * rel[:, :, 1] - direction[:, None, 1] * rel[:, :, 0]
    scale = max(1.0, float(np.max(np.abs(x))))
    on = np.abs(cross) <= ON_LINE_RTOL * scale * scale
    along = np.einsum("qd,qnd->qn", direction, rel)  # position along the line
    t_j = np.zeros(len(j))
    t_k = along[np.arange(len(j)), k]
    on_line_sets = [
        np.zeros_like(on),
        on & (along <= t_j[:, None]),
        on & (along <= t_k[:, None]),
        on & (along >= t_j[:, None]),
        on & (along >= t_k[:, None]),
    ]
    blocks = []
    for side in (cross > 0, cross < 0):
        off = side & ~on
        blocks += [off | chosen for chosen in on_line_sets]
    patterns = np.concatenate(blocks, axis=0)
    patterns = np.unique(patterns, axis=0)
    nonzero = patterns.any(axis=1)
    return patterns[nonzero][::-1]


def pattern_keys(patterns: NDArray[np.bool_]) -> list[bytes]:
    """A hashable key per pattern (its packed bits), to look patterns up in a dictionary."""
    packed = np.packbits(np.asarray(patterns, dtype=bool), axis=1)
    return [row.tobytes() for row in packed]
