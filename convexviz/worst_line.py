"""The certificate in the plane: the worst line ``M(r)`` and the duality gap (THEORY_2D §4).

For a residual ``r`` with ``sum r = 0``,

    M(r) = max over unit w in R^2 and any b of | sum_n r_n relu(w . x_n + b) |.

``lambda = min(1, beta / M) r`` is then feasible for the dual of the training problem of a
two-layer ReLU network of *any width*, so

    gap = primal - (lambda . y - 1/2 ||lambda||^2) >= primal - optimum >= 0

bounds how far any candidate network is from the global optimum.

Exact computation. For fixed ``w`` the sum is piecewise linear in ``b`` with kinks where the
line passes a training point and constant beyond the last kink (``sum r = 0``), so the best
line passes through some point ``x_k``. With ``d_n = x_n - x_k`` and ``w = (cos t, sin t)``
the sum is ``A cos t + B sin t`` on each arc of angles where the set ``{n : d_n . w > 0}``
does not change; its extreme on an arc is at ``atan2(B, A)`` (or the opposite angle) when
that lies inside, else at an end. Sorting the ``2N`` angles where some ``d_n . w`` changes
sign and accumulating ``(A, B)`` along them is an angular sweep, ``O(N^2 log N)`` for all
``k`` (vectorized over ``k``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .patterns2d import augmented


@dataclass(frozen=True)
class WorstLine:
    """The line ``w . x + b = 0`` (``|w| = 1``) where ``|sum_n r_n relu(w . x_n + b)|`` is largest.

    ``value`` is the signed sum there (``M(r) = |value|``): a new neuron on this line would enter
    with the sign of ``value``. ``through`` is the index of a training point on the line.
    """

    w: tuple[float, float]
    b: float
    value: float
    through: int

    @property
    def magnitude(self) -> float:
        """``M(r) = |value|``."""
        return abs(self.value)


@dataclass(frozen=True)
class Certificate:
    """Weak duality for a candidate network of any width.

    ``primal`` is the candidate's objective, ``dual`` the value of the feasible dual point
    ``lambda = min(1, beta / M) (r - mean r)``, ``duality_gap = primal - dual`` (``>= 0`` up to
    rounding): no network of any width has an objective below ``dual``.
    """

    primal: float
    dual: float
    worst_line: WorstLine

    @property
    def duality_gap(self) -> float:
        return self.primal - self.dual


@dataclass(frozen=True)
class _Arcs:
    """Per point ``k`` and arc: the best angle, the signed sum there, its magnitude."""

    angle: NDArray[np.float64]  # (N, 2N + 1)
    value: NDArray[np.float64]  # (N, 2N + 1)


def _wrap(angle: NDArray) -> NDArray:
    """Angles in ``(-pi, pi]``."""
    return np.pi - np.mod(np.pi - angle, 2 * np.pi)


def _in_arc(phi: NDArray, lo: NDArray, hi: NDArray) -> NDArray:
    phi = _wrap(phi)
    return (phi >= lo) & (phi <= hi)


def _sweep(points: NDArray, r: NDArray) -> _Arcs:
    x = np.asarray(points, dtype=float)
    n = len(x)
    d = x[None, :, :] - x[:, None, :]  # (k, n, 2): x_n - x_k
    weighted = r[None, :, None] * d  # r_n d_n
    theta = np.arctan2(d[..., 1], d[..., 0])
    events = np.concatenate([_wrap(theta - np.pi / 2), _wrap(theta + np.pi / 2)], axis=1)
    deltas = np.concatenate([weighted, -weighted], axis=1)  # enter, leave
    order = np.argsort(events, axis=1, kind="stable")
    events = np.take_along_axis(events, order, axis=1)
    deltas = np.take_along_axis(deltas, order[..., None], axis=1)
    mid = 0.5 * (-np.pi + events[:, 0])
    w_mid = np.stack([np.cos(mid), np.sin(mid)], axis=1)  # (k, 2)
    active0 = np.einsum("knd,kd->kn", d, w_mid) > 0
    start = np.einsum("kn,knd->kd", active0.astype(float), weighted)
    state = np.concatenate([start[:, None, :], start[:, None, :] + np.cumsum(deltas, axis=1)], 1)
    lo = np.concatenate([np.full((n, 1), -np.pi), events], axis=1)
    hi = np.concatenate([events, np.full((n, 1), np.pi)], axis=1)
    a, b = state[..., 0], state[..., 1]
    s_lo = a * np.cos(lo) + b * np.sin(lo)
    s_hi = a * np.cos(hi) + b * np.sin(hi)
    best_angle = np.where(np.abs(s_lo) >= np.abs(s_hi), lo, hi)
    best_value = np.where(np.abs(s_lo) >= np.abs(s_hi), s_lo, s_hi)
    norm = np.hypot(a, b)
    phi = np.arctan2(b, a)
    for candidate, value in ((phi, norm), (phi + np.pi, -norm)):
        inside = _in_arc(candidate, lo, hi) & (norm > np.abs(best_value))
        best_angle = np.where(inside, _wrap(candidate), best_angle)
        best_value = np.where(inside, value, best_value)
    return _Arcs(best_angle, best_value)


def _line(points: NDArray, k: int, angle: float, value: float) -> WorstLine:
    w = (float(np.cos(angle)), float(np.sin(angle)))
    b = -float(w[0] * points[k, 0] + w[1] * points[k, 1])
    return WorstLine(w, b, float(value), int(k))


def worst_line(points: NDArray, residual: NDArray) -> WorstLine:
    """The exact maximizer of ``|sum_n r_n relu(w . x_n + b)|`` over unit ``w`` and any ``b``.

    Parameters
    ----------
    points : array of shape (N, 2)
    residual : array of shape (N,)
        Must sum to zero (centre it first); otherwise lines far from the data matter too.
    """
    x = np.asarray(points, dtype=float)
    r = np.asarray(residual, dtype=float)
    arcs = _sweep(x, r)
    k, i = np.unravel_index(int(np.argmax(np.abs(arcs.value))), arcs.value.shape)
    return _line(x, int(k), float(arcs.angle[k, i]), float(arcs.value[k, i]))


def best_lines(points: NDArray, residual: NDArray, count: int) -> list[WorstLine]:
    """The ``count`` lines best for ``|sum r relu|`` among the arcs' maxima (worst line first).

    Column generation adds their patterns: the worst line and its runners-up.
    """
    x = np.asarray(points, dtype=float)
    arcs = _sweep(x, np.asarray(residual, dtype=float))
    flat = np.abs(arcs.value).ravel()
    top = np.argsort(-flat, kind="stable")[: max(1, count)]
    n_arcs = arcs.value.shape[1]
    return [
        _line(x, int(t // n_arcs), float(arcs.angle.flat[t]), float(arcs.value.flat[t]))
        for t in top
    ]


def lines_at_least(points: NDArray, residual: NDArray, threshold: float) -> NDArray[np.float64]:
    """Every arc maximum with ``|sum r relu| >= threshold`` as rows ``(w1, w2, b, value)``.

    With ``threshold = beta (1 - tol)`` at the optimal residual these are the candidate lines of
    optimal neurons (each through a training point).
    """
    x = np.asarray(points, dtype=float)
    arcs = _sweep(x, np.asarray(residual, dtype=float))
    k, _ = np.nonzero(np.abs(arcs.value) >= threshold)
    chosen = np.abs(arcs.value) >= threshold
    angle, value = arcs.angle[chosen], arcs.value[chosen]
    w = np.column_stack([np.cos(angle), np.sin(angle)])
    b = -np.einsum("ld,ld->l", w, x[k])
    return np.column_stack([w, b, value])


def line_patterns(points: NDArray, line: WorstLine) -> tuple[NDArray[np.bool_], NDArray]:
    """The two patterns of a line and a line strictly inside each pattern's cone.

    Returns ``patterns`` (shape ``(2, N)``): the points strictly on the positive side, and those
    plus the points on the line (equal when no point is on it); and ``interiors`` (shape
    ``(2, 3)``): ``u = (w, b -+ eps)`` with ``1[Xt u > 0]`` equal to the pattern and no point on
    the line ``u``, so that ``(2 D - I) Xt u > 0`` strictly.
    """
    xt = augmented(points)
    u0 = np.array([line.w[0], line.w[1], line.b])
    s = xt @ u0
    tol = 1e-9 * max(1.0, float(np.max(np.abs(xt))))
    off = np.abs(s) > tol
    eps = 0.5 * float(np.min(np.abs(s[off]))) if off.any() else 1.0
    shift = np.array([0.0, 0.0, eps])
    return np.stack([s > tol, s >= -tol]), np.stack([u0 - shift, u0 + shift])


def certificate(
    points: NDArray, y: NDArray, fitted: NDArray, penalty: float, beta: float
) -> Certificate:
    """Duality gap of a candidate whose predictions on the data are ``fitted``.

    Parameters
    ----------
    points, y : the data, shapes (N, 2) and (N,)
    fitted : array (N,)
        The candidate network's ``f(x_n)``.
    penalty : float
        Its regularizer, e.g. ``beta/2 sum_j (|w_j|^2 + alpha_j^2)``.
    beta : float
    """
    y = np.asarray(y, dtype=float)
    r = y - np.asarray(fitted, dtype=float)
    primal = 0.5 * float(r @ r) + float(penalty)
    centred = r - r.mean()
    line = worst_line(points, centred)
    scale = 1.0 if line.magnitude <= beta else beta / line.magnitude
    lam = scale * centred
    dual = float(lam @ y) - 0.5 * float(lam @ lam)
    return Certificate(primal, dual, line)
