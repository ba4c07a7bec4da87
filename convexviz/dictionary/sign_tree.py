"""Sign / threshold trees of depth ``L >= 3`` (THEORY.md §6) **[NUMERICAL + partial proof]**.

In a *tree* network every unit has private children; with branching ``m_1, ..., m_{L-2}``
a top-hidden-layer unit can switch sign only where one of its ``K = m_1 * ... * m_{L-2}``
leaf steps switches. Restricted to the sorted data, the dictionary is every pattern with
at most ``K`` switches, each switch in a gap between consecutive inputs (drawn at the gap
midpoint, the convention of §3). Modulo sign and constant there are
``sum_{r=1..min(K, N-1)} C(N-1, r)`` of them -- exponential in ``K``, so ``N`` is capped.

Whether every such pattern is reachable (proved for ``L = 3``, checked for ``L = 4``,
unproven beyond) is stated, with its status, in :mod:`convexviz.theory`.
"""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
from numpy.typing import NDArray

from ..architecture import Architecture
from .columns import PatternColumns
from .two_layer import gap_midpoints


def pattern_count(n: int, max_switches: int) -> int:
    """Patterns with 1..K switches on ``n`` distinct sorted points, modulo sign/constant."""
    return sum(comb(n - 1, r) for r in range(1, min(max_switches, n - 1) + 1))


def sign_tree_columns(x: NDArray[np.float64], arch: Architecture) -> PatternColumns:
    """Every pattern with ``1..K`` switches at gap midpoints, starting low."""
    gaps = gap_midpoints(x)
    k = min(arch.max_switches, gaps.size)
    rows = [
        list(chosen) + [np.inf] * (k - r)
        for r in range(1, k + 1)
        for chosen in itertools.combinations(gaps, r)
    ]
    switches = np.array(rows, dtype=float).reshape(len(rows), max(k, 1))
    first = -1.0 if arch.activation == "sign" else 0.0
    return PatternColumns(arch.activation, switches, np.full(len(rows), first), "tree")
