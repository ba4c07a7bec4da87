"""Sign / threshold trees of depth ``L >= 3`` (THEORY.md §6) **[NUMERICAL + partial proof]**.

In a *tree* network every unit has private children; with branching ``m_1, ..., m_{L-2}``
a top-hidden-layer unit can switch sign only where one of its ``K = m_1 * ... * m_{L-2}``
leaf steps switches. Restricted to the sorted data, the dictionary is every pattern with
at most ``K`` switches, each switch in a gap between consecutive inputs (drawn at the gap
midpoint, the convention of §3). Modulo sign and constant there are
``sum_{r=1..min(K, N-1)} C(N-1, r)`` of them -- exponential in ``K``, so ``N`` is capped.

That every such pattern is reachable is proved for ``L = 3`` and only checked by exhaustive
enumeration for ``L = 4`` with small widths; for deeper trees it is unproven.
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


def sign_tree_columns(x: NDArray[np.float64], arch: Architecture) -> tuple[PatternColumns, str]:
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
    note = (
        f"Tree with branching {arch.branching}: patterns with at most {arch.max_switches} "
        "switches. Reachability of every such pattern is proved for depth 3 and only checked "
        "numerically for depth 4 with small widths (THEORY.md §6); deeper: unproven."
    )
    if arch.depth == 3:
        note = (
            f"Tree with branching {arch.branching}: patterns with at most "
            f"{arch.max_switches} switches (THEORY.md §6, proved for depth 3)."
        )
    return PatternColumns(arch.activation, switches, np.full(len(rows), first), "tree"), note
