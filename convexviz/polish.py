"""From an approximate Lasso solution to an exact, sparse one.

An interior-point solver returns a dense ``z`` accurate to about ``1e-8``. For teaching we
want the *exact* optimum with as few neurons as possible:

1. :func:`exact_on_support` -- a primal active-set method started from the solver's
   support. On a support ``S`` with signs ``sigma`` the optimality conditions are the
   linear system ``A_Sc^T (y_c - A_Sc z_S) = beta sigma`` (``_c``: centred, which removes
   the free offset ``xi``). Coefficients whose sign disagrees are dropped, the most violated
   condition ``|A_jc^T r| > beta`` outside ``S`` is added, until every condition holds. The
   result is accepted only when it satisfies all optimality conditions to rounding error,
   so it is exactly optimal, not a heuristic answer.
2. :func:`sparsest_on_face` -- the optimal solutions form a polytope (the *optimal face*):
   the fitted values are unique, and ``z`` may only use the columns whose correlation with
   the residual is ``+-beta``, with that sign. Every vertex of the face is optimal; we look
   for one with few nonzeros by iteratively reweighted l1 over the face (a few tiny LPs).
   For the paper's 'opt' data at depth 4 this finds the one-neuron interpolant
   ``ramp(5, 8)`` -- the reflection feature -- instead of a two-neuron mix.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

#: Optimality conditions must hold to this relative tolerance for an exact answer.
KKT_TOL = 1e-9


def _centred(A: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    return A - A.mean(axis=0), y - y.mean()


def _slack(Ac: NDArray, yc: NDArray, beta: float) -> float:
    """Tolerance on ``|A_jc^T r| <= beta``: relative to beta, or to rounding in the product."""
    rounding = 1e-13 * float(np.abs(Ac).max(initial=0.0) * np.abs(yc).sum())
    return max(KKT_TOL * beta, rounding)


def exact_on_support(
    A: NDArray, y: NDArray, beta: float, z_start: NDArray, max_iter: int | None = None
) -> NDArray | None:
    """Exact Lasso solution by an active-set method warm-started at ``z_start``.

    Returns ``None`` if no exact solution was reached (singular support, cycling).
    """
    Ac, yc = _centred(A, y)
    m = A.shape[1]
    slack = _slack(Ac, yc, beta)
    support = list(np.nonzero(z_start)[0])
    signs = {int(j): float(np.sign(z_start[j])) for j in support}
    max_iter = max_iter or 4 * A.shape[0] + 10
    for _ in range(max_iter):
        z = np.zeros(m)
        if support:
            cols = Ac[:, support]
            sigma = np.array([signs[j] for j in support])
            gram = cols.T @ cols
            if np.linalg.matrix_rank(gram) < len(support):
                return None
            z_s = np.linalg.solve(gram, cols.T @ yc - beta * sigma)
            wrong = np.sign(z_s) != sigma
            if wrong.any():
                support = [j for j, bad in zip(support, wrong, strict=True) if not bad]
                continue
            z[support] = z_s
        corr = Ac.T @ (yc - Ac @ z)
        excess = np.abs(corr) - beta - slack
        excess[support] = -np.inf
        j = int(np.argmax(excess)) if m else 0
        if m == 0 or excess[j] <= 0:
            return z
        support.append(j)
        signs[j] = float(np.sign(corr[j]))
    return None


def sparsest_on_face(
    A: NDArray, y: NDArray, beta: float, z_opt: NDArray, rounds: int = 3
) -> NDArray:
    """A sparse optimal solution: reweighted l1 over the optimal face through ``z_opt``.

    ``z_opt`` must be an exact optimum (e.g. from :func:`exact_on_support`). The returned
    vector is again exact (re-solved on its support) and never has more nonzeros.
    """
    Ac, yc = _centred(A, y)
    corr = Ac.T @ (yc - Ac @ z_opt)
    face = np.nonzero(np.abs(corr) >= beta - 100 * _slack(Ac, yc, beta))[0]
    if face.size <= 1:
        return z_opt
    sigma = np.sign(corr[face])
    target = Ac @ z_opt
    best = z_opt
    weights = np.ones(face.size)
    for _ in range(rounds):
        res = scipy.optimize.linprog(
            c=weights,
            A_eq=Ac[:, face] * sigma,
            b_eq=target,
            bounds=(0, None),
            method="highs-ds",
        )
        if res.status != 0:
            break
        t = res.x
        t = np.where(t > 1e-9 * max(t.max(), 1e-300), t, 0.0)
        candidate = np.zeros_like(z_opt)
        candidate[face] = sigma * t
        exact = exact_on_support(A, y, beta, candidate)
        if exact is not None and np.count_nonzero(exact) < np.count_nonzero(best):
            best = exact
        weights = 1.0 / (t + 1e-6 * max(t.max(), 1e-300))
    return best
