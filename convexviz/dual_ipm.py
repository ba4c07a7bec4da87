"""The ``FAST`` solver's core: a primal-dual interior-point method on the Lasso's dual.

With the data centred (the free offset ``xi`` eliminated), the dual of
``min_z 0.5 ||A_c z - y_c||^2 + beta ||z||_1`` is the quadratic program

.. math::

    \\max_\\nu\\ \\nu^T y_c - \\tfrac12 \\|\\nu\\|^2
    \\quad \\text{s.t.} \\quad \\|A_c^T \\nu\\|_\\infty \\le \\beta,

whose Newton systems are only ``n_samples x n_samples`` however many candidate features
there are; the Lasso coefficients are its multipliers. :mod:`convexviz.lasso` polishes and
certifies the answer.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg.lapack
from numpy.typing import NDArray

from .deadline import Deadline, check

#: LAPACK Cholesky factor and solve (no argument checks: called every iteration).
_potrf, _potrs = scipy.linalg.lapack.get_lapack_funcs(("potrf", "potrs"), (np.zeros(1),))


class SolverFailedError(ArithmeticError):
    """A solver did not reach a certified optimum (no convergence, or a failed certificate).

    The only error on which :func:`convexviz.lasso.solve_lasso` falls back to another
    solver: anything else (a shape mismatch, a bad argument) is a bug and propagates.
    """


def dual_interior_point(
    Ac: NDArray,
    yc: NDArray,
    beta: float,
    tol: float = 1e-10,
    max_iter: int = 60,
    deadline: Deadline | None = None,
) -> NDArray:
    """Approximate Lasso coefficients from a primal-dual interior-point method on the dual.

    With centred ``Ac`` (``n x M``) and ``yc`` the dual of the Lasso is the quadratic program

    .. math::

        \\min_\\nu\\ \\tfrac12 \\|\\nu\\|^2 - y_c^T \\nu
        \\quad \\text{s.t.} \\quad G \\nu \\le h,\\ G = [A_c^T; -A_c^T],\\ h = \\beta 1,

    whose multipliers ``lambda = (u, v) >= 0`` give ``z = u - v`` and ``nu = y_c - A_c z`` at
    the optimum. Mehrotra predictor-corrector steps; each Newton system reduces to
    ``(I + A_c D A_c^T) d_nu = rhs`` with ``D`` diagonal, an ``n x n`` Cholesky solve, so the
    cost per iteration is ``O(n^2 M)``. The answer is accurate to about ``1e-9``; :func:`polish`
    makes it exact.

    ``deadline`` (optional) is checked once per iteration.

    Raises
    ------
    SolverFailedError
        When the iteration does not converge.
    FitDeadlineError
        When ``deadline`` passes.
    """
    n, m = Ac.shape
    t = max(float(np.max(np.abs(yc))), 1e-300)
    a = max(float(np.max(np.abs(Ac))), 1e-300)
    B = Ac / a  # scaled problem: nu = t nu', z = z' t / a, beta' = beta / (a t)
    yv = yc / t
    h = beta / (a * t)
    nu = np.zeros(n)
    sgn = np.array([[1.0], [-1.0]])  # G nu = (A^T nu, -A^T nu): rows of the (2, M) arrays
    s = np.full((2, m), h)  # slack of G nu <= h (nu = 0 is strictly feasible)
    lam = np.ones((2, m))
    y_scale = 1.0 + float(np.linalg.norm(yv))
    converged = False
    mu = np.inf
    for _ in range(max_iter):
        check(deadline, "the interior-point iterations")
        r_d = nu - yv + B @ (lam[0] - lam[1])
        r_p = sgn * (B.T @ nu) + s - h
        mu = float(np.vdot(lam, s)) / (2 * m)
        if (
            2 * m * mu <= tol * (1.0 + 0.5 * float(nu @ nu))
            and np.linalg.norm(r_d) <= 1e2 * tol * y_scale
            and np.linalg.norm(r_p) <= tol * (1.0 + h)
        ):
            converged = True
            break
        w = lam / s
        Q = B * np.sqrt(w[0] + w[1])
        H = Q @ Q.T
        H.flat[:: n + 1] += 1.0
        factor, info = _potrf(H, lower=1, clean=0)
        if info != 0:  # scaling too extreme for Cholesky: we are as close as we get
            converged = 2 * m * mu <= 1e3 * tol
            break
        # Newton step: eliminating d_s = -r_p - G d_nu and d_lam = W (G d_nu + r_p) - r_c / s
        # leaves (I + G^T W G) d_nu = -r_d - G^T (W r_p - r_c / s). Predictor, then corrector.
        r_c = lam * s
        d_nu, d_lam, d_s = _newton(B, factor, w, s, sgn, r_d, r_p, r_c)
        alpha = _max_step(lam, d_lam, s, d_s)
        mu_aff = float(np.vdot(lam + alpha * d_lam, s + alpha * d_s)) / (2 * m)
        sigma = (mu_aff / mu) ** 3
        r_c = r_c + d_lam * d_s - sigma * mu
        d_nu, d_lam, d_s = _newton(B, factor, w, s, sgn, r_d, r_p, r_c)
        alpha = 0.99 * _max_step(lam, d_lam, s, d_s)
        nu = nu + alpha * d_nu
        lam = lam + alpha * d_lam
        s = s + alpha * d_s
    if not converged or not np.all(np.isfinite(lam)):
        raise SolverFailedError(f"interior-point method did not converge (mu = {mu:.1e})")
    return (lam[0] - lam[1]) * (t / a)


def _newton(B, factor, w, s, sgn, r_d, r_p, r_c) -> tuple[NDArray, NDArray, NDArray]:
    """One Newton direction ``(d_nu, d_lam, d_s)`` for the complementarity target ``r_c``."""
    g = w * r_p - r_c / s
    d_nu, _ = _potrs(factor, -r_d - B @ (g[0] - g[1]), lower=1)
    g_d = sgn * (B.T @ d_nu)
    return d_nu, w * (g_d + r_p) - r_c / s, -r_p - g_d


def _max_step(lam: NDArray, d_lam: NDArray, s: NDArray, d_s: NDArray) -> float:
    """Largest ``alpha <= 1`` keeping ``lam + alpha d_lam`` and ``s + alpha d_s`` >= 0."""
    worst = max(float(np.max(-d_lam / lam)), float(np.max(-d_s / s)))
    return 1.0 if worst <= 1.0 else 1.0 / worst
