"""Slow, obviously-correct oracles, written from THEORY.md without importing convexviz.

Everything here is scalar Python (one point, one feature at a time) or a textbook solver
call, so that it can be read against the formulas line by line:

* :func:`narrow_relu_feature` -- the *recursive* definition of THEORY.md §4.2,
  ``g_0 = x``, ``g_l(x) = relu(s_l (g_{l-1}(x) - g_{l-1}(a_l)))``, from an index ``(s, j, k)``;
* :func:`two_layer_feature` -- ``sigma(s (x - x_j))`` of §2;
* :func:`abs3_feature` -- the T, R, M families of §5;
* :func:`step_feature` -- the sign/threshold steps of §3 at gap midpoints;
* :func:`sign_patterns` -- every pattern with at most ``K`` switches (§6), by brute force;
* :func:`min_l1_closed_form` -- the §7.2 closed forms;
* :func:`min_l1_interpolation` -- the same number from a brute-force LP;
* :func:`lasso_objective` / :func:`tv_denoise` -- plain objective and §3's TV problem.
"""

from __future__ import annotations

import itertools
import math

import cvxpy as cp
import numpy as np
import scipy.optimize


def relu(u: float) -> float:
    return u if u > 0.0 else 0.0


# ------------------------------------------------------------------------------------------
# §4.2: deep narrow ReLU chains, the recursive definition.


def narrow_relu_anchors(points, j, k):
    """Anchor points ``a_l = x_{j_l}``, except ``k = 1``: ``a_1 = 2 x_{j_2} - x_{j_1}``."""
    anchors = [float(points[i]) for i in j]
    if k == 1:
        anchors[0] = 2.0 * float(points[j[1]]) - float(points[j[0]])
    return anchors


def _g(level: int, x: float, signs, anchors) -> float:
    """``g_level(x)`` by the recursion of §4.2 (anchors evaluated by the same recursion)."""
    if level == 0:
        return float(x)
    previous_at_x = _g(level - 1, x, signs, anchors)
    previous_at_anchor = _g(level - 1, anchors[level - 1], signs, anchors)
    return relu(signs[level - 1] * (previous_at_x - previous_at_anchor))


def narrow_relu_feature(x: float, points, signs, j, k: int = 0) -> float:
    """``phi_{s,j,k}(x)`` for a depth ``L = len(signs) + 1`` narrow ReLU chain."""
    anchors = narrow_relu_anchors(points, j, k)
    return _g(len(signs), x, signs, anchors)


def narrow_relu_indices(n: int, depth: int):
    """All indices ``(s, j, k)``: ``s`` over ``(+1, -1)^P``, ``j`` over ``[n]^P``, ``k``."""
    P = depth - 1
    flags = (0, 1) if depth == 4 else (0,)
    for s in itertools.product((1.0, -1.0), repeat=P):
        for j in itertools.product(range(n), repeat=P):
            for k in flags:
                yield s, j, k


def narrow_relu_matrix(x_train, depth: int, x_eval) -> np.ndarray:
    """Every raw feature of §4.2 (index order s, j, k) at ``x_eval``: ``(len(x_eval), M)``."""
    points = sorted(set(float(v) for v in x_train))
    cols = [
        [narrow_relu_feature(x, points, s, j, k) for x in x_eval]
        for s, j, k in narrow_relu_indices(len(points), depth)
    ]
    return np.array(cols, dtype=float).T


# ------------------------------------------------------------------------------------------
# §2: two-layer nets; §5: three-layer absolute-value chains; §3 and §6: sign/threshold.


def two_layer_feature(x: float, knot: float, s: float, activation: str, leak: float) -> float:
    """``sigma(s (x - x_j))`` for ``sigma`` = relu, leaky relu (slope ``leak``) or abs."""
    u = s * (x - knot)
    if activation == "relu":
        return relu(u)
    if activation == "leaky_relu":
        return u if u >= 0 else leak * u
    if activation == "abs":
        return abs(u)
    raise ValueError(activation)


def two_layer_matrix(x_train, activation: str, x_eval, leak: float = 0.1) -> np.ndarray:
    """Raw §2 columns: for ``s`` in (+1, -1), for each sorted knot (§2's ``2N``)."""
    points = sorted(set(float(v) for v in x_train))
    signs = (1.0, -1.0)
    cols = [
        [two_layer_feature(x, t, s, activation, leak) for x in x_eval]
        for s in signs
        for t in points
    ]
    return np.array(cols, dtype=float).T


def abs3_matrix(x_train, x_eval) -> np.ndarray:
    """T (``|x - x_j|``), R (``||x - x_j| - |x_k - x_j||``, j != k), M (midpoints) of §5."""
    p = sorted(set(float(v) for v in x_train))
    n = len(p)
    cols = [[abs(x - p[j]) for x in x_eval] for j in range(n)]
    for j in range(n):
        for k in range(n):
            if j != k:
                cols.append([abs(abs(x - p[j]) - abs(p[k] - p[j])) for x in x_eval])
    for j in range(n):
        for k in range(j + 1, n):
            m, d = (p[j] + p[k]) / 2, abs(p[k] - p[j]) / 2
            cols.append([abs(abs(x - m) - d) for x in x_eval])
    return np.array(cols, dtype=float).T


def step_feature(x: float, t: float, activation: str) -> float:
    """``1[x >= t]`` (threshold) or ``sign(x - t)`` with ``sign(0) = +1`` (sign)."""
    if activation == "threshold":
        return 1.0 if x >= t else 0.0
    return 1.0 if x >= t else -1.0


def step_matrix(x_train, activation: str, x_eval) -> np.ndarray:
    """One step per gap between consecutive sorted distinct inputs, at the gap midpoint."""
    p = sorted(set(float(v) for v in x_train))
    mids = [(a + b) / 2 for a, b in zip(p[:-1], p[1:], strict=True)]
    cols = [[step_feature(x, t, activation) for x in x_eval] for t in mids]
    return np.array(cols, dtype=float).reshape(len(mids), len(x_eval)).T


def sign_patterns(n: int, max_switches: int) -> set[tuple[int, ...]]:
    """All ``+-1`` patterns on ``n`` sorted points with ``1..K`` switches, starting at -1.

    Brute force over the whole hypercube, so it does not share any logic with the
    package's combinatorial builder.
    """
    out = set()
    for pattern in itertools.product((-1, 1), repeat=n):
        if pattern[0] != -1:
            continue
        switches = sum(a != b for a, b in zip(pattern[:-1], pattern[1:], strict=True))
        if 1 <= switches <= max_switches:
            out.add(pattern)
    return out


def sign_pattern_count(n: int, max_switches: int) -> int:
    """§6 formula: ``sum_{r=1..min(K, N-1)} C(N-1, r)``."""
    return sum(math.comb(n - 1, r) for r in range(1, min(max_switches, n - 1) + 1))


# ------------------------------------------------------------------------------------------
# §7.2 closed forms and the LP they describe.


def secant_slopes(x, y) -> np.ndarray:
    order = np.argsort(x)
    xs, ys = np.asarray(x, float)[order], np.asarray(y, float)[order]
    return np.diff(ys) / np.diff(xs)


def min_l1_closed_form(x, y, net: str) -> float:
    """Smallest ``||z||_1`` of an exact interpolant (THEORY.md §7.2), distinct inputs.

    ``net`` is ``relu2``, ``abs2``, ``narrow_relu`` (any L >= 3), ``threshold2``, ``sign2``.
    """
    order = np.argsort(x)
    ys = np.asarray(y, float)[order]
    d = secant_slopes(x, y)
    T = float(np.sum(np.abs(np.diff(d))))
    if net == "relu2":
        return max(T, (T + abs(d[0]) + abs(d[-1])) / 2)
    if net == "abs2":
        return (T + abs(d[0] + d[-1])) / 2
    if net == "narrow_relu":
        return (abs(d[0]) + T + abs(d[-1])) / 2
    if net == "threshold2":
        return float(np.sum(np.abs(np.diff(ys))))
    if net == "sign2":
        return float(np.sum(np.abs(np.diff(ys)))) / 2
    raise ValueError(net)


def min_l1_interpolation(A: np.ndarray, y) -> float:
    """``min ||z||_1  s.t.  A z + c 1 = y`` (``c`` free) as an LP in ``(z+, z-, c)``."""
    A = np.asarray(A, float)
    y = np.asarray(y, float)
    n, m = A.shape
    cost = np.concatenate([np.ones(2 * m), [0.0]])
    A_eq = np.hstack([A, -A, np.ones((n, 1))])
    bounds = [(0, None)] * (2 * m) + [(None, None)]
    res = scipy.optimize.linprog(cost, A_eq=A_eq, b_eq=y, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"LP failed: {res.message}")
    return float(res.fun)


# ------------------------------------------------------------------------------------------
# Objectives.


def lasso_objective(A, y, z, bias, beta) -> float:
    """``0.5 ||A z + bias - y||^2 + beta ||z||_1``."""
    r = np.asarray(A, float) @ np.asarray(z, float) + bias - np.asarray(y, float)
    return 0.5 * float(r @ r) + beta * float(np.sum(np.abs(z)))


def lasso_cvxpy(A, y, beta: float) -> float:
    """Optimal value of ``0.5 ||A z + xi - y||^2 + beta ||z||_1``, a fresh textbook solve."""
    A = np.asarray(A, float)
    z = cp.Variable(A.shape[1])
    xi = cp.Variable()
    objective = 0.5 * cp.sum_squares(A @ z + xi - np.asarray(y, float)) + beta * cp.norm1(z)
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve(solver="CLARABEL")
    return float(problem.value)


def tv_denoise(x, y, lam: float) -> tuple[float, np.ndarray]:
    """``min_u 0.5 ||u - y||^2 + lam sum_k |u_(k+1) - u_(k)|`` over sorted distinct ``x``.

    Returns the optimal value and ``u`` in the original order of ``x``.
    """
    order = np.argsort(x)
    ys = np.asarray(y, float)[order]
    u = cp.Variable(ys.size)
    objective = 0.5 * cp.sum_squares(u - ys) + lam * cp.norm1(cp.diff(u))
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve(solver="CLARABEL")
    out = np.empty_like(ys)
    out[order] = u.value
    return float(problem.value), out


# ------------------------------------------------------------------------------------------
# Data sets of THEORY.md §8 (notebook examples) and §9 (Table V2, rounded to 3 decimals).

NOTEBOOK = {
    "opt": ([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], 1e-7),
    "zshape": ([0, 2, 6, 7], [0, 0, 3, 3], 1e-8),
    "bounce": ([0, 2, 6, 7], [0, 0, 3, 7], 1e-8),
}

#: THEORY.md §8: min ||z||_1 of an exact interpolant for depth 2, 3, 4 narrow ReLU nets.
NOTEBOOK_MIN_L1 = {
    "opt": {2: 2.0, 3: 1.0, 4: 1.0},
    "zshape": {2: 1.5, 3: 0.75, 4: 0.75},
    "bounce": {2: 4.0, 3: 4.0, 4: 4.0},
}

V2_DATA = {
    "d0": (
        [-2.828, -2.229, -2.112, -0.004, 0.609, 2.569],
        [0.57, -0.056, 0.747, -1.847, 1.567, -0.096],
        0.05,
    ),
    "d1": (
        [-2.172, -1.348, 0.074, 0.977, 1.022, 1.728],
        [-0.153, 0.686, -0.87, -1.514, 0.395, -0.671],
        0.3,
    ),
    "d2": (
        [-1.588, -0.88, 0.55, 1.813, 2.204],
        [0.037, 0.897, -0.233, -0.744, 0.385],
        0.1,
    ),
}

#: THEORY.md Table V2, "Lasso optimum" column (6 decimals): (data set, activation, depth).
V2_LASSO = {
    ("d0", "relu", 3): 0.535273,
    ("d0", "abs", 3): 0.299841,
    ("d0", "relu", 4): 0.535273,
    ("d0", "relu", 2): 0.821997,
    ("d0", "leaky_relu", 2): 0.888195,
    ("d0", "abs", 2): 0.535273,
    ("d1", "relu", 3): 1.299040,
    ("d1", "abs", 3): 1.183972,
    ("d1", "relu", 4): 1.299040,
    ("d1", "relu", 2): 1.373445,
    ("d1", "leaky_relu", 2): 1.379881,
    ("d1", "abs", 2): 1.285549,
    ("d2", "relu", 3): 0.389109,
    ("d2", "abs", 3): 0.223336,
    ("d2", "relu", 4): 0.389109,
    ("d2", "relu", 2): 0.443583,
    ("d2", "leaky_relu", 2): 0.477478,
    ("d2", "abs", 2): 0.389109,
}
