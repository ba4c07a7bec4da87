"""Deep narrow ReLU chains, depth ``L = 3, 4`` (THEORY.md §4, the reference code's dictionary).

Index ``(s, j, k)``: signs ``s in {+-1}^(L-1)``, data indices ``j in [N]^(L-1)`` and, at
depth 4 only, a flag ``k``. Anchors ``a_l = x_{j_l}``, except ``k = 1`` where
``a_1 = 2 x_{j_2} - x_{j_1}`` (the mirror image of ``x_{j_1}`` about ``x_{j_2}``). The feature is

.. math:: g_0 = x, \\quad g_l(x) = \\mathrm{relu}(s_l (g_{l-1}(x) - g_{l-1}(a_l))),

so each layer switches exactly where the previous layer takes its value at the anchor.
Every such chain is ``const + e * ramp(p, q; x)`` (capped-ramp lemma, §4.3); the kinks are
among the anchors. Raw sizes ``4 N^2`` (L=3) and ``16 N^3`` (L=4).

For ``L >= 5`` the columns are the depth-4 ones (the depth-3 capped ramps plus the
reflections), padded with ``L - 4`` identity layers ``relu(g - 0)`` so that each column is a
genuine depth-``L`` chain; why that is enough is in :mod:`convexviz.theory`.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from ..features import KIND_CODE
from .columns import ChainColumns


def narrow_relu_columns(x: NDArray[np.float64], depth: int) -> ChainColumns:
    """Raw reference dictionary of the parallel narrow ReLU chain of the given depth."""
    base_depth = min(depth, 4)
    P = base_depth - 1
    points = np.unique(x)
    n = points.size
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=P)))  # (2^P, P)
    idx = np.array(list(itertools.product(range(n), repeat=P)))  # (n^P, P)
    flags = (0, 1) if base_depth == 4 else (0,)
    S = np.repeat(signs, len(idx) * len(flags), axis=0)
    J = np.tile(np.repeat(idx, len(flags), axis=0), (len(signs), 1))
    K = np.tile(np.array(flags), len(signs) * len(idx))
    anchors = points[J]
    reflected = 2 * points[J[:, 1]] - points[J[:, 0]] if P >= 2 else None
    if reflected is not None:
        anchors[:, 0] = np.where(K == 1, reflected, anchors[:, 0])
    offsets = _offsets_from_anchors(S, anchors)
    kinds = _kinds(S, offsets, anchors, points, K)
    mirrors = None
    if reflected is not None:
        mirrors = np.full((S.shape[0], 1, 2), np.nan)
        is_reflection = kinds == KIND_CODE["reflection"]
        mirrors[is_reflection, 0, 0] = points[J[is_reflection, 0]]
        mirrors[is_reflection, 0, 1] = points[J[is_reflection, 1]]
    if depth > base_depth:  # identity layers relu(g - 0) on a nonnegative g
        extra = depth - base_depth
        S = np.hstack([S, np.ones((S.shape[0], extra))])
        offsets = np.hstack([offsets, np.zeros((offsets.shape[0], extra))])
    return ChainColumns(
        activation="relu",
        signs=S,
        offsets=offsets,
        kinds=kinds,
        family_index=K.astype(int),
        families=("k=0", "k=1"),
        mirrors=mirrors,
    )


def chain_at(
    signs: NDArray[np.float64], offsets: NDArray[np.float64], points: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Row-wise ReLU chain: column ``i`` evaluated at ``points[i]`` (any trailing shape)."""
    g = points
    for layer in range(signs.shape[1]):
        s = signs[:, layer].reshape((-1,) + (1,) * (points.ndim - 1))
        c = offsets[:, layer].reshape(s.shape)
        g = np.maximum(s * (g - c), 0.0)
    return g


def _offsets_from_anchors(S: NDArray[np.float64], anchors: NDArray[np.float64]):
    """``c_l = g_{l-1}(a_l)``: the previous layers evaluated at the layer's anchor."""
    offsets = np.zeros_like(anchors)
    for layer in range(S.shape[1]):
        offsets[:, layer] = chain_at(S[:, :layer], offsets[:, :layer], anchors[:, layer])
    return offsets


def _kinds(S, offsets, anchors, points, K):
    """Kind code of each chain from its kinks, which can only sit at anchors.

    One kink: ``ramp``; two: ``capped_ramp``, or ``reflection`` when a kink is the
    reflected anchor ``2 x_{j_2} - x_{j_1}`` and not a data point. Constant chains get the
    ``capped_ramp`` code; de-duplication drops them anyway.
    """
    candidates = np.unique(np.concatenate([points, anchors.ravel()]))
    gaps = np.diff(candidates)
    h = 0.25 * (gaps.min() if gaps.size else 1.0)
    probe = anchors[:, :, None] + np.array([-h, 0.0, h])  # (M, P, 3)
    values = chain_at(S, offsets, probe.reshape(S.shape[0], -1)).reshape(probe.shape)
    curvature = np.abs(values[:, :, 0] - 2 * values[:, :, 1] + values[:, :, 2])
    is_kink = curvature > h / 2
    # The same anchor can appear twice (j_1 == j_2); count distinct kink positions.
    n_kinks = np.zeros(S.shape[0], dtype=int)
    kink_off_data = np.zeros(S.shape[0], dtype=bool)
    on_data = np.isin(anchors, points)
    for layer in range(S.shape[1]):
        earlier_same = np.zeros(S.shape[0], dtype=bool)
        for prev in range(layer):
            earlier_same |= is_kink[:, prev] & (anchors[:, prev] == anchors[:, layer])
        new = is_kink[:, layer] & ~earlier_same
        n_kinks += new
        kink_off_data |= new & ~on_data[:, layer]
    kinds = np.where(n_kinks == 1, KIND_CODE["ramp"], KIND_CODE["capped_ramp"])
    kinds = np.where(kink_off_data & (K == 1), KIND_CODE["reflection"], kinds)
    return kinds
