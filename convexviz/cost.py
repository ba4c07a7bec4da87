"""How long a fit will take, estimated before any work, and which fits are accepted live.

A fit (:func:`convexviz.fit.fit`) builds the dictionary, solves the Lasso and certifies the
answer. With ``N`` distinct inputs and ``M`` raw candidate columns its work is

.. math:: W(N) = t_0 + M(N)\\,\\bigl(b\\,(L-1)\\,N + s\\,N^2\\bigr),

* ``t_0`` once (``t_0``, ``b`` and ``s`` depend on the builder);
* ``b (L - 1) N`` per column: building and de-duplicating the columns and the certificate
  evaluate every raw column, ``L - 1`` nested layers, at every input (this is why ReLU
  depth 8 costs more than depth 4 on the same columns; the deep absolute-value enumeration
  also visits about eighty candidates per column it keeps);
* ``s N^2`` per column: each interior-point iteration forms ``A D A^T`` (``N^2`` per
  column) and the polish's non-negative least squares does as much per column of the
  interior-point support, which can be most of the distinct columns.

``M(N)`` is an upper bound that never builds anything: the builders' own counting formulas
(:func:`convexviz.dictionary.raw_size_estimate`; exact for ReLU chains, two-layer networks
and sign trees, an upper bound for the absolute-value chains -- ``tests/test_cost.py``
checks it against built dictionaries). The constants ``t_0``, ``b`` and ``s`` are seconds
measured on the project's 2-core machine by ``benchmarks/calibrate_cost.py`` (BENCHMARKS.md,
"the cost model"), scaled so that ``W`` is above every measured median: it reads directly as an
estimate, on the high side, of the seconds a fit takes. ``beta`` is left out: at the
limits it changes the time little (``--beta-check``), except near interpolation (beta ~ 1e-5),
where the interior-point method may fail and a slower fallback solver takes over -- the case
the deadline (:mod:`convexviz.deadline`) is there for.

A fit is accepted live when ``W <= MAX_FIT_SECONDS`` (:mod:`convexviz.limits`).

>>> from convexviz import Architecture
>>> fit_cost(Architecture("relu", 2), 6).accepted
True
>>> print(refusal(Architecture("abs", 5), 13))  # doctest: +ELLIPSIS
abs depth 5 with 13 points is too large to solve live here (about ... s); at most ...
points, or choose depth 4
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .architecture import Architecture
from .dictionary import raw_size_estimate
from .limits import MAX_FIT_SECONDS, MAX_POINTS

__all__ = [
    "BUILD_SECONDS",
    "FIXED_SECONDS",
    "SOLVE_SECONDS",
    "FitCost",
    "FitTooLargeError",
    "builder",
    "describe",
    "distinct_count",
    "fit_cost",
    "max_points",
    "refusal",
]

#: ``b``: seconds per (raw column x hidden layer x distinct input) to build, de-duplicate
#: and certify, per builder (:func:`builder`). Calibrated by ``benchmarks/calibrate_cost.py``.
BUILD_SECONDS = {
    "two_layer": 3.3e-7,
    "sign_tree": 4.1e-7,
    "relu_chain": 3.1e-8,
    "abs_chain": 0.0,
    "abs4": 7.3e-8,
    "abs_deep": 0.0,
}

#: ``s``: seconds per (raw column x distinct input^2) of the solver (interior point and
#: polish), per builder: the solver sees only the distinct columns, a builder-dependent
#: fraction of the raw ones (about 1.5 % for deep ReLU chains, all of them for sign trees).
#: Calibrated by ``benchmarks/calibrate_cost.py``.
SOLVE_SECONDS = {
    "two_layer": 5.7e-9,
    "sign_tree": 1.8e-9,
    "relu_chain": 7.5e-10,
    "abs_chain": 3.0e-9,
    "abs4": 3.6e-9,
    "abs_deep": 1.43e-7,
}

#: ``t_0``: seconds a fit costs whatever its size, per builder (bookkeeping; the deep
#: absolute-value enumeration loops over about a thousand incidence types even for tiny N).
#: Calibrated by ``benchmarks/calibrate_cost.py``.
FIXED_SECONDS = {
    "two_layer": 0.018,
    "sign_tree": 0.021,
    "relu_chain": 0.0069,
    "abs_chain": 0.0028,
    "abs4": 0.0089,
    "abs_deep": 0.24,
}


class FitTooLargeError(ValueError):
    """A fit refused before any work: its estimated time is above the live limit.

    The message is one sentence for students (what was asked, about how long it would take,
    what is allowed); ``cost`` is the :class:`FitCost` behind it.
    """

    def __init__(self, cost: FitCost) -> None:
        super().__init__(refusal_text(cost))
        self.cost = cost

    def __reduce__(self):
        """Pickle by the constructor's argument (the error crosses the fit pool's processes)."""
        return type(self), (self.cost,)


@dataclass(frozen=True)
class FitCost:
    """The estimated cost of fitting ``architecture`` to ``n_distinct`` distinct inputs.

    Attributes
    ----------
    architecture : Architecture
    n_distinct : int
        Number of distinct ``x`` values (repeats add rows, not columns).
    columns : int
        Upper bound ``M`` on the raw candidate columns (never built to count them).
    seconds : float
        Estimated wall time of :func:`convexviz.fit.fit` on the calibration machine.
    """

    architecture: Architecture
    n_distinct: int
    columns: int
    seconds: float

    @property
    def accepted(self) -> bool:
        """Whether the fit is cheap enough to run live (``seconds <= MAX_FIT_SECONDS``)."""
        return self.seconds <= MAX_FIT_SECONDS


def builder(architecture: Architecture) -> str:
    """Which dictionary builder serves ``architecture`` (a key of :data:`BUILD_SECONDS`)."""
    act, depth = architecture.activation, architecture.depth
    if depth == 2 or act == "leaky_relu":
        return "two_layer"
    if act in ("sign", "threshold"):
        return "sign_tree"
    if act == "relu":
        return "relu_chain"
    return {3: "abs_chain", 4: "abs4"}.get(depth, "abs_deep")


def fit_cost(architecture: Architecture, n_distinct: int) -> FitCost:
    """Estimated cost of a fit: ``t_0 + M (b (L-1) N + s N^2)`` seconds (module docstring).

    Parameters
    ----------
    architecture : Architecture
    n_distinct : int
        Number of distinct training inputs ``N >= 0``.

    Returns
    -------
    FitCost
    """
    n = max(int(n_distinct), 0)
    columns = int(raw_size_estimate(n, architecture)) if n >= 1 else 0
    key = builder(architecture)
    layers = architecture.depth - 1
    per_column = BUILD_SECONDS[key] * layers * n + SOLVE_SECONDS[key] * n * n
    return FitCost(architecture, n, columns, FIXED_SECONDS[key] + columns * per_column)


def distinct_count(x: object) -> int:
    """Number of distinct values in ``x`` (what the dictionary's size depends on)."""
    return int(np.unique(np.asarray(x, dtype=float)).size)


@lru_cache(maxsize=256)
def max_points(architecture: Architecture) -> int:
    """Largest number of distinct points whose fit is accepted live (at least 1).

    The estimate grows with ``N`` (``tests/test_cost.py``), so this is the last ``N`` below
    the limit; it never exceeds :data:`~convexviz.limits.MAX_POINTS`.
    """
    n = 1
    while n < MAX_POINTS and fit_cost(architecture, n + 1).accepted:
        n += 1
    return n


def describe(architecture: Architecture, n_distinct: int) -> str:
    """``"abs depth 5 with 13 points"``: a fit in words, for messages."""
    s = "s" * (n_distinct != 1)
    return f"{architecture.activation} depth {architecture.depth} with {n_distinct} point{s}"


def refusal(architecture: Architecture, n_distinct: int) -> str:
    """Why this fit is refused live, or ``""`` when it is accepted."""
    cost = fit_cost(architecture, n_distinct)
    return "" if cost.accepted else refusal_text(cost)


def refusal_text(cost: FitCost) -> str:
    """The sentence a refused fit shows: estimated time, points allowed, a shallower depth.

    "abs depth 5 with 13 points is too large to solve live here (about 8 s); at most 9
    points, or choose depth 4". The depth offered is the deepest smaller one (same
    activation) that accepts all the points; none is offered when there is none.
    """
    arch, n = cost.architecture, cost.n_distinct
    allowed = max_points(arch)
    text = (
        f"{describe(arch, n)} is too large to solve live here "
        f"(about {_seconds_text(cost.seconds)}); at most {allowed} point{'s' * (allowed != 1)}"
    )
    if (depth := _shallower_depth(arch, n)) is not None:
        text += f", or choose depth {depth}"
    return text


def _shallower_depth(architecture: Architecture, n_distinct: int) -> int | None:
    """The deepest depth below ``architecture``'s that accepts ``n_distinct`` points."""
    for depth in range(architecture.depth - 1, 1, -1):
        try:
            shallower = Architecture(architecture.activation, depth, architecture.leak)
        except ValueError:
            continue
        if fit_cost(shallower, n_distinct).accepted:
            return depth
    return None


def _seconds_text(seconds: float) -> str:
    """``8 s``, ``1.5 s``, ``40 s``: an estimate with the precision it deserves."""
    return f"{seconds:.1f} s" if seconds < 2 else f"{seconds:.0f} s"
