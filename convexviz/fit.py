"""The whole pipeline: points -> dictionary -> Lasso -> certified optimal network.

>>> from convexviz import Architecture, fit
>>> result = fit([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], Architecture("relu", 3), beta=1e-3)
>>> result.lasso.status, result.network.n_neurons
('optimal', 3)
>>> bool(result.certificate_gap < 1e-9 * result.lasso.objective)
True
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .architecture import Architecture
from .cost import FitTooLargeError, describe, distinct_count, fit_cost
from .deadline import Deadline, check
from .dictionary import Dictionary, build_dictionary, validate_inputs
from .features import Feature
from .lasso import LassoFit, beta_max, solve_lasso
from .limits import FIT_DEADLINE_SECONDS
from .network import Network, reconstruct


@dataclass(frozen=True)
class ActiveFeature:
    """A selected feature with its coefficient and its class of tied candidates."""

    index: int  # class index in the dictionary
    coef: float
    feature: Feature
    n_ties: int  # other raw candidates equal to this one on the data (mod constant, sign)


@dataclass(frozen=True, eq=False)
class FitResult:
    """Everything the app and the command line show about one fit."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    dictionary: Dictionary
    lasso: LassoFit
    network: Network
    beta_max: float
    certificate_gap: float  # lasso.duality_gap: dual constraint on every *raw* candidate
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def architecture(self) -> Architecture:
        return self.dictionary.architecture

    @property
    def network_objective(self) -> float:
        return self.network.objective(self.x, self.y, self.lasso.beta)

    @property
    def active_features(self) -> list[ActiveFeature]:
        d = self.dictionary
        return [
            ActiveFeature(
                index=int(i),
                coef=float(self.lasso.z[i]),
                feature=d.feature(int(i)),
                n_ties=int(np.count_nonzero(d.class_of == i)) - 1,
            )
            for i in self.lasso.active
        ]

    def predict(self, grid: NDArray[np.float64]) -> NDArray[np.float64]:
        """``f(x) = sum_i z_i phi_i(x) + xi`` on any grid (from the features)."""
        active = self.lasso.active
        values = self.dictionary.evaluate(np.asarray(grid, dtype=float), active)
        return values @ self.lasso.z[active] + self.lasso.bias

    def feature_curves(self, grid: NDArray[np.float64]) -> NDArray[np.float64]:
        """``z_i phi_i(grid)`` for each active feature: shape ``(len(grid), n_active)``."""
        active = self.lasso.active
        return (
            self.dictionary.evaluate(np.asarray(grid, dtype=float), active) * self.lasso.z[active]
        )


def fit(
    x: object,
    y: object,
    architecture: Architecture,
    beta: float,
    *,
    dictionary: Dictionary | None = None,
    reuse: bool = True,
    limit: bool = True,
    deadline_s: float | None = FIT_DEADLINE_SECONDS,
) -> FitResult:
    """Fit the globally optimal network of ``architecture`` to ``(x, y)``.

    Solves ``min 0.5 ||A z + xi 1 - y||^2 + beta ||z||_1`` over the architecture's
    dictionary, certifying optimality over every raw candidate (one duality gap, computed
    inside :func:`~convexviz.lasso.solve_lasso`), and rebuilds the network.

    Parameters
    ----------
    x, y : array_like of shape (n_samples,)
    architecture : Architecture
    beta : float
        Regularization strength, ``beta > 0``.
    dictionary : Dictionary, optional
        A dictionary already built on the same ``x`` (skips the build step).
    reuse : bool
        Allow the solver to reuse a cached problem for the same data (beta-only change).
    limit : bool
        Refuse, before any work, a fit whose estimated time
        (:func:`convexviz.cost.fit_cost`) is above the live limit
        :data:`~convexviz.limits.MAX_FIT_SECONDS`. The command line's ``--no-limit``
        turns it off for offline use.
    deadline_s : float or None
        Stop the fit with :class:`~convexviz.deadline.FitDeadlineError` once it has
        worked this many seconds (checked between and inside the solver's steps; time
        spent waiting for another fit's solve is not counted). ``None``: no deadline.

    Raises
    ------
    FitTooLargeError
        The estimated time is above the live limit (``limit=True``); nothing was built.
    FitDeadlineError
        The fit ran past ``deadline_s`` and was stopped.
    ValueError
        Bad inputs, a too-large dictionary, or a solver failure (clear message). The two
        errors above are ``ValueError`` subclasses.
    """
    t0 = time.perf_counter()
    x_arr, y_arr = validate_inputs(x, y)
    real = isinstance(beta, numbers.Real) and not isinstance(beta, bool)
    if not (real and np.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a positive number, got {beta!r}")
    n_distinct = distinct_count(x_arr)
    if limit and not (cost := fit_cost(architecture, n_distinct)).accepted:
        raise FitTooLargeError(cost)
    deadline = None
    if deadline_s is not None:
        deadline = Deadline.start(deadline_s, describe(architecture, n_distinct))
    if dictionary is None or not np.array_equal(dictionary.x_train, x_arr):
        dictionary = build_dictionary(x_arr, architecture)
    check(deadline, "the dictionary's build")
    t1 = time.perf_counter()
    lasso = solve_lasso(
        dictionary.A,
        y_arr,
        float(beta),
        reuse=reuse,
        candidates=dictionary.raw_blocks,
        deadline=deadline,
    )
    t2 = time.perf_counter()
    network = reconstruct(dictionary, lasso)
    t3 = time.perf_counter()
    timings = {
        "build": 1e3 * (t1 - t0),
        "solve": 1e3 * (t2 - t1),
        "reconstruct": 1e3 * (t3 - t2),
        "total": 1e3 * (t3 - t0),
    }
    return FitResult(
        x=x_arr,
        y=y_arr,
        dictionary=dictionary,
        lasso=lasso,
        network=network,
        beta_max=beta_max(dictionary.A, y_arr),
        certificate_gap=lasso.duality_gap,
        timings_ms=timings,
    )
