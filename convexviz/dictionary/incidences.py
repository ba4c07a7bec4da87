"""Incidence types of deep absolute-value chains (THEORY_DEEP_ABS.md §2.1, §2.4).

A feature ``u_c(x) = |...||x - c_1| - c_2| ... - c_P|`` has its layer-``l`` zeros at
``x = <a_{l,eps}, c> = c_1 + eps_2 c_2 + ... + eps_l c_l`` (``eps_i = +-1``), valid when the
nested brackets ``r_k = eps_k sum_{i=k..l} eps_i c_i`` are all ``>= 0``. An *incidence type*
is such an ``(l, eps)``; these tables depend only on ``P = L - 1``, not on the data, and are
shared by the vertex enumeration (:mod:`.abs_deep`) and the mirror labels
(:mod:`.mirror_labels`).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from numpy.typing import NDArray

__all__ = ["incidence_types", "lincomb", "type_arrays", "type_subsets"]


@functools.cache
def incidence_types(P: int) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """All ``2^P - 1`` incidence types ``(l, eps)``, ordered by layer ``l``."""
    types = []
    for level in range(1, P + 1):
        for tail in itertools.product((1, -1), repeat=level - 1):
            types.append((level, (1, *tail)))
    return tuple(types)


@functools.cache
def type_arrays(P: int) -> tuple[NDArray, NDArray, NDArray]:
    """Normals ``a_{l,eps}`` (T, P), bracket rows (B, P) and each bracket's type (B,)."""
    types = incidence_types(P)
    normals = np.zeros((len(types), P))
    rows, owner = [], []
    for t, (level, eps) in enumerate(types):
        normals[t, :level] = eps
        for k in range(1, level):  # bracket r_{k+1} = eps_k sum_{i >= k} eps_i c_i (0-based k)
            row = np.zeros(P)
            row[k:level] = eps[k] * np.array(eps[k:level])
            rows.append(row)
            owner.append(t)
    return normals, np.array(rows).reshape(-1, P), np.array(owner, dtype=int)


@functools.cache
def type_subsets(P: int) -> tuple[tuple[tuple[int, ...], NDArray, NDArray], ...]:
    """Every ``P``-subset of incidence types with independent normals (``K_L`` of them).

    Returns ``(types, Minv^T, H)`` per subset, where ``c = xs @ Minv^T`` solves the
    incidences ``x_{n_r} = <a_{t_r}, c>`` and ``xs @ H`` are the subset's validity brackets.
    Data-independent: ``K_3 = 3``, ``K_4 = 30``, ``K_5 = 1014``.
    """
    normals, rows, owner = type_arrays(P)
    out = []
    for subset in itertools.combinations(range(normals.shape[0]), P):
        M = normals[list(subset)]
        if abs(np.linalg.det(M)) < 0.5:  # integer matrix: singular iff det == 0
            continue
        minv_t = np.linalg.inv(M).T
        brackets = rows[np.isin(owner, subset)]
        out.append((subset, minv_t, minv_t @ brackets.T))
    return tuple(out)


def lincomb(coef: NDArray, xs_t: NDArray) -> NDArray:
    """``coef.T @ xs_t`` for a short inner dimension, without BLAS threads (tiny matrices)."""
    out = coef[0][:, None] * xs_t[0]
    for r in range(1, coef.shape[0]):
        out += coef[r][:, None] * xs_t[r]
    return out
