"""The two-layer ReLU network on the plane and its rebuilding from the convex program.

    f(x) = sum_j alpha_j relu(w_j . x + b_j) + offset,
    objective = 1/2 sum_n (f(x_n) - y_n)^2 + beta/2 sum_j (|w_j|^2 + alpha_j^2)

(biases and offset free, THEORY_2D §1).

Rebuilding (THEORY_2D §3). The program's optimal fit ``f`` is unique, and with ``r = y - f``
every optimal neuron's unit line ``uhat`` (``|uhat[:2]| = 1``) attains
``|r . relu(Xt uhat)| = M(r) = beta`` and can be taken through training points. An interior-point
answer is not sparse (dozens of tiny, nearly parallel neurons), so the network is rebuilt from
those exact lines instead:

1. the candidate lines are the maxima of the exact sweep of ``convexviz.worst_line`` within
   :data:`CANDIDATE_RTOL` of ``beta``, each line once (parallel neurons merged), with signed
   coefficients ``c`` from the Lasso over them with each sign fixed to that of
   ``r . relu(Xt uhat)`` (``c relu(uhat . xt)`` is a neuron of penalty ``beta |c|``);
2. the solution is moved to a vertex of the optimal set: while the columns
   ``[relu(Xt uhat_j), 1]`` and the row of signs ``sign(c_j)`` leave a null direction ``delta``,
   ``c + tau delta`` keeps the fit and ``sum |c_j|`` (no sign changes) and ``tau`` goes until a
   coefficient vanishes. At the end those ``N + 1`` equations have full column rank, so at most
   ``N + 1`` neurons remain;
3. the coefficients and the offset are polished on the kept lines: with the signs ``s``
   fixed, ``1/2 ||A c + xi 1 - y||^2 + beta s.c`` is a quadratic whose normal equations
   ``[A 1]^T [A 1] (c, xi) = [A 1]^T y - beta (s, 0)`` give the exact optimum over those
   lines (accepted when the signs hold and the objective does not grow): no interior-point
   rounding is left;
4. each line becomes the neuron ``w = sqrt|c| uhat[:2]``, ``b = sqrt|c| uhat[2]``,
   ``alpha = sign(c) sqrt|c|`` (balanced: ``|w|^2 = alpha^2 = |c|``).
"""

from __future__ import annotations

from dataclasses import dataclass

import clarabel
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .patterns2d import augmented
from .worst_line import lines_at_least

#: Lines whose weight part is below this fraction of the largest are rounding noise.
NEGLIGIBLE_RTOL = 1e-7

#: Singular values below this fraction of the largest count as zero in the vertex reduction
#: (nearly dependent neurons are reduced too, so that the polish is well conditioned).
RANK_RTOL = 1e-7

#: Lines within this fraction of ``beta`` of ``M(r)`` are candidates for optimal neurons.
CANDIDATE_RTOL = 1e-4


@dataclass(frozen=True, eq=False)
class PlaneNetwork:
    """``f(x) = sum_j alpha_j relu(w_j . x + b_j) + offset``; ``weights`` has shape ``(m, 2)``."""

    weights: NDArray[np.float64]
    biases: NDArray[np.float64]
    alphas: NDArray[np.float64]
    offset: float

    @property
    def width(self) -> int:
        return len(self.alphas)

    def hidden(self, points: NDArray) -> NDArray[np.float64]:
        """``relu(w_j . x + b_j)`` for every point and neuron: shape ``(len(points), m)``."""
        x = np.asarray(points, dtype=float).reshape(-1, 2)
        return np.maximum(x @ self.weights.T + self.biases, 0.0)

    def __call__(self, points: NDArray) -> NDArray[np.float64]:
        """The forward pass ``f(x)``."""
        return self.hidden(points) @ self.alphas + self.offset

    def penalty(self, beta: float) -> float:
        """``beta/2 sum_j (|w_j|^2 + alpha_j^2)``."""
        return 0.5 * beta * float(np.sum(self.weights**2) + np.sum(self.alphas**2))

    def objective(self, points: NDArray, y: NDArray, beta: float) -> float:
        """``1/2 sum_n (f(x_n) - y_n)^2 + beta/2 sum_j (|w_j|^2 + alpha_j^2)``."""
        r = self(points) - np.asarray(y, dtype=float)
        return 0.5 * float(r @ r) + self.penalty(beta)


@dataclass(frozen=True)
class _Lines:
    """Unit lines ``uhat`` (``|uhat[:2]| = 1``, rows) and their signed coefficients."""

    uhat: NDArray[np.float64]  # (m, 3)
    coef: NDArray[np.float64]  # (m,)


def _null_basis(xt: NDArray, lines: _Lines) -> NDArray[np.float64]:
    """Basis (columns) of the null space of ``[[relu(Xt uhat_j) ... 1], [sign(c_j) ... 0]]``."""
    columns = np.maximum(xt @ lines.uhat.T, 0.0)
    system = np.vstack(
        [np.column_stack([columns, np.ones(len(xt))]), np.append(np.sign(lines.coef), 0.0)]
    )
    _, sing, vt = np.linalg.svd(system)
    rank = int(np.sum(sing > RANK_RTOL * sing[0]))
    return vt[rank:].T


def _drop(basis: NDArray, i: int) -> NDArray:
    """The null basis once column ``i`` is gone: combinations with a zero ``i``-th entry."""
    if basis.shape[1] == 0:
        return np.delete(basis, i, axis=0)
    pivot = int(np.argmax(np.abs(basis[i])))
    if abs(basis[i, pivot]) > 0:
        basis = basis - np.outer(basis[:, pivot], basis[i] / basis[i, pivot])
        basis = np.delete(basis, pivot, axis=1)
    else:
        basis = np.delete(basis, pivot, axis=1) if basis.shape[1] else basis
    basis = np.delete(basis, i, axis=0)
    norms = np.linalg.norm(basis, axis=0)
    return basis[:, norms > 0] / norms[norms > 0]


def reduce_to_vertex(xt: NDArray, lines: _Lines) -> _Lines:
    """Move to a vertex of the optimal set: same fit, same ``sum |c|``, at most ``N + 1`` lines.

    One SVD gives the null space; each removed line removes one basis direction (Gaussian
    elimination of its entry), so the loop costs no further factorizations.
    """
    if not len(lines.coef):
        return lines
    uhat, coef = lines.uhat, lines.coef.copy()
    basis = _null_basis(xt, lines)
    while basis.shape[1] and len(coef):
        delta = basis[:-1, 0]
        shrinking = coef * delta < 0
        if not shrinking.any():
            delta = -delta
            shrinking = coef * delta < 0
        if not shrinking.any():
            basis = basis[:, 1:]
            continue
        steps = -coef[shrinking] / delta[shrinking]
        coef = coef + float(steps.min()) * delta
        gone = int(np.flatnonzero(shrinking)[np.argmin(steps)])
        coef[gone] = 0.0
        for i in sorted(np.flatnonzero(np.abs(coef) <= 1e-12 * np.max(np.abs(coef))))[::-1]:
            basis = _drop(basis, int(i))
            uhat, coef = np.delete(uhat, i, 0), np.delete(coef, i)
    return _Lines(uhat, coef)


def network_from_lines(lines: _Lines, offset: float) -> PlaneNetwork:
    """Balanced neurons from unit lines and signed coefficients."""
    root = np.sqrt(np.abs(lines.coef))
    weights = lines.uhat[:, :2] * root[:, None]
    biases = lines.uhat[:, 2] * root
    alphas = np.sign(lines.coef) * root
    return PlaneNetwork(weights, biases, alphas, float(offset))


def _best_offset(points: NDArray, y: NDArray, lines: _Lines) -> float:
    partial = network_from_lines(lines, 0.0)
    return float(np.mean(y - partial(points)))


def polish(points: NDArray, y: NDArray, lines: _Lines, beta: float) -> tuple[_Lines, float]:
    """The exact optimum over the given lines with their signs fixed (see the module notes).

    Returns the lines with polished coefficients and the offset; the unpolished ones (with
    the best offset) when the polished signs differ or the objective would grow.
    """
    offset = _best_offset(points, y, lines)
    if not len(lines.coef):
        return lines, offset
    xt = augmented(points)
    design = np.column_stack([np.maximum(xt @ lines.uhat.T, 0.0), np.ones(len(y))])
    rhs = design.T @ y - beta * np.append(np.sign(lines.coef), 0.0)
    solution = np.linalg.lstsq(design.T @ design, rhs, rcond=None)[0]
    coef, xi = solution[:-1], float(solution[-1])
    if np.any(np.sign(coef) != np.sign(lines.coef)):
        return lines, offset
    polished = _Lines(lines.uhat, coef)
    before = network_from_lines(lines, offset).objective(points, y, beta)
    after = network_from_lines(polished, xi).objective(points, y, beta)
    return (polished, xi) if after <= before else (lines, offset)


def _sign_constrained_lasso(design: NDArray, signs: NDArray, y: NDArray, beta: float) -> NDArray:
    """``S g`` for the ``g >= 0`` minimizing ``1/2 ||A S g + xi 1 - y||^2 + beta sum g``."""
    n, m = design.shape
    i_e = m + 1
    n_var = i_e + n
    fit = sp.hstack(
        [
            sp.csc_matrix(design * signs),
            sp.csc_matrix(np.ones((n, 1))),
            -sp.identity(n, format="csc"),
        ],
        format="csc",
    )
    nonneg = sp.hstack([-sp.identity(m, format="csc"), sp.csc_matrix((m, n + 1))], format="csc")
    a = sp.vstack([fit, nonneg], format="csc")
    b = np.concatenate([y, np.zeros(m)])
    p_mat = sp.csc_matrix(
        (np.ones(n), (np.arange(i_e, n_var), np.arange(i_e, n_var))), shape=(n_var, n_var)
    )
    q = np.concatenate([np.full(m, beta), np.zeros(n + 1)])
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    cones = [clarabel.ZeroConeT(n), clarabel.NonnegativeConeT(m)]
    solution = clarabel.DefaultSolver(p_mat, q, a, b, cones, settings).solve()
    return signs * np.maximum(np.asarray(solution.x)[:m], 0.0)


def _distinct_lines(uhat: NDArray, tol: float = 1e-9) -> NDArray[np.bool_]:
    keep = np.ones(len(uhat), dtype=bool)
    for j in range(len(uhat)):
        if keep[j]:
            same = np.max(np.abs(uhat[j + 1 :] - uhat[j]), axis=1) <= tol
            keep[j + 1 :] &= ~same
    return keep


def optimal_lines(
    points: NDArray, y: NDArray, fitted: NDArray, beta: float, extra: NDArray | None = None
) -> tuple[_Lines, NDArray[np.float64]]:
    """Exact lines of an optimal network, from the optimal fit (unique) of the program.

    Every optimal neuron's unit line attains ``|r . relu(Xt uhat)| = M(r) = beta`` for the
    optimal residual ``r``, and can be taken through training points (``convexviz.worst_line``:
    the arcs' maxima). The lines within :data:`CANDIDATE_RTOL` of ``beta`` are the candidates;
    a sign-constrained Lasso over them (sign of ``r . relu``) gives the coefficients.
    ``extra`` candidates (rows ``(uhat, sign)``, e.g. those of an earlier rebuild) join them.

    Returns the lines with nonzero coefficients and all candidates (rows ``(uhat, sign)``).
    """
    x = np.asarray(points, dtype=float)
    r = np.asarray(y, dtype=float) - np.asarray(fitted, dtype=float)
    found = lines_at_least(x, r - r.mean(), beta * (1 - CANDIDATE_RTOL))
    candidates = np.column_stack([found[:, :3], np.sign(found[:, 3])])
    if extra is not None:
        candidates = np.vstack([np.asarray(extra, dtype=float).reshape(-1, 4), candidates])
    if not len(candidates):
        return _Lines(np.zeros((0, 3)), np.zeros(0)), candidates
    candidates = candidates[_distinct_lines(candidates)]
    uhat, signs = candidates[:, :3], candidates[:, 3]
    design = np.maximum(augmented(x) @ uhat.T, 0.0)
    coef = _sign_constrained_lasso(design, signs, np.asarray(y, dtype=float), beta)
    support = np.abs(coef) > NEGLIGIBLE_RTOL * max(float(np.max(np.abs(coef))), 1e-300)
    return _Lines(uhat[support], coef[support]), candidates


def rebuild_network(
    points: NDArray, y: NDArray, fitted: NDArray, beta: float, extra: NDArray | None = None
) -> tuple[PlaneNetwork, NDArray[np.bool_], NDArray[np.float64]]:
    """The optimal network from the program's optimal fit: exact lines, a vertex, polished.

    Returns the network (balanced, at most ``N + 1`` neurons), its neurons' activation
    patterns ``1[w_j . x_n + b_j > 0]`` (shape ``(m, N)``) and the candidate lines
    (:func:`optimal_lines`; pass them as ``extra`` to a rebuild from this network's fit).
    """
    xt = augmented(points)
    y = np.asarray(y, dtype=float)
    chosen, candidates = optimal_lines(points, y, fitted, beta, extra)
    lines = reduce_to_vertex(xt, chosen)
    lines, offset = polish(points, y, lines, beta)
    network = network_from_lines(lines, offset)
    return network, (xt @ lines.uhat.T > 1e-9).T, candidates
