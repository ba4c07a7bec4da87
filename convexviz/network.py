"""Reconstruction: from a Lasso solution back to an explicit, optimal neural network.

Every nonzero coefficient ``z_i`` becomes one unit whose output is exactly
``z_i phi_i(x)`` and whose penalty is exactly ``beta |z_i|`` (THEORY.md §1, "net <= Lasso").

* Chains (ReLU, leaky ReLU, absolute value; §2, §4.4, §5, THEORY_DEEP_ABS §1): with
  ``r = |z|^(1/L)``, ``w_l = s_l r``, ``b_l = -s_l r^l c_l``, ``alpha = sign(z) r``. Then
  ``h_l = r^l g_l`` and the penalty ``(beta/L)(sum_l |w_l|^L + |alpha|^L) = beta |z|``.
* Sign / threshold (§3, §6): the weights inside ``sigma`` are free (scale invariant), only
  the output weight ``alpha`` and the amplitude ``a`` of the top unit are penalized,
  ``(beta/2)(alpha^2 + a^2)``, and ``a = |z|^(1/2)``, ``alpha = sign(z) |z|^(1/2)``. The top
  unit is a tree whose leaves are steps at the pattern's switches (the depth-3 construction
  of §6 applied level by level: contiguous groups of switches per child, unit weights and
  a bias that make the partial sums alternate in sign).

The network's regularized objective ``0.5 ||f(X) - y||^2 + penalty`` equals the Lasso
objective, and its forward pass equals ``A z + xi`` (tests check both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .activations import get_activation
from .architecture import Architecture
from .dictionary import Dictionary
from .features import ChainFeature, PatternFeature
from .lasso import LassoFit
from .limits import DEFAULT_LEAK


@dataclass(frozen=True)
class ChainUnit:
    """``alpha * h_P(x)`` with ``h_l = sigma(w_l h_{l-1} + b_l)``, ``h_0 = x``."""

    activation: str
    weights: tuple[float, ...]
    biases: tuple[float, ...]
    alpha: float
    leak: float = DEFAULT_LEAK

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        act = get_activation(self.activation)
        h = np.asarray(x, dtype=float)
        for w, b in zip(self.weights, self.biases, strict=True):
            h = act(w * h + b, self.leak)
        return self.alpha * h

    def penalty(self, beta: float, depth: int) -> float:
        """``(beta / L) * (sum_l |w_l|^L + |alpha|^L)``."""
        powers = np.abs(np.array(self.weights + (self.alpha,))) ** depth
        return beta / depth * float(powers.sum())


@dataclass(frozen=True)
class TreeNode:
    """A sign/threshold unit ``sigma(sum_i weights_i child_i(x) + bias)``.

    A leaf (no children) reads the input: ``sigma(weights[0] * x + bias)``.
    """

    weights: tuple[float, ...]
    bias: float
    children: tuple[TreeNode, ...] = ()

    def forward(self, x: NDArray[np.float64], activation: str) -> NDArray[np.float64]:
        act = get_activation(activation)
        if not self.children:
            return act(self.weights[0] * np.asarray(x, dtype=float) + self.bias)
        pairs = zip(self.weights, self.children, strict=True)
        total = sum(w * c.forward(x, activation) for w, c in pairs)
        return act(total + self.bias)


@dataclass(frozen=True)
class TreeUnit:
    """``alpha * amplitude * top(x)`` for a sign/threshold tree ``top``."""

    activation: str
    top: TreeNode
    amplitude: float
    alpha: float

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.alpha * self.amplitude * self.top.forward(x, self.activation)

    def penalty(self, beta: float, depth: int) -> float:
        """``(beta / 2) * (alpha^2 + amplitude^2)``: only these carry penalty (§3)."""
        return beta / 2 * (self.alpha**2 + self.amplitude**2)


Unit = ChainUnit | TreeUnit


@dataclass(frozen=True)
class Network:
    """A parallel network ``f(x) = sum_units unit(x) + bias``."""

    architecture: Architecture
    units: tuple[Unit, ...]
    bias: float

    @property
    def n_neurons(self) -> int:
        return len(self.units)

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=float)
        out = np.full(x.shape, self.bias)
        for unit in self.units:
            out = out + unit.forward(x)
        return out

    def penalty(self, beta: float) -> float:
        return float(sum(u.penalty(beta, self.architecture.depth) for u in self.units))

    def objective(self, x: NDArray, y: NDArray, beta: float) -> float:
        """Regularized non-convex objective ``0.5 ||f(x) - y||^2 + penalty`` (THEORY.md §1)."""
        r = self.forward(x) - np.asarray(y, dtype=float)
        return 0.5 * float(r @ r) + self.penalty(beta)


def reconstruct(dictionary: Dictionary, fit: LassoFit) -> Network:
    """One unit per nonzero coefficient of ``fit`` (over ``dictionary``'s classes)."""
    arch = dictionary.architecture
    units = tuple(unit_for(dictionary.feature(int(i)), float(fit.z[i]), arch) for i in fit.active)
    return Network(arch, units, fit.bias)


def unit_for(feature: ChainFeature | PatternFeature, z: float, arch: Architecture) -> Unit:
    """The unit whose output is ``z * feature(x)`` at penalty ``beta |z|``."""
    if isinstance(feature, PatternFeature):
        return _tree_unit(feature, z, arch)
    depth = feature.depth
    r = abs(z) ** (1.0 / depth)
    s = np.array(feature.signs)
    c = np.array(feature.offsets)
    layers = np.arange(1, len(s) + 1)
    weights = s * r
    biases = -s * r**layers * c
    return ChainUnit(
        activation=feature.activation,
        weights=tuple(float(w) for w in weights),
        biases=tuple(float(b) for b in biases),
        alpha=float(np.sign(z) * r),
        leak=feature.leak,
    )


def _tree_unit(feature: PatternFeature, z: float, arch: Architecture) -> TreeUnit:
    if feature.first not in (-1.0, 0.0):
        raise ValueError("patterns must start low (-1 for sign, 0 for threshold)")
    top = _alternating_node(list(feature.switches), arch.branching[::-1], feature.activation)
    root = np.sqrt(abs(z))
    return TreeUnit(feature.activation, top, amplitude=root, alpha=float(np.sign(z) * root))


def _alternating_node(
    switches: list[float], branching: tuple[int, ...], activation: str
) -> TreeNode:
    """A node whose sign output is ``-1`` left of all ``switches`` and flips at each one.

    ``branching`` lists the number of children per level from this node downwards. Leaves
    are steps ``sigma(x - t)``. An inner node gives each child a contiguous group of
    switches; a child that starts at ``-1`` changes the sum by ``2 v`` at its first switch,
    and the node's target ``T_j = -(-1)^j`` changes by ``2 (-1)^j`` at global switch
    ``j + 1``, so ``v = (-1)^start`` makes every partial sum equal ``T_j`` exactly.
    """
    if not branching:
        (t,) = switches
        return TreeNode(weights=(1.0,), bias=-t)
    m, below = branching[0], branching[1:]
    capacity = int(np.prod(below)) if below else 1
    groups = [switches[i : i + capacity] for i in range(0, len(switches), capacity)]
    if len(groups) > m:
        raise ValueError(f"{len(switches)} switches exceed this tree's capacity")
    children = [_alternating_node(g, below, activation) for g in groups]
    starts = np.cumsum([0] + [len(g) for g in groups[:-1]])
    weights = [float((-1.0) ** k) for k in starts]
    children += [children[0]] * (m - len(groups))  # unused children carry weight 0
    weights += [0.0] * (m - len(groups))
    bias = -1.0 + sum(weights)
    if activation == "threshold":  # children output (sign + 1) / 2 instead of sign
        bias = bias - sum(weights)
        weights = [2.0 * w for w in weights]
    return TreeNode(weights=tuple(weights), bias=float(bias), children=tuple(children))
