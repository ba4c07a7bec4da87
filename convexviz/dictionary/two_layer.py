"""Two-layer dictionaries (THEORY.md §2 and §3).

* ReLU / leaky ReLU / absolute value, ``sigma(u) = p u`` for ``u >= 0`` and ``q u`` for
  ``u < 0``: one column ``phi_{j,s}(x) = sigma(s (x - x_j))`` per training input ``x_j`` and
  orientation ``s = +-1`` (raw size ``2N``; for ``abs`` both orientations are the same
  function and end up in the same de-duplication class).
* sign / threshold: one step per gap between consecutive sorted distinct inputs, placed at
  the gap *midpoint* (any interior point gives the same column on the data; the midpoint
  is our drawing convention): ``1[x >= t_k]`` or ``sign(x - t_k)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..features import KIND_CODE
from .columns import ChainColumns, PatternColumns


def ramp_columns(x: NDArray[np.float64], activation: str, leak: float) -> ChainColumns:
    """``sigma(s (x - x_j))`` for every data point ``x_j`` and sign ``s``."""
    knots = np.unique(x)
    signs = np.array([1.0, -1.0])
    s, c = np.meshgrid(signs, knots, indexing="ij")
    m = s.size
    kind = KIND_CODE["vee" if activation == "abs" else "ramp"]
    return ChainColumns(
        activation=activation,
        signs=s.reshape(m, 1),
        offsets=c.reshape(m, 1),
        kinds=np.full(m, kind),
        family_index=np.zeros(m, dtype=int),
        families=("T" if activation == "abs" else "ramp",),
        leak=leak,
    )


def gap_midpoints(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Midpoints between consecutive sorted distinct inputs (``N - 1`` of them)."""
    knots = np.unique(x)
    return (knots[:-1] + knots[1:]) / 2.0


def step_columns(x: NDArray[np.float64], activation: str) -> PatternColumns:
    """One upward step per gap midpoint: ``sign(x - t)`` or ``1[x >= t]``."""
    t = gap_midpoints(x)
    first = -1.0 if activation == "sign" else 0.0
    return PatternColumns(
        activation=activation,
        switches=t.reshape(-1, 1),
        first=np.full(t.size, first),
        family="step",
    )
