"""Vectorized sets of candidate columns (the raw dictionary before de-duplication).

A column set stores the parameters of ``M`` features as arrays, evaluates all of them at
once with numpy broadcasting (no Python loop per column), and turns any single column
into a frozen :mod:`convexviz.features` value on demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..activations import get_activation
from ..features import KINDS, ChainFeature, PatternFeature, pattern_values
from ..limits import DEFAULT_LEAK


@dataclass(frozen=True, eq=False)
class ChainColumns:
    """``M`` narrow chains ``g_l = sigma(s_l (g_{l-1} - c_l))`` (see ``ChainFeature``).

    Attributes
    ----------
    signs, offsets : ndarray of shape (M, P)
    kinds : ndarray of shape (M,)
        Codes into :data:`convexviz.features.KINDS`.
    mirrors : ndarray of shape (M, R, 2)
        ``(source, mirror)`` pairs of the reflection construction, NaN where unused.
    families : tuple of str
        Family names; ``family_index`` (M,) points into it.
    """

    activation: str
    signs: NDArray[np.float64]
    offsets: NDArray[np.float64]
    kinds: NDArray[np.int_]
    family_index: NDArray[np.int_]
    families: tuple[str, ...]
    mirrors: NDArray[np.float64] | None = None
    leak: float = DEFAULT_LEAK

    @property
    def size(self) -> int:
        return int(self.signs.shape[0])

    def evaluate(self, x: NDArray[np.float64], columns: NDArray[np.int_] | None = None):
        """Values at ``x``: array of shape ``(len(x), M)`` (or of the selected columns)."""
        signs = self.signs if columns is None else self.signs[columns]
        offsets = self.offsets if columns is None else self.offsets[columns]
        act = get_activation(self.activation)
        g = np.asarray(x, dtype=float)[:, None]
        for layer in range(signs.shape[1]):
            g = act(signs[:, layer] * (g - offsets[:, layer]), self.leak)
        return g

    def feature(self, i: int) -> ChainFeature:
        mirrors: tuple[tuple[float, float], ...] = ()
        if self.mirrors is not None:
            pairs = self.mirrors[i]
            mirrors = tuple(
                (float(a), float(b)) for a, b in pairs if np.isfinite(a) and np.isfinite(b)
            )
        return ChainFeature(
            activation=self.activation,
            signs=tuple(float(s) for s in self.signs[i]),
            offsets=tuple(float(c) for c in self.offsets[i]),
            kind=KINDS[int(self.kinds[i])],
            mirrors=mirrors,
            family=self.families[int(self.family_index[i])],
            leak=self.leak,
        )


@dataclass(frozen=True, eq=False)
class PatternColumns:
    """``M`` sign/threshold patterns with up to ``K`` switches each.

    Attributes
    ----------
    switches : ndarray of shape (M, K)
        Sorted switch positions, ``+inf`` padding for patterns with fewer switches.
    first : ndarray of shape (M,)
        Value left of all switches.
    """

    activation: str
    switches: NDArray[np.float64]
    first: NDArray[np.float64]
    family: str = ""

    @property
    def size(self) -> int:
        return int(self.switches.shape[0])

    @property
    def kinds(self) -> NDArray[np.int_]:
        n_switches = np.isfinite(self.switches).sum(axis=1)
        return np.where(n_switches == 1, KINDS.index("step"), KINDS.index("multistep"))

    def evaluate(self, x: NDArray[np.float64], columns: NDArray[np.int_] | None = None):
        switches = self.switches if columns is None else self.switches[columns]
        first = self.first if columns is None else self.first[columns]
        x = np.asarray(x, dtype=float)
        flips = (x[:, None, None] >= switches[None, :, :]).sum(axis=2)
        return pattern_values(self.activation, first[None, :], flips)

    def feature(self, i: int) -> PatternFeature:
        row = self.switches[i]
        return PatternFeature(
            activation=self.activation,
            switches=tuple(float(t) for t in row[np.isfinite(row)]),
            first=float(self.first[i]),
            family=self.family,
        )


Columns = ChainColumns | PatternColumns
