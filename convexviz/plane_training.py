"""Gradient descent on the two-layer ReLU network in the plane, beside its certified optimum.

The network and its training problem are those of THEORY_2D §1 (and of
:class:`convexviz.plane_network.PlaneNetwork`):

.. math::

    f(x) = \\sum_{j=1}^m \\alpha_j\\, \\mathrm{relu}(w_j \\cdot x + b_j) + \\xi,
    \\qquad w_j \\in \\mathbb{R}^2,\\ b_j, \\alpha_j, \\xi \\in \\mathbb{R},

    J(\\theta) = \\tfrac12 \\sum_n (f(x_n) - y_n)^2
    + \\tfrac{\\beta}{2} \\sum_j \\big(\\|w_j\\|^2 + \\alpha_j^2\\big),

biases ``b`` and offset ``xi`` free. The convex program of THEORY_2D §3 has the same optimal
value for every width ``m >= m*``, and its certificate (§4) bounds *every* network of *any*
width from below: ``J(theta) >= optimum - duality gap`` for whatever Adam finds. With enough
neurons Adam gets down to the optimum; with too few (one neuron cannot make XOR) it stalls
above it.

How it runs: exactly as the 1-D trainer (:mod:`convexviz.training`), whose machinery this
module shares: ``K`` runs (one per seed) form the rows of one ``(K, 4m + 1)`` array and step
together through :func:`convexviz.training.adam_runs`; each run's arithmetic is elementwise in
its row, so a run depends only on its seed (not on the other seeds, nor on the chunking);
:func:`train_live` yields a :class:`PlaneTrainingSnapshot` (an
:class:`~convexviz.training.AdamSnapshot`) between chunks, :func:`train` the last one.

The random starts come from :mod:`convexviz.portable_random` and only ``+ - * / sqrt`` touch
the draws (:func:`init_network`), so another language rebuilds them bit for bit.

Example
-------
>>> xor = [(-1, -1), (-1, 1), (1, -1), (1, 1)]
>>> setup = PlaneTrainingSetup(beta=0.05, width=4, steps=500, seeds=(0, 1))
>>> final = train(xor, [1, -1, -1, 1], setup)
>>> final.step, bool(final.best.min() < 2.0)  # the best constant, xi = 0, costs 2
(500, True)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .plane_network import PlaneNetwork
from .portable_random import uniforms
from .training import (
    DEFAULT_CHUNK,
    DEFAULT_LR,
    DEFAULT_SEEDS,
    DEFAULT_STEPS,
    MAX_WORK,
    AdamProgress,
    AdamSnapshot,
    adam_runs,
    check_adam_settings,
)

__all__ = [
    "DEFAULT_CHUNK",
    "DEFAULT_LR",
    "DEFAULT_SEEDS",
    "DEFAULT_STEPS",
    "MAX_WORK",
    "PlaneTrainingSetup",
    "PlaneTrainingSnapshot",
    "forward",
    "init_network",
    "objective_and_grad",
    "pack",
    "train",
    "train_live",
    "unpack",
]


@dataclass(frozen=True)
class PlaneTrainingSetup:
    """One batch of runs on the plane: the penalty, the width and Adam's settings.

    Parameters
    ----------
    beta : float
        Weight decay ``beta > 0``: penalty ``beta/2 sum_j (|w_j|^2 + alpha_j^2)``.
    width : int
        Neurons ``m`` (:data:`convexviz.training.WIDTH_RANGE`).
    steps : int
        Adam steps per run, full batch (:data:`convexviz.training.STEPS_RANGE`).
    lr : float
        Adam's initial step size; cosine decay to ``lr / 100`` at the last step.
    seeds : tuple of int
        One run per seed, distinct, each in ``[0, 2**32 - 1]``.

    Raises
    ------
    ValueError
        Any setting out of its range, in one line.
    """

    beta: float = 0.05
    width: int = 8
    steps: int = DEFAULT_STEPS
    lr: float = DEFAULT_LR
    seeds: tuple[int, ...] = tuple(range(DEFAULT_SEEDS))

    def __post_init__(self) -> None:
        seeds = check_adam_settings(self.beta, self.width, self.steps, self.seeds, self.lr)
        object.__setattr__(self, "seeds", seeds)

    def work(self, n_points: int) -> float:
        """Cost measure ``seeds * width * steps * n_points`` (compared with ``MAX_WORK``)."""
        return float(len(self.seeds)) * self.width * self.steps * n_points


@dataclass(frozen=True, eq=False)
class PlaneTrainingSnapshot(AdamSnapshot):
    """An :class:`~convexviz.training.AdamSnapshot` of networks on the plane.

    Attributes
    ----------
    setup : PlaneTrainingSetup
    networks : tuple of PlaneNetwork
        Current network of every run.
    best_networks : tuple of PlaneNetwork
        Each run's network where its lowest objective ``best`` was reached.
    """

    networks: tuple[PlaneNetwork, ...] = ()
    best_networks: tuple[PlaneNetwork, ...] = ()

    @property
    def best_run(self) -> int:
        """Index of the run with the lowest objective seen so far."""
        return int(np.argmin(self.best))


# --------------------------------------------------------------------------------------------
# Packing: one run is the row [w (m x 2, row-major), b (m), alpha (m), xi] of length 4m + 1.


def pack(network: PlaneNetwork) -> NDArray[np.float64]:
    """``[weights (row-major, 2m), biases (m), alphas (m), offset]`` as one vector."""
    return np.concatenate(
        [network.weights.ravel(), network.biases, network.alphas, [float(network.offset)]]
    )


def unpack(theta: NDArray[np.float64], width: int) -> PlaneNetwork:
    """Inverse of :func:`pack` (copies)."""
    m = width
    return PlaneNetwork(
        weights=theta[: 2 * m].reshape(m, 2).copy(),
        biases=theta[2 * m : 3 * m].copy(),
        alphas=theta[3 * m : 4 * m].copy(),
        offset=float(theta[-1]),
    )


def _views(theta: NDArray[np.float64], width: int) -> tuple[NDArray, ...]:
    """Views ``W (K, m, 2), b (K, m), alpha (K, m), xi (K,)`` into the rows of ``theta``."""
    m = width
    return (
        theta[:, : 2 * m].reshape(-1, m, 2),
        theta[:, 2 * m : 3 * m],
        theta[:, 3 * m : 4 * m],
        theta[:, -1],
    )


def _pre_activations(W: NDArray, b: NDArray, points: NDArray) -> NDArray[np.float64]:
    """``w_j . x_n + b_j`` of every run, point and neuron: shape (K, N, m).

    Written out coordinate by coordinate (no matrix product), so each entry is the same
    three roundings whatever the batch."""
    x1 = points[None, :, 0, None]
    x2 = points[None, :, 1, None]
    return x1 * W[:, None, :, 0] + x2 * W[:, None, :, 1] + b[:, None, :]


def _objective_and_grad_batch(
    theta: NDArray[np.float64],
    grad: NDArray[np.float64] | None,
    points: NDArray[np.float64],
    y: NDArray[np.float64],
    width: int,
    beta: float,
) -> NDArray[np.float64]:
    """``J`` of every row of ``theta`` (shape (K,)); writes ``dJ/dtheta`` into ``grad``.

    With ``z = w . x + b``, ``h = relu(z)`` and the residual ``r = f - y``:

    * ``dJ/dalpha_j = sum_n r_n h_nj + beta alpha_j``, ``dJ/dxi = sum_n r_n``;
    * ``dJ/dw_j = sum_n r_n alpha_j 1[z_nj > 0] x_n + beta w_j``,
      ``dJ/db_j = sum_n r_n alpha_j 1[z_nj > 0]``

    (slope 0 at ``z = 0``, a valid subgradient). Sums over neurons and points are reductions
    per row, so a run's numbers never depend on the other runs of the batch.
    """
    W, b, alpha, xi = _views(theta, width)
    z = _pre_activations(W, b, points)
    h = np.maximum(z, 0.0)
    r = np.sum(h * alpha[:, None, :], axis=2) + xi[:, None] - y  # (K, N)
    n_weights = 2 * width
    penalty = (0.5 * beta) * (
        np.sum(theta[:, :n_weights] ** 2, axis=1) + np.sum(alpha * alpha, axis=1)
    )
    value = 0.5 * np.sum(r * r, axis=1) + penalty
    if grad is None:
        return value
    gW, gb, g_alpha, g_xi = _views(grad, width)
    g_alpha[...] = np.sum(h * r[:, :, None], axis=1) + beta * alpha
    delta = (r[:, :, None] * alpha[:, None, :]) * (z > 0)  # dJ/dz: (K, N, m)
    gW[:, :, 0] = np.sum(delta * points[None, :, 0, None], axis=1)
    gW[:, :, 1] = np.sum(delta * points[None, :, 1, None], axis=1)
    gW += beta * W
    gb[...] = np.sum(delta, axis=1)
    g_xi[...] = np.sum(r, axis=1)
    return value


def forward(network: PlaneNetwork, points: object) -> NDArray[np.float64]:
    """``f(x)`` at ``points`` (shape (G, 2)), computed as the trainer computes it."""
    theta = pack(network)[None, :]
    return _forward_batch(theta, network.width, _as_points(points, "points"))[0]


def _forward_batch(theta: NDArray, width: int, points: NDArray) -> NDArray[np.float64]:
    """``f_k(x)`` for every row ``k`` of ``theta``: shape (K, len(points))."""
    W, b, alpha, xi = _views(theta, width)
    h = np.maximum(_pre_activations(W, b, points), 0.0)
    return np.sum(h * alpha[:, None, :], axis=2) + xi[:, None]


def objective_and_grad(
    network: PlaneNetwork, points: object, y: object, beta: float
) -> tuple[float, PlaneNetwork]:
    """Objective ``J`` of one network and its gradient (as a network of the same shape)."""
    x, t = _validate(points, y)
    theta = pack(network)[None, :]
    grad = np.empty_like(theta)
    value = _objective_and_grad_batch(theta, grad, x, t, network.width, float(beta))
    return float(value[0]), unpack(grad[0], network.width)


# --------------------------------------------------------------------------------------------
# Random starts and training.


def init_network(points: object, y: object, width: int, seed: int) -> PlaneNetwork:
    """Random start of one run, from the portable stream ``u = uniforms(seed, 6 m)``.

    With ``lo_d, hi_d`` the smallest and largest coordinate ``d`` of the points and
    ``span_d = max(hi_d - lo_d, 1e-3)``, neuron ``j`` takes

    ===========================  ======================================================
    draws                        parameter
    ===========================  ======================================================
    ``u[2j], u[2j + 1]``         direction ``v = 2 u - 1`` (``(1, 0)`` if ``|v| < 1e-3``)
    ``u[2m + j]``                ``|w_j| = 0.5 + u``, so ``w_j = |w_j| v / |v|``
    ``u[3m + 2j], u[3m + 2j+1]`` a point ``c_d = lo_d - 0.1 span_d + 1.2 span_d u`` of the
                                 data's box, and ``b_j = -w_j . c`` (the neuron's line
                                 passes through it: each neuron starts cutting the data)
    ``u[5m + j]``                ``alpha_j = u - 0.5``
    ===========================  ======================================================

    and ``xi = mean(y)``. Only ``+ - * / sqrt`` (each correctly rounded in IEEE 754) touch
    the draws, so the start is reproducible bit for bit in any language.
    """
    x, t = _validate(points, y)
    m = int(width)
    u = uniforms(seed, 6 * m)
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.maximum(hi - lo, 1e-3)
    v = 2.0 * u[: 2 * m].reshape(m, 2) - 1.0
    length = np.sqrt(v[:, 0] * v[:, 0] + v[:, 1] * v[:, 1])
    tiny = length < 1e-3
    v[tiny], length[tiny] = (1.0, 0.0), 1.0
    weights = ((0.5 + u[2 * m : 3 * m]) / length)[:, None] * v
    centres = (lo - 0.1 * span) + (1.2 * span) * u[3 * m : 5 * m].reshape(m, 2)
    biases = -(weights[:, 0] * centres[:, 0] + weights[:, 1] * centres[:, 1])
    alphas = u[5 * m :] - 0.5
    return PlaneNetwork(weights, biases, alphas, float(np.mean(t)))


def train_live(
    points: object,
    y: object,
    setup: PlaneTrainingSetup,
    *,
    chunk: int = DEFAULT_CHUNK,
    init: Sequence[PlaneNetwork] | None = None,
) -> Iterator[PlaneTrainingSnapshot]:
    """Train every seed of ``setup`` with Adam, yielding progress between chunks of steps.

    Yields a snapshot before the first step, after every ``chunk`` steps and after the last
    (``snapshot.done``); nothing runs between two ``next()`` calls, so a consumer stops by no
    longer iterating. Adam's settings and schedule: :func:`convexviz.training.adam_runs`.

    Parameters
    ----------
    points : array_like of shape (N, 2)
    y : array_like of shape (N,)
        Targets: values (regression) or ``+1 / -1`` (two classes).
    setup : PlaneTrainingSetup
    chunk : int
        Steps between snapshots, ``chunk >= 1``.
    init : sequence of PlaneNetwork, optional
        One start per seed, of width ``setup.width``, instead of the random ones.

    Raises
    ------
    ValueError
        Bad data, too much work (``MAX_WORK``), a bad ``chunk`` or ``init``.
    """
    x, t = _validate(points, y)
    if setup.work(len(x)) > MAX_WORK:
        raise ValueError(
            f"too much training for one call: seeds x width x steps x points "
            f"= {setup.work(len(x)):.3g} exceeds {MAX_WORK:.0e}; use fewer steps or neurons"
        )
    if isinstance(chunk, bool) or not isinstance(chunk, int | np.integer) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    theta = _starts(x, t, setup, init)
    return _adam(x, t, setup, int(chunk), theta)


def train(
    points: object,
    y: object,
    setup: PlaneTrainingSetup,
    *,
    init: Sequence[PlaneNetwork] | None = None,
) -> PlaneTrainingSnapshot:
    """Train every seed to the end and return the final snapshot (see :func:`train_live`)."""
    *_, last = train_live(points, y, setup, chunk=setup.steps, init=init)
    return last


def _adam(
    x: NDArray, y: NDArray, setup: PlaneTrainingSetup, chunk: int, theta: NDArray
) -> Iterator[PlaneTrainingSnapshot]:
    width, beta = setup.width, setup.beta

    def objective(rows: NDArray, grad: NDArray | None) -> NDArray:
        return _objective_and_grad_batch(rows, grad, x, y, width, beta)

    for progress in adam_runs(theta, objective, setup.steps, setup.lr, chunk):
        yield _snapshot(setup, progress)


def _snapshot(setup: PlaneTrainingSetup, progress: AdamProgress) -> PlaneTrainingSnapshot:
    step = progress.step
    return PlaneTrainingSnapshot(
        setup=setup,
        step=step,
        history=progress.history[:, :step].copy(),
        objective=progress.value.copy(),
        best=progress.best.copy(),
        networks=tuple(unpack(row, setup.width) for row in progress.theta),
        best_networks=tuple(unpack(row, setup.width) for row in progress.best_theta),
    )


def _starts(
    x: NDArray, y: NDArray, setup: PlaneTrainingSetup, init: Sequence[PlaneNetwork] | None
) -> NDArray[np.float64]:
    if init is None:
        return np.stack([pack(init_network(x, y, setup.width, s)) for s in setup.seeds])
    if len(init) != len(setup.seeds):
        raise ValueError(f"init needs one start per seed ({len(setup.seeds)}), got {len(init)}")
    if any(net.width != setup.width for net in init):
        raise ValueError(f"init must have width {setup.width}")
    theta = np.stack([pack(net) for net in init])
    if not np.all(np.isfinite(theta)):
        raise ValueError("init contains NaN or infinite values")
    return theta


def _as_points(points: object, name: str) -> NDArray[np.float64]:
    x = np.asarray(points, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
        raise ValueError(f"{name} must have shape (N, 2) with N >= 1")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite numbers")
    return x


def _validate(points: object, y: object) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = _as_points(points, "points")
    t = np.asarray(y, dtype=float)
    if t.shape != (len(x),):
        raise ValueError(f"y must have one value per point ({len(x)}), got shape {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError("y must be finite numbers")
    return x, t
