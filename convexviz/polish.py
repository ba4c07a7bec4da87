"""From an approximate Lasso solution to an exact, sparse one.

An interior-point solver returns a dense ``z`` accurate to about ``1e-9``. For teaching we
want the *exact* optimum with as few neurons as possible. The optimality conditions of
``min 0.5 ||A z + xi 1 - y||^2 + beta ||z||_1`` (``_c``: centred, which removes ``xi``) are

.. math:: A_{jc}^T (y_c - A_c z) = \\beta\\, \\mathrm{sign}(z_j) \\ (z_j \\ne 0), \\qquad
          |A_{jc}^T (y_c - A_c z)| \\le \\beta \\ (z_j = 0).

1. :func:`polish` -- the fitted values are unique, so we look for a *vertex* (independent
   support, at most ``N - 1`` nonzeros) with the solver's fitted values: non-negative least
   squares on the solver's support, or an LP over all columns.
2. :func:`active_set` -- on a support ``S`` with signs ``sigma`` the conditions above are a
   linear system; coefficients whose sign disagrees are dropped and the most violated
   condition outside ``S`` is added until all hold to rounding. Its answer is accepted
   only then, so it is exactly optimal, not a heuristic.
3. :func:`sparsest_on_face` -- the optimal solutions form a polytope (the *optimal face*):
   same fitted values, same ``||z||_1``, only columns with correlation ``+-beta``. We
   enumerate small supports on it for an optimum with fewer neurons.
"""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import scipy.linalg.lapack
import scipy.optimize
from numpy.typing import NDArray

from .deadline import Deadline, check

#: Optimality conditions must hold to this relative tolerance for an exact answer.
KKT_TOL = 1e-10

#: Coefficients below this fraction of ``max |z|`` are treated as zero.
ZERO_TOL = 1e-6

_potrf, _potrs = scipy.linalg.lapack.get_lapack_funcs(("potrf", "potrs"), (np.zeros(1),))


def _objective(A: NDArray, y: NDArray, z: NDArray, bias: float, beta: float) -> float:
    r = A @ z + bias - y
    return 0.5 * float(r @ r) + beta * float(np.abs(z).sum())


def _centred(A: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    return A - A.mean(axis=0), y - y.mean()


def _slack(Ac: NDArray, yc: NDArray, beta: float) -> float:
    """Tolerance on ``|A_jc^T r| <= beta``: relative to beta, or to rounding in the product."""
    rounding = 1e-13 * float(np.abs(Ac).max(initial=0.0) * np.abs(yc).sum())
    return max(KKT_TOL * beta, rounding)


def polish(
    A: NDArray,
    y: NDArray,
    z: NDArray,
    bias: float,
    beta: float,
    deadline: Deadline | None = None,
) -> tuple[NDArray, float]:
    """Turn an interior-point solution into a sparse one with the same fitted values.

    The fitted values ``u = A z + xi`` of a Lasso are unique; among all ``(z, xi)`` that
    reproduce them we take a *vertex* of ``min ||z||_1  s.t.  A_c z = u_c`` (``_c``:
    centred). On the interior-point support, with its signs, non-negative least squares
    (Lawson-Hanson) finds a combination with the same fit on *independent* columns; if
    that fails, a dual-simplex LP over all columns finds the vertex. A vertex has at most
    ``N - 1`` nonzeros, so the rebuilt network uses few neurons; on its support the
    optimality conditions are then solved exactly (removing the solver's tolerance) by a
    primal active-set method started there (it drops a coefficient whose sign flips, adds
    the most violated condition ``|A_jc^T r| > beta``); its answer is returned when it meets
    every optimality condition. Otherwise we keep the sparsest of the vertices and the
    thresholded interior-point solution within ``1e-9`` of the lowest objective.

    ``deadline`` (optional) is checked before each vertex search and inside the active-set
    iterations; it raises :class:`~convexviz.deadline.FitDeadlineError` when it passes.
    """
    scale = max(float(np.max(np.abs(z))), 1e-300)
    z_thr = np.where(np.abs(z) > ZERO_TOL * scale, z, 0.0)
    candidates = [z_thr]
    if np.any(z_thr):
        Ac = A - A.mean(axis=0)
        yc = y - y.mean()
        for vertex in (_nnls_vertex, _lp_vertex):
            check(deadline, "the polish")
            if vertex is _lp_vertex and deadline is not None:  # HiGHS stops itself in time
                z_vertex = _lp_vertex(Ac, z_thr, time_limit=deadline.remaining())
            else:
                z_vertex = vertex(Ac, z_thr)
            if z_vertex is None:
                continue
            candidates.insert(0, z_vertex)
            exact = active_set(Ac, yc, beta, z_vertex, deadline=deadline)
            if exact is not None:  # meets every optimality condition: optimal
                return exact, float(np.mean(y - A @ exact))
    scored = []
    for cand in candidates:
        offset = float(np.mean(y - A @ cand))
        obj = _objective(A, y, cand, offset, beta)
        scored.append((obj, np.count_nonzero(cand), cand, offset))
    best_obj = min(s[0] for s in scored)
    tol = 1e-9 * max(1.0, abs(best_obj))
    near = [s for s in scored if s[0] <= best_obj + tol]
    _, _, z_best, bias_best = min(near, key=lambda s: s[1])
    return z_best, bias_best


def _nnls_vertex(Ac: NDArray, z: NDArray) -> NDArray | None:
    """A solution with independent support columns and the same ``A_c z`` and signs.

    ``A_c z = sum_j c_j (sigma_j a_j)`` with ``c_j = |z_j| > 0``: a nonnegative combination
    of the signed support columns. The Lawson-Hanson NNLS active-set method finds such a
    combination on a *linearly independent* set of columns (a vertex of the face, at most
    ``rank A_c <= N - 1`` of them), in well under a millisecond at our sizes.
    """
    support = np.nonzero(z)[0]
    sigma = np.sign(z[support])
    cols = Ac[:, support] * sigma
    target = Ac @ z
    try:
        c, misfit = scipy.optimize.nnls(cols, target)
    except (RuntimeError, ValueError):
        return None
    if not np.all(np.isfinite(c)) or misfit > 1e-8 * max(float(np.linalg.norm(target)), 1e-300):
        return None
    c = np.where(c > ZERO_TOL * max(float(c.max(initial=0.0)), 1e-300), c, 0.0)
    keep = c > 0
    support, sigma, c, cols = support[keep], sigma[keep], c[keep], cols[:, keep]
    # NNLS may leave a (numerically) dependent column: Caratheodory steps remove it.
    for _ in range(support.size):
        _, sv, vt = np.linalg.svd(cols, full_matrices=True)
        rank = int(np.sum(sv > 1e-10 * sv[0])) if sv.size and sv[0] > 0 else 0
        if rank >= support.size:
            break
        d = vt[-1]
        d = d if d.sum() >= 0 else -d  # do not increase sum(c) = ||z||_1
        pos = d > 1e-12 * float(np.abs(d).max())
        if not np.any(pos):
            d, pos = -d, -d > 1e-12 * float(np.abs(d).max())
        ratios = np.where(pos, c / np.where(pos, d, 1.0), np.inf)
        j = int(np.argmin(ratios))
        c = c - ratios[j] * d
        keep = np.arange(c.size) != j
        support, sigma, c, cols = (
            support[keep],
            sigma[keep],
            np.maximum(c[keep], 0.0),
            cols[:, keep],
        )
    out = np.zeros_like(z)
    out[support] = sigma * c
    return out


def _lp_vertex(Ac: NDArray, z: NDArray, time_limit: float | None = None) -> NDArray | None:
    """A vertex of ``min ||z||_1 s.t. A_c z = A_c z_0`` by the dual simplex method (HiGHS);
    ``None`` when it fails or runs past ``time_limit`` seconds (HiGHS's own limit)."""
    u = Ac @ z
    m = Ac.shape[1]
    options = {} if time_limit is None else {"time_limit": max(float(time_limit), 1e-3)}
    result = scipy.optimize.linprog(
        c=np.ones(2 * m),
        A_eq=np.hstack([Ac, -Ac]),
        b_eq=u,
        bounds=(0, None),
        method="highs-ds",
        options=options,
    )
    if result.status != 0:
        return None
    z_lp = result.x[:m] - result.x[m:]
    lp_scale = max(float(np.max(np.abs(z_lp))), 1e-300)
    return np.where(np.abs(z_lp) > ZERO_TOL * lp_scale, z_lp, 0.0)


def _kkt_on_support(cols: NDArray, yc: NDArray, beta: float, sigma: NDArray) -> NDArray | None:
    """Solve ``cols^T (yc - cols z) = beta sigma`` by Cholesky, with one step of iterative
    refinement; ``None`` if the Gram matrix is singular (condition above about ``1e13``)."""
    gram = cols.T @ cols
    factor, info = _potrf(gram, lower=1, clean=0)
    diag = np.abs(np.diagonal(factor))
    if info != 0 or not diag.size or diag.min() < 3e-7 * diag.max():
        return None
    z_s, _ = _potrs(factor, cols.T @ yc - beta * sigma, lower=1)
    defect = cols.T @ (yc - cols @ z_s) - beta * sigma
    correction, _ = _potrs(factor, defect, lower=1)
    z_s = z_s + correction
    return z_s if np.all(np.isfinite(z_s)) else None


def active_set(
    Ac: NDArray,
    yc: NDArray,
    beta: float,
    z_start: NDArray,
    max_iter: int | None = None,
    deadline: Deadline | None = None,
) -> NDArray | None:
    """Exact Lasso solution by a primal active-set method started at the support of ``z_start``.

    On a support ``S`` with signs ``sigma`` the optimality conditions are the linear system
    ``A_Sc^T (y_c - A_Sc z_S) = beta sigma``. Coefficients whose sign disagrees are dropped,
    the most violated condition ``|A_jc^T r| > beta`` outside ``S`` is added, until every
    condition holds to rounding. ``None`` on a singular support or when it does not settle.
    ``deadline`` (optional) is checked once per iteration.
    """
    m = Ac.shape[1]
    support = [int(j) for j in np.nonzero(z_start)[0]]
    signs = {j: float(np.sign(z_start[j])) for j in support}
    slack = _slack(Ac, yc, beta)
    for _ in range(max_iter or 4 * Ac.shape[0] + 10):
        check(deadline, "the polish")
        z = np.zeros(m)
        if support:
            sigma = np.array([signs[j] for j in support])
            z_s = _kkt_on_support(Ac[:, support], yc, beta, sigma)
            if z_s is None:
                return None
            wrong = np.sign(z_s) != sigma
            if wrong.any():
                support = [j for j, bad in zip(support, wrong, strict=True) if not bad]
                continue
            z[support] = z_s
        corr = Ac.T @ (yc - Ac @ z)
        excess = np.abs(corr) - beta - slack
        excess[support] = -np.inf
        j = int(np.argmax(excess))
        if excess[j] <= 0:
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
    deadline: Deadline | None = None,
) -> NDArray:
    """A sparser optimal solution on the optimal face through ``z_opt``, if one exists.

    On the face every solution has the same fitted values and the same ``||z||_1``, so
    "simplest" means fewest neurons. We enumerate supports of size ``1..max_support``
    (smaller than ``z_opt``'s) among the face's columns, in column order -- the dictionary
    orders classes by kind, so simpler kinds win ties -- and return the first one that
    reproduces the fitted values with the right signs, re-solved exactly. Without one,
    ``z_opt`` is returned unchanged. The search is bounded (at most ``max_combinations``
    supports per size) so that it stays cheap on the click-to-redraw path; ``deadline``
    (optional) is checked for each support size and each candidate re-solved.
    """
    if np.count_nonzero(z_opt) > 2 * max_support:  # a much sparser vertex is implausible
        return z_opt
    Ac, yc = _centred(A, y)
    corr = Ac.T @ (yc - Ac @ z_opt)
    face = np.nonzero(np.abs(corr) >= beta - 100 * _slack(Ac, yc, beta))[0]
    target = Ac @ z_opt
    scale = max(float(np.abs(target).max()), 1e-300)
    for k in range(1, min(max_support, np.count_nonzero(z_opt) - 1) + 1):
        if face.size < k or comb(face.size, k) > max_combinations:
            break
        check(deadline, "the search for a sparser network")
        supports = np.array(list(itertools.combinations(face, k)))
        B = Ac[:, supports].transpose(1, 0, 2) * np.sign(corr[supports])[:, None, :]
        t = np.einsum("ckn,n->ck", np.linalg.pinv(B), target)
        residual = np.abs(np.einsum("cnk,ck->cn", B, t) - target).max(axis=1)
        ok = np.nonzero((residual <= 1e-9 * scale) & np.all(t > 0, axis=1))[0]
        for c in ok:
            candidate = np.zeros_like(z_opt)
            candidate[supports[c]] = np.sign(corr[supports[c]]) * t[c]
            exact = active_set(Ac, yc, beta, candidate, deadline=deadline)
            if exact is not None and np.count_nonzero(exact) == k:
                return exact
    return z_opt
