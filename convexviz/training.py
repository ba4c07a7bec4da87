"""Ordinary (non-convex) training of the *parallel* architecture, beside the certified optimum.

Overview
--------
The network is a sum of ``m`` independent narrow chains (THEORY.md §1, §4.1; never the
shared-trunk net of §4.6):

.. math::

    h_0 = x, \\quad h_l = \\sigma(w_l h_{l-1} + b_l)\\ (l = 1..P = L-1), \\quad
    f(x) = \\sum_{i=1}^m \\alpha_i h^{(i)}_{P}(x) + \\xi,

with the regularized objective

.. math::

    J(\\theta) = \\tfrac12 \\sum_n (f(x_n) - y_n)^2
    + \\frac{\\beta}{L} \\sum_{i} \\Big(\\sum_{l} |w^{(i)}_l|^L + |\\alpha_i|^L\\Big),

where the biases ``b`` and the output offset ``xi`` are free. For ``L = 2`` this is ordinary
weight decay on a two-layer net. By AM-GM every unit costs at least ``beta |z|`` for the
Lasso coefficient ``z`` it realizes, so **no network of this architecture, of any width, has
an objective below the Lasso optimum** (THEORY.md §1 "completeness"); with ``m`` at least the
optimum's number of neurons the two minima are equal. Gradient descent can therefore get
*down to* the certified value and never below it; with too few units, or from an unlucky
start, it stalls above it (the teaching point).

The trainer supports the (activation, depth) pairs whose Lasso the app certifies for this
architecture: :data:`TRAINABLE_DEPTHS`.

What to expect (measured, ReLU, beta = 0.01, 4 seeds, default steps): on the paper's 'opt'
data the best run ends within 0.2 % of the optimum; on noisy random data (N = 6 to 20) the
default width ``max(N + 1, 2 m*)`` often stalls 10-70 % above it, while twice that width
ends within about 0.5 %. Too few units stall far above it: on 'opt', one or two ReLU units
cannot make the three bends the data need. Conversely the Lasso's neuron count is not the
least width that reaches the optimum: at depth 3 a single chain can realize the capped ramp
``ramp(5, 8)`` that the discrete depth-3 dictionary spells with two columns (THEORY.md §4.3).

How it runs
-----------
``K`` runs (one per seed) are trained *together*: the parameters of all runs form one array
of shape ``(K, D)`` and every step is a handful of vectorized numpy operations, so four seeds
cost little more than one. Each run's arithmetic is elementwise in ``k``, so a run does not
depend on which other seeds share the batch, nor on how the steps are chunked.

* :func:`train` runs to the end and returns the final :class:`TrainingSnapshot`.
* :func:`train_live` yields a :class:`TrainingSnapshot` before the first step and after
  every ``chunk`` steps, for a panel that draws progress and can stop between chunks.

The Adam loop (:func:`adam_runs`), the snapshot's common part (:class:`AdamSnapshot`) and the
settings check (:func:`check_adam_settings`) know nothing of the network: the plane's trainer
(:mod:`convexviz.plane_training`) uses them too.

The random starts use :mod:`convexviz.portable_random` (Mulberry32 uniforms only), so the
initial networks of a seed are reproducible bit for bit in another language
(:func:`init_params` documents the draw order).

Example
-------
>>> setup = TrainingSetup("relu", 2, beta=0.1, width=4, steps=300, seeds=(0, 1))
>>> final = train([0, 1, 2], [0, 1, 0], setup)
>>> final.step, bool(final.best.max() < 1 / 3)  # the best constant, z = 0, costs 1/3
(300, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .dictionary import validate_inputs
from .limits import DEFAULT_LEAK, LEAK_RANGE
from .portable_random import MAX_SEED, uniforms

#: Depths the trainer supports per activation: those whose Lasso certifies the optimum of
#: the parallel architecture (leaky ReLU chains deeper than 2 have no Lasso here).
TRAINABLE_DEPTHS: dict[str, tuple[int, ...]] = {
    "relu": (2, 3, 4),
    "leaky_relu": (2,),
    "abs": (2, 3, 4),
}

#: Runs (seeds) trained together unless told otherwise.
DEFAULT_SEEDS = 4
#: Adam steps of a run unless told otherwise: on the paper's 'opt' data (ReLU, depth 2,
#: beta = 0.01) the best of the default seeds ends within 1 % of the optimum
#: (tests/test_training.py), in about a second.
DEFAULT_STEPS = 10_000
#: Adam's initial step size; a cosine schedule lowers it to ``lr / 100`` at the last step.
DEFAULT_LR = 0.05
#: Steps between two snapshots of :func:`train_live`.
DEFAULT_CHUNK = 100

#: Accepted ranges (inclusive) of the width, steps and number of seeds, and of ``lr``.
WIDTH_RANGE = (1, 200)
STEPS_RANGE = (1, 50_000)
SEEDS_RANGE = (1, 16)
LR_RANGE = (1e-6, 1.0)
#: Largest ``seeds * width * steps * n_points * (depth - 1)`` of one call. A step costs
#: about 0.1 ms plus 8-27 ns per unit of work on a 2-core machine (the largest arrays are
#: the slowest per unit), so every accepted call ends within about 30 s.
MAX_WORK = 1e9


@dataclass(frozen=True)
class ParallelParams:
    """Parameters of ``width`` parallel chains of ``P = L - 1`` scalar layers.

    Attributes
    ----------
    weights, biases : ndarray of shape (P, width)
        ``w_l`` and ``b_l`` of every unit, layer by layer.
    alpha : ndarray of shape (width,)
        Output weights.
    xi : float
        Output offset.
    """

    weights: NDArray[np.float64]
    biases: NDArray[np.float64]
    alpha: NDArray[np.float64]
    xi: float

    @property
    def depth(self) -> int:
        return int(self.weights.shape[0]) + 1

    @property
    def width(self) -> int:
        return int(self.alpha.shape[0])


@dataclass(frozen=True)
class TrainingSetup:
    """One batch of runs: the architecture, the penalty and Adam's settings.

    Parameters
    ----------
    activation : {"relu", "leaky_relu", "abs"}
    depth : int
        Number of weight layers ``L``; see :data:`TRAINABLE_DEPTHS`.
    beta : float
        Regularization strength ``beta > 0``; penalty ``(beta/L) sum |w|^L``.
    width : int
        Number of parallel units ``m`` (:data:`WIDTH_RANGE`).
    steps : int
        Adam steps per run, full batch (:data:`STEPS_RANGE`).
    lr : float
        Adam's initial step size (:data:`LR_RANGE`); cosine decay to ``lr / 100``.
    seeds : tuple of int
        One run per seed, each in ``[0, 2**32 - 1]``, distinct (:data:`SEEDS_RANGE` of them);
        e.g. ``tuple(range(s, s + K))`` for ``K`` runs from a student's seed ``s``.
    leak : float
        Negative slope of ``leaky_relu`` (ignored otherwise).

    Raises
    ------
    ValueError
        Any setting outside its range, with a one-line message.
    """

    activation: str = "relu"
    depth: int = 2
    beta: float = 0.1
    width: int = 20
    steps: int = DEFAULT_STEPS
    lr: float = DEFAULT_LR
    seeds: tuple[int, ...] = tuple(range(DEFAULT_SEEDS))
    leak: float = DEFAULT_LEAK

    def __post_init__(self) -> None:
        if self.activation not in TRAINABLE_DEPTHS:
            raise ValueError(
                f"training supports {', '.join(TRAINABLE_DEPTHS)}; got {self.activation!r}"
            )
        depths = TRAINABLE_DEPTHS[self.activation]
        if not (_is_int(self.depth) and self.depth in depths):
            listed = ", ".join(str(d) for d in depths)
            raise ValueError(
                f"training {self.activation} supports depth {listed}; got {self.depth!r}"
            )
        seeds = check_adam_settings(self.beta, self.width, self.steps, self.seeds, self.lr)
        low, high = LEAK_RANGE
        if not (np.isfinite(self.leak) and low <= self.leak <= high):
            raise ValueError(f"leak must be in [{low:g}, {high:g}], got {self.leak!r}")
        object.__setattr__(self, "seeds", seeds)
        object.__setattr__(self, "depth", int(self.depth))

    def work(self, n_points: int) -> float:
        """Cost measure ``seeds * width * steps * n_points * (depth - 1)`` (see MAX_WORK)."""
        return float(len(self.seeds)) * self.width * self.steps * n_points * (self.depth - 1)


def check_adam_settings(
    beta: float, width: object, steps: object, seeds: Sequence[object], lr: float
) -> tuple[int, ...]:
    """Check the settings every trainer shares; return the seeds as a tuple of ints.

    ``beta > 0``; ``width``, ``steps`` and the number of seeds in :data:`WIDTH_RANGE`,
    :data:`STEPS_RANGE`, :data:`SEEDS_RANGE`; seeds distinct in ``[0, 2**32 - 1]``; ``lr``
    in :data:`LR_RANGE`.

    Raises
    ------
    ValueError
        The first setting out of range, in one line.
    """
    if not (np.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a positive number, got {beta!r}")
    _check_int("width", width, WIDTH_RANGE)
    _check_int("steps", steps, STEPS_RANGE)
    seeds = tuple(seeds)
    _check_int("number of seeds", len(seeds), SEEDS_RANGE)
    if not all(_is_int(s) and 0 <= s <= MAX_SEED for s in seeds):
        raise ValueError(f"seeds must be integers in [0, {MAX_SEED}], got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds!r}")
    if not (np.isfinite(lr) and LR_RANGE[0] <= lr <= LR_RANGE[1]):
        raise ValueError(f"lr must be in [{LR_RANGE[0]:g}, {LR_RANGE[1]:g}], got {lr!r}")
    return tuple(int(s) for s in seeds)


@dataclass(frozen=True, eq=False)
class AdamSnapshot:
    """The state of ``K`` Adam runs after ``step`` steps, whatever network they train.

    Shared by every trainer of the app (the parallel chains here, the two-layer network on
    the plane in :mod:`convexviz.plane_training`), so that the panels read progress, losses
    and gaps the same way.

    Attributes
    ----------
    setup : object
        What is being trained: it has ``steps`` (the steps of every run) and ``seeds`` (run
        ``k`` belongs to seed ``setup.seeds[k]``).
    step : int
        Adam steps done so far, ``0 <= step <= setup.steps``.
    history : ndarray of shape (K, step)
        ``history[k, t]``: objective ``J`` of run ``k`` before its step ``t + 1``.
    objective : ndarray of shape (K,)
        ``J`` at the current parameters (after ``step`` steps). At the end this is each
        run's *final* objective.
    best : ndarray of shape (K,)
        Lowest ``J`` seen so far: ``min(history[k].min(), objective[k])``.
    """

    setup: object
    step: int
    history: NDArray[np.float64]
    objective: NDArray[np.float64]
    best: NDArray[np.float64]

    @property
    def done(self) -> bool:
        """Whether every step has been taken."""
        return self.step == self.setup.steps

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.setup.seeds

    def gap_percent(self, optimum: float, which: str = "objective") -> NDArray[np.float64]:
        """``100 (J_k - optimum) / optimum`` per run, for ``which`` = objective or best.

        A zero optimum (data a network fits exactly with no weights, e.g. one point) gives
        ``0`` for runs at it and ``inf`` for runs above it.
        """
        if which not in ("objective", "best"):
            raise ValueError(f"which must be 'objective' or 'best', got {which!r}")
        values = self.objective if which == "objective" else self.best
        if optimum > 0:
            return 100.0 * (values - optimum) / optimum
        return np.where(values > optimum, np.inf, 0.0)


@dataclass(frozen=True, eq=False)
class TrainingSnapshot(AdamSnapshot):
    """An :class:`AdamSnapshot` of the parallel chains, with their parameters.

    Attributes
    ----------
    setup : TrainingSetup
    params : tuple of ParallelParams
        Current parameters of every run.
    best_params : tuple of ParallelParams
        Parameters where ``best`` was reached.
    grid : ndarray of shape (G,) or None
        Where the current networks were evaluated.
    prediction : ndarray of shape (K, G) or None
        ``prediction[k] = f_k(grid)`` with the current parameters of run ``k``.
    """

    params: tuple[ParallelParams, ...] = ()
    best_params: tuple[ParallelParams, ...] = ()
    grid: NDArray[np.float64] | None = None
    prediction: NDArray[np.float64] | None = None

    def predict(self, x: NDArray[np.float64], run: int) -> NDArray[np.float64]:
        """Current network of run ``run`` (an index into ``seeds``) at ``x``."""
        return forward(self.params[run], x, self.setup.activation, self.setup.leak)


def default_width(n_points: int, n_neurons: int) -> int:
    """Default width ``max(N + 1, 2 m*)``, with ``m*`` the optimum's number of neurons.

    A Lasso minimizer with at most ``N - 1`` nonzeros exists (THEORY.md §1), so ``N + 1``
    units can represent an optimal network; ``2 m*`` gives Adam room to spare (on noisy data
    it may still stall; see the module's notes). Clipped to :data:`WIDTH_RANGE`.
    """
    return int(min(max(n_points + 1, 2 * n_neurons, WIDTH_RANGE[0]), WIDTH_RANGE[1]))


# --------------------------------------------------------------------------------------------
# The network and its gradient, for K runs at once (parameters packed as rows of ``theta``).


def _layout(depth: int, width: int) -> tuple[int, int]:
    """``(P, D)``: hidden layers and packed size ``D = 2 P m + m + 1`` of one run."""
    P = depth - 1
    return P, 2 * P * width + width + 1


def pack(params: ParallelParams) -> NDArray[np.float64]:
    """``[weights (P*m, layer-major), biases (P*m), alpha (m), xi]`` as one vector."""
    return np.concatenate(
        [params.weights.ravel(), params.biases.ravel(), params.alpha, [float(params.xi)]]
    )


def unpack(theta: NDArray[np.float64], depth: int, width: int) -> ParallelParams:
    """Inverse of :func:`pack` (copies)."""
    P, _ = _layout(depth, width)
    Pm = P * width
    return ParallelParams(
        weights=theta[:Pm].reshape(P, width).copy(),
        biases=theta[Pm : 2 * Pm].reshape(P, width).copy(),
        alpha=theta[2 * Pm : 2 * Pm + width].copy(),
        xi=float(theta[-1]),
    )


def _views(theta: NDArray[np.float64], depth: int, width: int) -> tuple[NDArray, ...]:
    """Views ``W (K, P, m), B (K, P, m), alpha (K, m), xi (K,)`` into packed ``theta``."""
    K = theta.shape[0]
    P, _ = _layout(depth, width)
    Pm = P * width
    return (
        theta[:, :Pm].reshape(K, P, width),
        theta[:, Pm : 2 * Pm].reshape(K, P, width),
        theta[:, 2 * Pm : 2 * Pm + width],
        theta[:, -1],
    )


def _act(u: NDArray, activation: str, leak: float) -> tuple[NDArray, NDArray]:
    """Activation values and (sub)derivatives at ``u``; at ``u = 0`` the slope used is 0
    (ReLU), 1 (leaky ReLU) or 0 (abs), each a valid subgradient."""
    if activation == "relu":
        return np.maximum(u, 0.0), (u > 0).astype(float)
    if activation == "leaky_relu":
        return np.where(u >= 0, u, leak * u), np.where(u >= 0, 1.0, leak)
    return np.abs(u), np.sign(u)


def _hidden(
    W: NDArray, B: NDArray, x: NDArray, activation: str, leak: float
) -> tuple[list[NDArray], list[NDArray]]:
    """Layer outputs ``h_0..h_P`` (``h_0`` of shape (1, N, 1), others (K, N, m)) and slopes."""
    hs = [x[None, :, None]]
    slopes = []
    for layer in range(W.shape[1]):
        h, d = _act(hs[-1] * W[:, None, layer, :] + B[:, None, layer, :], activation, leak)
        hs.append(h)
        slopes.append(d)
    return hs, slopes


def _objective_and_grad_batch(
    theta: NDArray[np.float64],
    grad: NDArray[np.float64] | None,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    depth: int,
    width: int,
    activation: str,
    beta: float,
    leak: float,
) -> NDArray[np.float64]:
    """``J`` of every row of ``theta`` (shape (K,)); writes ``dJ/dtheta`` into ``grad``.

    Backpropagation by hand; at a kink of the activation a subgradient is used (see
    ``_act``). The penalty's gradient is ``beta |w|^(L-1) sign(w)``. Sums over units are
    written as elementwise products reduced per run (not batched matmul), so a run's
    numbers never depend on the other runs of the batch.
    """
    L = depth
    W, B, alpha, xi = _views(theta, depth, width)
    hs, slopes = _hidden(W, B, x, activation, leak)
    r = np.sum(hs[-1] * alpha[:, None, :], axis=2) + xi[:, None] - y  # (K, N)
    n_penalized = W.shape[1] * width
    abs_w = np.abs(theta[:, :n_penalized])
    abs_a = np.abs(alpha)
    penalty = (beta / L) * (np.sum(abs_w**L, axis=1) + np.sum(abs_a**L, axis=1))
    value = 0.5 * np.sum(r * r, axis=1) + penalty
    if grad is None:
        return value
    gW, gB, g_alpha, g_xi = _views(grad, depth, width)
    g_alpha[...] = np.sum(hs[-1] * r[:, :, None], axis=1)
    g_alpha += beta * abs_a ** (L - 1) * np.sign(alpha)
    delta = r[:, :, None] * alpha[:, None, :]  # dJ / dh_P: (K, N, m)
    for layer in range(W.shape[1] - 1, -1, -1):
        delta = delta * slopes[layer]  # dJ / d(pre-activation of this layer)
        gW[:, layer, :] = np.sum(delta * hs[layer], axis=1)
        gB[:, layer, :] = np.sum(delta, axis=1)
        if layer:
            delta = delta * W[:, None, layer, :]
    gW += beta * abs_w.reshape(gW.shape) ** (L - 1) * np.sign(W)
    g_xi[...] = np.sum(r, axis=1)
    return value


def forward(
    params: ParallelParams, x: NDArray[np.float64], activation: str, leak: float = DEFAULT_LEAK
) -> NDArray[np.float64]:
    """Network output ``f(x)`` (``x`` one-dimensional)."""
    theta = pack(params)[None, :]
    return _forward_batch(theta, params.depth, params.width, x, activation, leak)[0]


def _forward_batch(
    theta: NDArray, depth: int, width: int, x: NDArray, activation: str, leak: float
) -> NDArray[np.float64]:
    """``f_k(x)`` for every row ``k`` of ``theta``: shape (K, len(x))."""
    W, B, alpha, xi = _views(theta, depth, width)
    hs, _ = _hidden(W, B, np.asarray(x, dtype=float), activation, leak)
    return np.sum(hs[-1] * alpha[:, None, :], axis=2) + xi[:, None]


def objective_and_grad(
    params: ParallelParams,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    activation: str,
    beta: float,
    leak: float = DEFAULT_LEAK,
) -> tuple[float, ParallelParams]:
    """Regularized objective ``J`` and its gradient (same shapes as ``params``)."""
    theta = pack(params)[None, :]
    grad = np.empty_like(theta)
    value = _objective_and_grad_batch(
        theta,
        grad,
        np.asarray(x, dtype=float),
        np.asarray(y, dtype=float),
        params.depth,
        params.width,
        activation,
        beta,
        leak,
    )
    return float(value[0]), unpack(grad[0], params.depth, params.width)


# --------------------------------------------------------------------------------------------
# Random starts and Adam.


def init_params(
    x: NDArray[np.float64], y: NDArray[np.float64], depth: int, width: int, seed: int
) -> ParallelParams:
    """Random start of one run, from the portable stream ``u = uniforms(seed, 3 P m + m)``.

    With ``P = depth - 1``, ``lo, hi`` the smallest and largest input, ``span =
    max(hi - lo, 1e-3)`` and arrays filled layer by layer (row-major ``(P, m)``):

    ========================  ==================================================
    draws                     parameter
    ========================  ==================================================
    ``u[0 : Pm]``             sign of ``w``: ``+1`` if ``u < 0.5`` else ``-1``
    ``u[Pm : 2Pm]``           ``|w| = 0.5 + u``
    ``u[2Pm : 2Pm + m]``      first-layer break ``t = lo - 0.1 span + 1.2 span u``;
                              ``b_1 = -w_1 t`` (each unit starts kinked over the data)
    next ``(P - 1) m``        ``b_l = 0.5 span u`` for ``l >= 2`` (nonnegative, so few
                              ReLU units start dead)
    last ``m``                ``alpha = u - 0.5``
    ========================  ==================================================

    and ``xi = mean(y)``. Only ``+ - * /`` touch the draws, so the start is reproducible bit
    for bit in any IEEE-754 language.
    """
    P, _ = _layout(depth, width)
    Pm = P * width
    u = uniforms(seed, 3 * Pm + width)
    lo, hi = float(np.min(x)), float(np.max(x))
    span = max(hi - lo, 1e-3)
    sign = np.where(u[:Pm] < 0.5, 1.0, -1.0).reshape(P, width)
    weights = sign * (0.5 + u[Pm : 2 * Pm].reshape(P, width))
    breaks = (lo - 0.1 * span) + (1.2 * span) * u[2 * Pm : 2 * Pm + width]
    biases = np.empty((P, width))
    biases[0] = -weights[0] * breaks
    biases[1:] = (0.5 * span) * u[2 * Pm + width : 3 * Pm].reshape(P - 1, width)
    alpha = u[3 * Pm :] - 0.5
    return ParallelParams(weights, biases, alpha, float(np.mean(y)))


def train_live(
    x: object,
    y: object,
    setup: TrainingSetup,
    *,
    chunk: int = DEFAULT_CHUNK,
    grid: object | None = None,
    init: Sequence[ParallelParams] | None = None,
) -> Iterator[TrainingSnapshot]:
    """Train every seed of ``setup`` with Adam, yielding progress between chunks of steps.

    Yields a snapshot before the first step (``step = 0``), after every ``chunk`` steps, and
    after the last step (``snapshot.done``). Nothing runs between two ``next()`` calls, so a
    consumer stops the training by simply no longer iterating (or ``close()``); a background
    thread checks its stop flag after each snapshot::

        for snapshot in train_live(x, y, setup, grid=grid):
            latest = snapshot  # the panel polls this
            if stop.is_set():
                break

    The result does not depend on ``chunk`` nor on which other seeds share the batch.

    Adam (``beta_1 = 0.9``, ``beta_2 = 0.999``, ``eps = 1e-12``, bias-corrected, full batch)
    with step size ``lr (0.01 + 0.99 (1 + cos(pi t / T)) / 2)`` at step ``t = 0..T-1``.

    Parameters
    ----------
    x, y : array_like of shape (n_samples,)
        Training data (validated like :func:`convexviz.fit`).
    setup : TrainingSetup
    chunk : int
        Steps between snapshots, ``chunk >= 1``.
    grid : array_like of shape (G,), optional
        Inputs at which every snapshot evaluates the current networks.
    init : sequence of ParallelParams, optional
        One start per seed (of width ``setup.width`` and depth ``setup.depth``) instead of
        the random ones.

    Raises
    ------
    ValueError
        Bad data, too much work (:data:`MAX_WORK`), a bad ``chunk``, ``grid`` or ``init``.
    """
    x_arr, y_arr = validate_inputs(x, y)
    if setup.work(x_arr.size) > MAX_WORK:
        raise ValueError(
            f"too much training for one call: seeds x width x steps x points x (depth - 1) "
            f"= {setup.work(x_arr.size):.3g} exceeds {MAX_WORK:.0e}; use fewer steps or units"
        )
    if not (_is_int(chunk) and chunk >= 1):
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    grid_arr = None if grid is None else np.asarray(grid, dtype=float)
    if grid_arr is not None and (grid_arr.ndim != 1 or not np.all(np.isfinite(grid_arr))):
        raise ValueError("grid must be a one-dimensional array of finite numbers")
    starts = _starts(x_arr, y_arr, setup, init)
    return _adam(x_arr, y_arr, setup, int(chunk), grid_arr, starts)


def train(
    x: object,
    y: object,
    setup: TrainingSetup,
    *,
    grid: object | None = None,
    init: Sequence[ParallelParams] | None = None,
) -> TrainingSnapshot:
    """Train every seed to the end and return the final snapshot (see :func:`train_live`)."""
    *_, last = train_live(x, y, setup, chunk=setup.steps, grid=grid, init=init)
    return last


def _starts(
    x: NDArray, y: NDArray, setup: TrainingSetup, init: Sequence[ParallelParams] | None
) -> NDArray[np.float64]:
    if init is None:
        return np.stack(
            [pack(init_params(x, y, setup.depth, setup.width, s)) for s in setup.seeds]
        )
    if len(init) != len(setup.seeds):
        raise ValueError(f"init needs one start per seed ({len(setup.seeds)}), got {len(init)}")
    for p in init:
        if p.depth != setup.depth or p.width != setup.width:
            raise ValueError(
                f"init must have depth {setup.depth} and width {setup.width}, "
                f"got depth {p.depth} and width {p.width}"
            )
    theta = np.stack([pack(p) for p in init])
    if not np.all(np.isfinite(theta)):
        raise ValueError("init contains NaN or infinite values")
    return theta


@dataclass(frozen=True, eq=False)
class AdamProgress:
    """What :func:`adam_runs` yields between chunks: *live views*, valid until the next step.

    ``history[:, :step]`` (shape (K, steps) in all), ``value`` (``J`` at ``theta``), ``best``
    and ``best_theta`` (the lowest ``J`` seen per run and where), ``theta`` (current rows).
    Copy what you keep (a snapshot does).
    """

    step: int
    history: NDArray[np.float64]
    value: NDArray[np.float64]
    best: NDArray[np.float64]
    theta: NDArray[np.float64]
    best_theta: NDArray[np.float64]


#: ``objective(theta, grad)``: ``J`` of every row of ``theta`` (shape (K,)); when ``grad``
#: is an array, ``dJ/dtheta`` is written into it. Each row's numbers must not depend on the
#: other rows (so a run does not depend on which seeds share its batch).
BatchObjective = Callable[[NDArray[np.float64], NDArray[np.float64] | None], NDArray[np.float64]]


def adam_runs(
    theta: NDArray[np.float64], objective: BatchObjective, steps: int, lr: float, chunk: int
) -> Iterator[AdamProgress]:
    """Adam on every row of ``theta`` (updated in place), yielding progress between chunks.

    Yields before the first step (``step = 0``), after every ``chunk`` steps and after the
    last one (``step = steps``). Adam (``beta_1 = 0.9``, ``beta_2 = 0.999``,
    ``eps = 1e-12``, bias-corrected, full batch) with step size
    ``lr (0.01 + 0.99 (1 + cos(pi t / T)) / 2)`` at step ``t = 0..T-1``. Every operation is
    elementwise in the row, so the result does not depend on ``chunk`` nor on the other rows.
    """
    grad = np.empty_like(theta)
    m1 = np.zeros_like(theta)
    m2 = np.zeros_like(theta)
    b1, b2, eps = 0.9, 0.999, 1e-12
    b1_t, b2_t = 1.0, 1.0  # b1**t and b2**t, kept as running products
    history = np.empty((theta.shape[0], steps))
    best = np.full(theta.shape[0], np.inf)
    best_theta = theta.copy()
    step = 0
    while True:
        if step == steps or step % chunk == 0:
            value = objective(theta, None)
            improved = value < best
            best = np.where(improved, value, best)
            best_theta[improved] = theta[improved]
            yield AdamProgress(step, history, value, best, theta, best_theta)
            if step == steps:
                return
        value = objective(theta, grad)
        history[:, step] = value
        improved = value < best
        best = np.where(improved, value, best)
        best_theta[improved] = theta[improved]
        rate = lr * (0.01 + 0.99 * 0.5 * (1.0 + np.cos(np.pi * step / steps)))
        step += 1
        b1_t *= b1
        b2_t *= b2
        m1 *= b1
        m1 += (1.0 - b1) * grad
        m2 *= b2
        m2 += (1.0 - b2) * grad * grad
        theta -= (rate / (1.0 - b1_t)) * m1 / (np.sqrt(m2 / (1.0 - b2_t)) + eps)


def _adam(
    x: NDArray,
    y: NDArray,
    setup: TrainingSetup,
    chunk: int,
    grid: NDArray | None,
    theta: NDArray[np.float64],
) -> Iterator[TrainingSnapshot]:
    args = (x, y, setup.depth, setup.width, setup.activation, setup.beta, setup.leak)

    def objective(rows: NDArray, grad: NDArray | None) -> NDArray:
        return _objective_and_grad_batch(rows, grad, *args)

    for progress in adam_runs(theta, objective, setup.steps, setup.lr, chunk):
        yield _snapshot(setup, progress, grid)


def _snapshot(
    setup: TrainingSetup, progress: AdamProgress, grid: NDArray | None
) -> TrainingSnapshot:
    depth, width, step = setup.depth, setup.width, progress.step
    prediction = None
    if grid is not None:
        prediction = _forward_batch(
            progress.theta, depth, width, grid, setup.activation, setup.leak
        )
    return TrainingSnapshot(
        setup=setup,
        step=step,
        history=progress.history[:, :step].copy(),
        objective=progress.value.copy(),
        best=progress.best.copy(),
        params=tuple(unpack(row, depth, width) for row in progress.theta),
        best_params=tuple(unpack(row, depth, width) for row in progress.best_theta),
        grid=None if grid is None else grid.copy(),
        prediction=prediction,
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_int(name: str, value: object, bounds: tuple[int, int]) -> None:
    if not (_is_int(value) and bounds[0] <= value <= bounds[1]):
        raise ValueError(f"{name} must be an integer in [{bounds[0]}, {bounds[1]}], got {value!r}")
