"""Feature functions: the columns of the Lasso dictionary, one value per feature.

Two shapes of feature cover every architecture in THEORY.md:

* :class:`ChainFeature` -- a *narrow chain* with weights ``+-1``,

  .. math:: g_0(x) = x, \\qquad g_l(x) = \\sigma(s_l (g_{l-1}(x) - c_l)), \\quad l = 1..P,

  and ``phi(x) = g_P(x)``. With ``sigma = relu`` this gives ramps (``P = 1``), capped ramps
  and reflection features (THEORY.md §2, §4); with ``sigma = |.|`` the vee, reflection and
  midpoint families (§5, THEORY_DEEP_ABS.md); with leaky ReLU the leaky ramps (§2).
* :class:`PatternFeature` -- a piecewise-constant sign/threshold pattern that switches at
  given thresholds (THEORY.md §3 for one switch, §6 for trees with several).

A feature knows its ``kind`` (``ramp``, ``capped_ramp``, ``vee``, ``reflection``,
``midpoint``, ``step``, ``multistep``), its ``breakpoints`` (exact kinks or jumps), a
readable ``label`` and, for reflections, the mirror construction
``image = 2 * mirror - source``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .activations import get_activation
from .limits import DEFAULT_LEAK

#: Kind names in priority order: when several dictionary columns agree on the data, the
#: class representative is the one whose kind comes first (the simplest explanation).
KINDS = ("ramp", "vee", "step", "capped_ramp", "midpoint", "reflection", "multistep")
KIND_CODE = {name: code for code, name in enumerate(KINDS)}


def fmt(value: float) -> str:
    """Format a number compactly for labels (``3``, ``-0.5``, ``1.23e+03``)."""
    text = f"{value:.4g}"
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class ChainFeature:
    """A narrow chain ``g_l = sigma(s_l (g_{l-1} - c_l))`` with ``P`` hidden layers.

    Parameters
    ----------
    activation : str
        ``relu``, ``leaky_relu`` or ``abs``.
    signs : tuple of float
        ``s_1..s_P`` in ``{+1, -1}``.
    offsets : tuple of float
        ``c_1..c_P``: layer ``l`` switches where ``g_{l-1}(x) = c_l``.
    kind : str
        One of :data:`KINDS`.
    mirrors : tuple of (source, mirror) pairs
        Reflection construction: a breakpoint sits at ``2 * mirror - source``.
    family : str
        The THEORY.md family the column came from (``"T"``, ``"R"``, ``"M"``, ``"k=1"``, ...).
    leak : float
        Negative slope for ``leaky_relu``.
    """

    activation: str
    signs: tuple[float, ...]
    offsets: tuple[float, ...]
    kind: str
    mirrors: tuple[tuple[float, float], ...] = ()
    family: str = ""
    leak: float = DEFAULT_LEAK
    breakpoints: tuple[float, ...] = field(init=False)

    def __post_init__(self) -> None:
        if len(self.signs) != len(self.offsets) or not self.signs:
            raise ValueError("signs and offsets must be non-empty and of equal length")
        object.__setattr__(self, "breakpoints", chain_breakpoints(self))

    @property
    def depth(self) -> int:
        return len(self.signs) + 1

    def evaluate(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Evaluate ``phi`` at every point of ``x`` (any shape)."""
        act = get_activation(self.activation)
        g = np.asarray(x, dtype=float)
        for s, c in zip(self.signs, self.offsets, strict=True):
            g = act(s * (g - c), self.leak)
        return g

    @property
    def label(self) -> str:
        return _chain_label(self)

    def __repr__(self) -> str:
        return f"ChainFeature({self.label})"


@dataclass(frozen=True)
class PatternFeature:
    """A sign/threshold pattern: constant between ``switches``, flipping at each one.

    ``first`` is the value left of all switches: ``+-1`` for ``sign``, ``0`` or ``1`` for
    ``threshold``. The value at ``x == t`` is the value right of ``t`` (``sign(0) = +1``).
    """

    activation: str
    switches: tuple[float, ...]
    first: float
    family: str = ""

    @property
    def kind(self) -> str:
        return "step" if len(self.switches) == 1 else "multistep"

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return self.switches

    @property
    def mirrors(self) -> tuple[tuple[float, float], ...]:
        return ()

    def evaluate(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=float)
        flips = np.searchsorted(np.asarray(self.switches), x, side="right")
        return pattern_values(self.activation, self.first, flips)

    @property
    def label(self) -> str:
        where = ", ".join(fmt(t) for t in self.switches)
        if self.kind == "step":
            direction = "up" if self.evaluate(np.array([np.inf]))[0] > self.first else "down"
            return f"step {direction} at {where}"
        return f"steps at {where}"

    def __repr__(self) -> str:
        return f"PatternFeature({self.label})"


Feature = ChainFeature | PatternFeature


def pattern_values(activation: str, first: float, flips: NDArray[np.int_]) -> NDArray[np.float64]:
    """Values of a pattern after ``flips`` switches, starting from ``first``."""
    odd = (np.asarray(flips) % 2).astype(bool)
    if activation == "sign":
        return np.where(odd, -first, first).astype(float)
    return np.where(odd, 1.0 - first, first).astype(float)


# ----------------------------------------------------------------------------------------
# Exact breakpoints of a chain: compose piecewise-linear functions layer by layer.


def chain_breakpoints(feature: ChainFeature) -> tuple[float, ...]:
    """Exact kinks of a chain feature, sorted.

    Each layer ``sigma(s (g - c))`` can only add kinks where ``g(x) = c``; we track ``g`` as
    knots, values and the two end slopes, add the crossings, and finally keep the knots
    where the slope really changes. Memoized: the app rebuilds the same features on every
    refit (BENCHMARKS.md).
    """
    if len(feature.signs) == 1 and feature.signs[0] != 0:  # sigma(s (x - c)): one kink, at c
        return (float(feature.offsets[0]),)
    return _chain_breakpoints(feature.activation, feature.signs, feature.offsets, feature.leak)


@functools.lru_cache(maxsize=8192)
def _chain_breakpoints(
    activation: str, signs: tuple[float, ...], offsets: tuple[float, ...], leak: float
) -> tuple[float, ...]:
    knots = np.array([0.0])
    values = np.array([0.0])
    left, right = 1.0, 1.0  # slopes of g_0(x) = x beyond the knots
    act = get_activation(activation)
    for s, c in zip(signs, offsets, strict=True):
        knots, values = _add_crossings(knots, values, left, right, c)
        u_left = _far_sign(values[0] - c, -left)
        u_right = _far_sign(values[-1] - c, right)
        left = _slope_factor(activation, s * u_left, leak) * s * left
        right = _slope_factor(activation, s * u_right, leak) * s * right
        values = act(s * (values - c), leak)
    slopes = np.concatenate([[left], np.diff(values) / np.diff(knots), [right]])
    scale = 1.0 + np.max(np.abs(knots))
    kinks = np.abs(np.diff(slopes)) > 1e-9 * max(1.0, np.max(np.abs(slopes)))
    kept = knots[kinks]
    # Merge knots that coincide up to rounding.
    if kept.size:
        kept = kept[np.concatenate([[True], np.diff(kept) > 1e-12 * scale])]
    return tuple(float(k) for k in kept)


def _add_crossings(
    knots: NDArray[np.float64], values: NDArray[np.float64], left: float, right: float, c: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    new = []
    if left != 0.0 and (values[0] - c) * left > 0:  # g = c somewhere left of the first knot
        new.append(knots[0] - (values[0] - c) / left)
    d = values - c
    for i in np.nonzero(d[:-1] * d[1:] < 0)[0]:
        t = d[i] / (d[i] - d[i + 1])
        new.append(knots[i] + t * (knots[i + 1] - knots[i]))
    if right != 0.0 and (c - values[-1]) * right > 0:
        new.append(knots[-1] + (c - values[-1]) / right)
    if not new:
        return knots, values
    all_knots = np.sort(np.concatenate([knots, new]))
    # A crossing can land on an existing knot (up to rounding): keep one of them.
    scale = 1.0 + float(np.max(np.abs(all_knots)))
    all_knots = all_knots[np.concatenate([[True], np.diff(all_knots) > 1e-12 * scale])]
    return all_knots, _interp(all_knots, knots, values, left, right)


def _interp(
    at: NDArray[np.float64],
    knots: NDArray[np.float64],
    values: NDArray[np.float64],
    left: float,
    right: float,
) -> NDArray[np.float64]:
    out = np.interp(at, knots, values)
    out = np.where(at < knots[0], values[0] + left * (at - knots[0]), out)
    return np.where(at > knots[-1], values[-1] + right * (at - knots[-1]), out)


def _far_sign(offset_at_end: float, direction: float) -> float:
    """Sign of ``g - c`` far out, where ``g`` moves with slope ``direction`` outward."""
    if direction != 0.0:
        return float(np.sign(direction))
    return float(np.sign(offset_at_end)) if offset_at_end != 0 else 0.0


def _slope_factor(activation: str, u_sign: float, leak: float) -> float:
    if activation == "relu":
        return 1.0 if u_sign > 0 else 0.0
    if activation == "leaky_relu":
        return 1.0 if u_sign > 0 else leak
    return float(np.sign(u_sign))  # abs


# ----------------------------------------------------------------------------------------
# Labels


def _x_minus(c: float) -> str:
    """``x - c`` written without a double sign (``x + 1`` for ``c = -1``)."""
    text = fmt(c)
    if text == "0":
        return "x"
    return f"x + {fmt(-c)}" if text[0] == "-" else f"x - {text}"


def _chain_label(f: ChainFeature) -> str:
    b = f.breakpoints
    if f.kind in ("ramp", "vee") and f.depth == 2:
        c, s = f.offsets[0], f.signs[0]
        if f.activation == "abs":
            return f"vee |{_x_minus(c)}|"
        inner = _x_minus(c) if s > 0 else f"{fmt(c)} - x"
        prefix = "leaky ramp" if f.activation == "leaky_relu" else "ramp"
        return f"{prefix} ({inner})+"
    where = ", ".join(fmt(t) for t in b) if b else "none"
    if f.kind == "vee" and len(b) == 1:
        return f"vee |{_x_minus(b[0])}|"
    if f.kind == "ramp" and len(b) == 1:
        left, at, right = f.evaluate(np.array([b[0] - 1.0, b[0], b[0] + 1.0]))
        inner = _x_minus(b[0]) if abs(right - at) > abs(left - at) else f"{fmt(b[0])} - x"
        return f"ramp ({inner})+"
    if f.kind == "capped_ramp":
        if len(b) == 2:
            return f"capped ramp {fmt(b[0])} to {fmt(b[-1])}"
        return f"capped ramp {where}"
    if f.kind == "reflection" and f.mirrors:
        steps = [f"{fmt(s)} mirrored at {fmt(m)} -> {fmt(2 * m - s)}" for s, m in f.mirrors]
        return f"reflection: {', then '.join(steps)}; breaks {where}"
    if f.kind == "midpoint":
        return f"midpoint: breaks {where}"
    return f"{f.kind.replace('_', ' ')}: breaks {where}"
