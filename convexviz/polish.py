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
   the residual is ``+-beta``, with that sign. Every solution on the face is optimal; we
   look for one with fewer nonzeros by enumerating small supports on the face.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

#: Optimality conditions must hold to this relative tolerance for an exact answer.
KKT_TOL = 1e-9


def _centred(A: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    return A - A.mean(axis=0), y - y.mean()


def _slack(Ac: NDArray, yc: NDArray, beta: float) -> float:
    """Tolerance on ``|A_jc^T r| <= beta``: relative to beta, or to rounding in the product."""
    rounding = 1e-13 * float(np.abs(Ac).max(initial=0.0) * np.abs(yc).sum())
    return max(KKT_TOL * beta, rounding)


def _independent_support(Ac: NDArray, z: NDArray) -> list[int]:
    """Nonzeros of ``z``, largest first, skipping columns dependent on those already kept."""
    kept: list[int] = []
    for j in np.argsort(-np.abs(z), kind="stable"):
        if z[j] == 0:
            break
        if np.linalg.matrix_rank(Ac[:, kept + [int(j)]]) == len(kept) + 1:
            kept.append(int(j))
    return kept


def exact_on_support(
    A: NDArray, y: NDArray, beta: float, z_start: NDArray, max_iter: int | None = None
) -> NDArray | None:
    """Exact Lasso solution by an active-set method warm-started at ``z_start``.

    Returns ``None`` if no exact solution was reached (singular support, cycling).
    """
    Ac, yc = _centred(A, y)
    m = A.shape[1]
    slack = _slack(Ac, yc, beta)
    support = _independent_support(Ac, z_start)
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
    A: NDArray,
    y: NDArray,
    beta: float,
    z_opt: NDArray,
    max_support: int = 3,
    max_combinations: int = 2_000,
) -> NDArray:
    """A sparser optimal solution on the optimal face through ``z_opt``, if one exists.

    On the face every solution has the same fitted values and the same ``||z||_1``, so
    "simplest" means fewest neurons. We enumerate supports of size ``1..max_support``
    (smaller than ``z_opt``'s) among the face's columns, in column order -- the dictionary
    orders classes by kind, so simpler kinds win ties -- and return the first one that
    reproduces the fitted values with the right signs, re-solved exactly. Without one,
    ``z_opt`` is returned unchanged. The search is bounded (at most ``max_combinations``
    supports per size) so that it stays cheap on the click-to-redraw path.
    """
    if np.count_nonzero(z_opt) > 2 * max_support:  # a much sparser vertex is implausible
        return z_opt
    Ac, yc = _centred(A, y)
    corr = Ac.T @ (yc - Ac @ z_opt)
    face = np.nonzero(np.abs(corr) >= beta - 100 * _slack(Ac, yc, beta))[0]
    target = Ac @ z_opt
    scale = max(float(np.abs(target).max()), 1e-300)
    for k in range(1, min(max_support, np.count_nonzero(z_opt) - 1) + 1):
        if face.size < k or _n_choose_k(face.size, k) > max_combinations:
            break
        supports = np.array(list(itertools.combinations(face, k)))
        B = Ac[:, supports].transpose(1, 0, 2) * np.sign(corr[supports])[:, None, :]
        t = np.einsum("ckn,n->ck", np.linalg.pinv(B), target)
        residual = np.abs(np.einsum("cnk,ck->cn", B, t) - target).max(axis=1)
        ok = np.nonzero((residual <= 1e-9 * scale) & np.all(t > 0, axis=1))[0]
        for c in ok:
            candidate = np.zeros_like(z_opt)
            candidate[supports[c]] = np.sign(corr[supports[c]]) * t[c]
            exact = exact_on_support(A, y, beta, candidate)
            if exact is not None and np.count_nonzero(exact) == k:
                return exact
    return z_opt


def _n_choose_k(n: int, k: int) -> int:
    from math import comb

    return comb(n, k)
