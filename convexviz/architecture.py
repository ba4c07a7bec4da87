"""Which network is being trained: activation, depth and (for sign trees) branching.

``depth`` ``L`` counts weight layers including the output layer (THEORY.md §1), so a
two-layer net has one hidden layer and a narrow chain of depth ``L`` has ``L - 1``
scalar hidden layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from .activations import get_activation
from .limits import DEFAULT_LEAK, LEAK_RANGE

#: Supported depths per activation (inclusive); what is known at each depth, and with which
#: status: :mod:`convexviz.theory`.
MAX_DEPTH = {"relu": 8, "leaky_relu": 2, "abs": 5, "sign": 5, "threshold": 5}

_UNSUPPORTED_HINT = {
    "leaky_relu": (
        "deep leaky-ReLU chains are not covered by the theory (their units are not capped "
        "ramps); use depth 2, or relu/abs for deeper nets"
    ),
}


@dataclass(frozen=True)
class Architecture:
    """A network family whose training problem is a Lasso.

    Parameters
    ----------
    activation : str
        One of ``relu, leaky_relu, abs, sign, threshold``.
    depth : int
        Number of weight layers ``L >= 2``.
    leak : float
        Negative slope of ``leaky_relu``, within the closed interval
        :data:`convexviz.limits.LEAK_RANGE`; ignored otherwise.
    branching : tuple of int
        Sign/threshold trees only: branching ``(m_1, ..., m_{L-2})`` below the last hidden
        layer (THEORY.md §6). Empty means ``(2,) * (L - 2)``.
    """

    activation: str = "relu"
    depth: int = 2
    leak: float = DEFAULT_LEAK
    branching: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        get_activation(self.activation)
        if isinstance(self.depth, bool) or not isinstance(self.depth, int | float):
            raise ValueError(f"depth must be an integer, got {self.depth!r}")
        if int(self.depth) != self.depth or self.depth < 2:
            raise ValueError(f"depth must be an integer >= 2, got {self.depth!r}")
        object.__setattr__(self, "depth", int(self.depth))
        top = MAX_DEPTH[self.activation]
        if self.depth > top:
            hint = _UNSUPPORTED_HINT.get(self.activation, f"use depth 2 to {top}")
            raise ValueError(f"{self.activation} depth {self.depth} is not supported: {hint}")
        low, high = LEAK_RANGE
        if not (low <= float(self.leak) <= high):
            raise ValueError(f"leak must be in [{low:g}, {high:g}], got {self.leak!r}")
        branching = tuple(int(m) for m in self.branching)
        if self.activation in ("sign", "threshold") and self.depth >= 3:
            if not branching:
                branching = (2,) * (self.depth - 2)
            if len(branching) != self.depth - 2 or min(branching) < 1:
                raise ValueError(
                    f"branching must list {self.depth - 2} positive integers for depth "
                    f"{self.depth}, got {self.branching!r}"
                )
        else:
            branching = ()
        object.__setattr__(self, "branching", branching)

    @property
    def n_hidden(self) -> int:
        """Number of hidden scalar layers ``P = L - 1`` of one narrow chain."""
        return self.depth - 1

    @property
    def max_switches(self) -> int:
        """Sign trees: ``K = m_1 * ... * m_{L-2}`` sign switches per pattern (1 at depth 2)."""
        return int(_product(self.branching))

    @property
    def title(self) -> str:
        name = get_activation(self.activation).title
        return f"{name}, depth {self.depth}"


def _product(values: tuple[int, ...]) -> int:
    out = 1
    for v in values:
        out *= v
    return out
