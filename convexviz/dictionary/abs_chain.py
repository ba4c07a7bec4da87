"""Three-layer absolute-value chains (THEORY.md §5): the T, R and M families.

Normalized unit ``u(x) = | |x - a| - c |``. The vertices of the arrangement in the
``(a, c)`` plane give three families, all necessary (THEORY.md §5, verified by LPs):

========  ==========================================  ==================================
family    feature                                     breakpoints
========  ==========================================  ==================================
T         ``|x - x_j|``                               ``x_j``
R         ``| |x - x_j| - |x_k - x_j| |``, ``j != k`` ``x_j, x_k`` and ``2 x_j - x_k``
M         ``| |x - m| - d |``, ``m, d`` = midpoint,   ``x_j, x_k, m``
          half-distance of ``x_j < x_k``
========  ==========================================  ==================================

R is the *reflection* family: ``x_k`` mirrored about ``x_j`` becomes a breakpoint.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..features import KIND_CODE
from .columns import ChainColumns


def abs3_columns(x: NDArray[np.float64]) -> ChainColumns:
    """Raw T + R + M dictionary, ``N^2 + N(N-1)/2`` columns for distinct inputs."""
    p = np.unique(x)
    n = p.size
    j, k = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    off = j != k
    jr, kr = j[off], k[off]
    lo, hi = np.triu_indices(n, 1)
    centres = np.concatenate([p, p[jr], (p[lo] + p[hi]) / 2])
    radii = np.concatenate([np.zeros(n), np.abs(p[kr] - p[jr]), (p[hi] - p[lo]) / 2])
    sizes = (n, jr.size, lo.size)
    family = np.repeat(np.arange(3), sizes)
    kinds = np.array([KIND_CODE["vee"], KIND_CODE["reflection"], KIND_CODE["midpoint"]])[family]
    mirrors = np.full((family.size, 1, 2), np.nan)
    mirrors[n : n + jr.size, 0, 0] = p[kr]  # source
    mirrors[n : n + jr.size, 0, 1] = p[jr]  # mirror
    return ChainColumns(
        activation="abs",
        signs=np.ones((family.size, 2)),
        offsets=np.column_stack([centres, radii]),
        kinds=kinds,
        family_index=family,
        families=("T", "R", "M"),
        mirrors=mirrors,
    )
