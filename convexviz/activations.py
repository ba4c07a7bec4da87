"""Activation registry.

The names are a contract: the same strings are used in the command line, the URL
(``act=...``), the widgets and the plot titles.

The piecewise-linear activations are positively homogeneous,
``sigma(c u) = c sigma(u)`` for ``c > 0``, which is what lets a unit's weights be
rescaled into a single Lasso coefficient (THEORY.md §1). ``sign`` and ``threshold``
are scale invariant instead, ``sigma(c u) = sigma(u)`` (THEORY.md §3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from .limits import DEFAULT_LEAK

ActivationName = Literal["relu", "leaky_relu", "abs", "sign", "threshold"]


@dataclass(frozen=True)
class Activation:
    """A scalar activation with its name and whether it is piecewise linear."""

    name: ActivationName
    title: str
    homogeneous: bool  # True: sigma(c u) = c sigma(u); False: sigma(c u) = sigma(u)

    def __call__(self, u: NDArray[np.float64], leak: float = DEFAULT_LEAK) -> NDArray[np.float64]:
        return _FUNCTIONS[self.name](np.asarray(u, dtype=float), leak)


def _relu(u: NDArray[np.float64], leak: float) -> NDArray[np.float64]:
    return np.maximum(u, 0.0)


def _leaky_relu(u: NDArray[np.float64], leak: float) -> NDArray[np.float64]:
    return np.where(u >= 0.0, u, leak * u)


def _abs(u: NDArray[np.float64], leak: float) -> NDArray[np.float64]:
    return np.abs(u)


def _sign(u: NDArray[np.float64], leak: float) -> NDArray[np.float64]:
    # Convention sign(0) = +1 (THEORY.md §3).
    return np.where(u >= 0.0, 1.0, -1.0)


def _threshold(u: NDArray[np.float64], leak: float) -> NDArray[np.float64]:
    return np.where(u >= 0.0, 1.0, 0.0)


_FUNCTIONS: dict[str, Callable[[NDArray[np.float64], float], NDArray[np.float64]]] = {
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "abs": _abs,
    "sign": _sign,
    "threshold": _threshold,
}

ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", "ReLU", True),
    "leaky_relu": Activation("leaky_relu", "leaky ReLU", True),
    "abs": Activation("abs", "absolute value |u|", True),
    "sign": Activation("sign", "sign", False),
    "threshold": Activation("threshold", "threshold (step)", False),
}


def get_activation(name: str) -> Activation:
    """Return the registered activation called ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not one of ``relu, leaky_relu, abs, sign, threshold``.
    """
    try:
        return ACTIVATIONS[name]
    except KeyError:
        allowed = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; choose one of: {allowed}") from None
