"""The unit frame of a point set: the plane engine solves on centred, scaled points.

With ``x = s x' + c`` (``c`` the centre of the bounding box, ``s`` its half-width), a neuron
``alpha relu(w . x + b)`` is ``alpha relu((s w) . x' + (w . c + b))``: the same function of
``x'``. Its balanced penalty ``beta |alpha| |w|`` is ``(beta / s) |alpha| |s w|``, so the problem
on ``x'`` with ``beta' = beta / s`` has the same objective, the same optimum and the same
duality gap (``M`` scales with ``s`` like ``beta``). Coordinates in the thousands or in the
thousandths thus reach the solver as numbers of size one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .plane_network import PlaneNetwork


@dataclass(frozen=True)
class Frame:
    """``x' = (x - center) / scale``."""

    center: tuple[float, float]
    scale: float

    @classmethod
    def of(cls, points: NDArray) -> Frame:
        """Centre and half-width of the bounding box (scale 1 when all points coincide)."""
        x = np.asarray(points, dtype=float).reshape(-1, 2)
        low, high = x.min(axis=0), x.max(axis=0)
        half = 0.5 * float(np.max(high - low))
        center = 0.5 * (low + high)
        return cls((float(center[0]), float(center[1])), half if half > 0 else 1.0)

    def to_unit(self, points: NDArray) -> NDArray[np.float64]:
        return (np.asarray(points, dtype=float) - np.array(self.center)) / self.scale

    def beta_to_unit(self, beta: float) -> float:
        return beta / self.scale

    def lines_to_unit(self, lines: NDArray) -> NDArray[np.float64]:
        """Rows ``(w, b)`` of ``w . x + b`` as rows ``(s w, w . c + b)`` (the same line in x')."""
        u = np.asarray(lines, dtype=float).reshape(-1, 3)
        return np.column_stack([self.scale * u[:, :2], u[:, :2] @ np.array(self.center) + u[:, 2]])

    def lines_from_unit(self, lines: NDArray) -> NDArray[np.float64]:
        """Rows ``(w', b')`` of ``w' . x' + b'`` as rows ``(w' / s, b' - w' . c / s)``."""
        u = np.asarray(lines, dtype=float).reshape(-1, 3)
        w = u[:, :2] / self.scale
        return np.column_stack([w, u[:, 2] - w @ np.array(self.center)])

    def network_from_unit(self, network: PlaneNetwork) -> PlaneNetwork:
        """The same function of ``x``, each neuron rebalanced (``|w_j| = |alpha_j|``)."""
        lines = self.lines_from_unit(np.column_stack([network.weights, network.biases]))
        norm = np.linalg.norm(lines[:, :2], axis=1)
        alpha = network.alphas
        factor = np.ones_like(norm)
        ok = (norm > 0) & (alpha != 0)
        factor[ok] = np.sqrt(np.abs(alpha[ok]) / norm[ok])
        return PlaneNetwork(
            lines[:, :2] * factor[:, None], lines[:, 2] * factor, alpha / factor, network.offset
        )
