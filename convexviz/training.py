"""Ordinary (non-convex) training of the *parallel* architecture, for comparison.

Overview
--------
The network is a sum of ``m`` independent narrow chains (THEORY.md §1, §4.1, §4.6):

.. math::

    h_0 = x, \\quad h_l = \\sigma(w_l h_{l-1} + b_l)\\ (l = 1..L-1), \\quad
    f(x) = \\sum_{i=1}^m \\alpha_i h^{(i)}_{L-1}(x) + \\xi,

with the regularized objective

.. math::

    \\tfrac12 \\sum_n (f(x_n) - y_n)^2
    + \\frac{\\beta}{L} \\sum_{i} \\Big(\\sum_{l} |w^{(i)}_l|^L + |\\alpha_i|^L\\Big),

where the biases ``b`` and the output offset ``xi`` are free. For ``L = 2`` this is ordinary
weight decay on a two-layer net. Its global minimum equals the Lasso optimum of the same
architecture (``m`` large enough), so gradient descent can only get *down to* the Lasso
value, never below it. Plain numpy: hand-written gradients, vectorized over units, and Adam.

This is the *parallel* architecture only. The reference notebook's shared-trunk net is a
different problem whose optimum can lie below the Lasso value (THEORY.md §4.6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .dictionary import validate_inputs
from .limits import DEFAULT_LEAK

#: Activations (and depths) the trainer supports.
TRAINABLE = ("relu", "leaky_relu", "abs")
MAX_TRAIN_DEPTH = 4


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


@dataclass(frozen=True)
class TrainingResult:
    """Outcome of :func:`train_parallel`.

    Attributes
    ----------
    objective : float
        Regularized objective of the best parameters seen (exact, recomputed at the end).
    params : ParallelParams
        Those parameters.
    history : ndarray of shape (steps,)
        Objective before every Adam step.
    activation, depth, beta, leak
        The problem that was trained.
    """

    objective: float
    params: ParallelParams
    history: NDArray[np.float64]
    activation: str
    depth: int
    beta: float
    leak: float = DEFAULT_LEAK

    def predict(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """The trained network ``f`` at ``x``."""
        return forward(self.params, np.asarray(x, dtype=float), self.activation, self.leak)


def _act(u: NDArray, activation: str, leak: float) -> tuple[NDArray, NDArray]:
    """Activation values and (sub)derivatives at ``u``."""
    if activation == "relu":
        return np.maximum(u, 0.0), (u > 0).astype(float)
    if activation == "leaky_relu":
        return np.where(u >= 0, u, leak * u), np.where(u >= 0, 1.0, leak)
    return np.abs(u), np.sign(u)


def forward(
    params: ParallelParams, x: NDArray[np.float64], activation: str, leak: float = DEFAULT_LEAK
) -> NDArray[np.float64]:
    """Network output ``f(x)`` (``x`` one-dimensional)."""
    h = np.asarray(x, dtype=float)[:, None]
    for w, b in zip(params.weights, params.biases, strict=True):
        h, _ = _act(h * w + b, activation, leak)
    return h @ params.alpha + params.xi


def objective_and_grad(
    params: ParallelParams,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    activation: str,
    beta: float,
    leak: float = DEFAULT_LEAK,
) -> tuple[float, ParallelParams]:
    """Regularized objective and its gradient (same shapes as ``params``).

    Backpropagation through the chains by hand; at the kinks of the activation the
    derivative of the active side is used (a subgradient).
    """
    L = params.depth
    hs = [np.asarray(x, dtype=float)[:, None]]  # h_0 broadcast over units: (N, 1)
    slopes = []
    for w, b in zip(params.weights, params.biases, strict=True):
        h, d = _act(hs[-1] * w + b, activation, leak)
        hs.append(h)
        slopes.append(d)
    r = hs[-1] @ params.alpha + params.xi - y  # residual (N,)
    weights_abs = np.abs(params.weights)
    alpha_abs = np.abs(params.alpha)
    penalty = beta / L * (float(np.sum(weights_abs**L)) + float(np.sum(alpha_abs**L)))
    value = 0.5 * float(r @ r) + penalty
    # d/d(penalty) of (beta/L)|w|^L is beta |w|^(L-1) sign(w).
    g_alpha = hs[-1].T @ r + beta * alpha_abs ** (L - 1) * np.sign(params.alpha)
    g_w = np.empty_like(params.weights)
    g_b = np.empty_like(params.biases)
    delta = np.outer(r, params.alpha)  # d objective / d h_{P}: (N, m)
    for layer in range(L - 2, -1, -1):
        delta = delta * slopes[layer]  # d objective / d (pre-activation of this layer)
        g_w[layer] = np.sum(delta * hs[layer], axis=0)
        g_b[layer] = np.sum(delta, axis=0)
        delta = delta * params.weights[layer]
    g_w += beta * weights_abs ** (L - 1) * np.sign(params.weights)
    grad = ParallelParams(g_w, g_b, g_alpha, float(np.sum(r)))
    return value, grad


def init_params(
    x: NDArray[np.float64], depth: int, width: int, rng: np.random.Generator, scale: float = 1.0
) -> ParallelParams:
    """Random start: weights of size about ``scale``, first-layer breaks over the data range.

    Biases of later layers are drawn nonnegative so that few units start dead (a ReLU unit
    that is zero on every data point gets no gradient and never recovers).
    """
    P = depth - 1
    weights = scale * rng.choice([-1.0, 1.0], size=(P, width)) * rng.uniform(0.5, 1.5, (P, width))
    lo, hi = float(np.min(x)), float(np.max(x))
    span = max(hi - lo, 1e-3)
    breaks = rng.uniform(lo - 0.1 * span, hi + 0.1 * span, size=width)
    biases = np.empty((P, width))
    biases[0] = -weights[0] * breaks
    if P > 1:
        biases[1:] = rng.uniform(0.0, 0.5 * span, size=(P - 1, width))
    alpha = scale * rng.normal(0.0, 0.5, size=width)
    return ParallelParams(weights, biases, alpha, 0.0)


def train_parallel(
    x: object,
    y: object,
    activation: str = "relu",
    depth: int = 2,
    beta: float = 0.1,
    width: int = 20,
    steps: int = 2000,
    seed: int = 0,
    lr: float = 0.05,
    leak: float = DEFAULT_LEAK,
    init: ParallelParams | None = None,
) -> TrainingResult:
    """Train ``width`` parallel chains with Adam on the regularized objective.

    Parameters
    ----------
    x, y : array_like of shape (n_samples,)
        Training data (validated like :func:`convexviz.fit`).
    activation : {"relu", "leaky_relu", "abs"}
    depth : int
        Number of weight layers ``L``, ``2 <= L <= 4``.
    beta : float
        Regularization strength ``beta > 0``; penalty ``(beta/L) sum |w|^L``.
    width : int
        Number of parallel units ``m``.
    steps : int
        Number of Adam steps (full batch).
    seed : int
        Seed of the random initialization.
    lr : float
        Adam step size; it decays with a cosine schedule to ``lr / 100``.
    leak : float
        Negative slope of ``leaky_relu``.
    init : ParallelParams, optional
        Start from these parameters instead of a random initialization.

    Returns
    -------
    TrainingResult
        Best objective seen (recomputed exactly), its parameters and the history.

    Raises
    ------
    ValueError
        Bad data, an unsupported activation or depth, or non-positive ``beta``, ``width``,
        ``steps`` or ``lr``.

    Examples
    --------
    >>> r = train_parallel([0, 1, 2], [0, 1, 0], "relu", 2, beta=0.1, steps=300, seed=0)
    >>> bool(r.objective < 1 / 3)  # the best constant, z = 0, costs 1/3
    True
    """
    x_arr, y_arr = validate_inputs(x, y)
    if activation not in TRAINABLE:
        raise ValueError(f"training supports {', '.join(TRAINABLE)}; got {activation!r}")
    if not (isinstance(depth, int) and 2 <= depth <= MAX_TRAIN_DEPTH):
        raise ValueError(f"training supports depth 2 to {MAX_TRAIN_DEPTH}, got {depth!r}")
    if not (np.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a positive number, got {beta!r}")
    if width < 1 or steps < 1 or not lr > 0:
        raise ValueError("width, steps and lr must be positive")
    rng = np.random.default_rng(seed)
    params = init if init is not None else init_params(x_arr, depth, width, rng)
    if init is None:
        params = ParallelParams(params.weights, params.biases, params.alpha, float(y_arr.mean()))
    names = ("weights", "biases", "alpha", "xi")
    theta = {k: np.array(getattr(params, k), dtype=float) for k in names}
    m = {k: np.zeros_like(v) for k, v in theta.items()}
    v = {k: np.zeros_like(v) for k, v in theta.items()}
    b1, b2, eps = 0.9, 0.999, 1e-12
    history = np.empty(steps)
    best_value, best = np.inf, params
    for t in range(1, steps + 1):
        current = ParallelParams(**{k: theta[k] for k in names[:3]}, xi=float(theta["xi"]))
        value, grad = objective_and_grad(current, x_arr, y_arr, activation, beta, leak)
        history[t - 1] = value
        if value < best_value:
            best_value = value
            best = ParallelParams(*(np.copy(theta[k]) for k in names[:3]), float(theta["xi"]))
        step = lr * (0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * (t - 1) / steps)))
        for k in names:
            g = np.asarray(getattr(grad, k), dtype=float)
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            m_hat = m[k] / (1 - b1**t)
            v_hat = v[k] / (1 - b2**t)
            theta[k] = theta[k] - step * m_hat / (np.sqrt(v_hat) + eps)
    final = ParallelParams(*(theta[k] for k in names[:3]), float(theta["xi"]))
    final_value, _ = objective_and_grad(final, x_arr, y_arr, activation, beta, leak)
    if final_value < best_value:
        best_value, best = final_value, final
    exact, _ = objective_and_grad(best, x_arr, y_arr, activation, beta, leak)
    return TrainingResult(
        objective=exact,
        params=best,
        history=history,
        activation=activation,
        depth=depth,
        beta=float(beta),
        leak=leak,
    )
