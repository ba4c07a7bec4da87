"""The convex training problem: a Lasso with a free offset (THEORY.md §1).

.. math::

    \\min_{z \\in R^M,\\ \\xi \\in R}\\ \\tfrac12 \\|A z + \\xi 1 - y\\|_2^2 + \\beta \\|z\\|_1

=========  ===========================================================
symbol     name in code
=========  ===========================================================
``A``      ``A`` (``n_samples x M`` dictionary on the training inputs)
``z``      ``z`` (feature coefficients)
``xi``     ``bias`` (the unpenalized output offset)
``beta``   ``beta``
=========  ===========================================================

Two solvers, chosen by measurement (BENCHMARKS.md):

* ``FAST`` (the default): a primal-dual interior-point method on the *dual* problem,
  ``max_nu  nu^T y_c - 0.5 ||nu||^2  s.t.  ||A_c^T nu||_inf <= beta`` (``_c``: centred), whose
  Newton systems are only ``n_samples x n_samples``; the Lasso coefficients are its
  multipliers. A few milliseconds where a fresh cvxpy problem costs 10-60 ms (most of it
  canonicalization). A beta-only change first runs a few exact active-set steps from the
  previous answer.
* ``CLARABEL`` / ``SCS`` through cvxpy: the reference path and the fallback. ``beta`` is a
  ``cp.Parameter`` so that moving the beta slider re-solves a cached, already canonicalized
  problem.

Whichever solver ran, the answer is then *polished* into a sparse vertex solution (at most
``N - 1`` nonzeros) with the same fitted values and the smallest ``||z||_1``, solved exactly
on that support, and *certified*: the duality gap of the dual point built from the residual
(THEORY.md §7.1, standard Lasso duality) bounds how far the objective can be from optimal.
The ``FAST`` answer is only accepted when that gap is below :data:`GAP_RTOL` times the
objective (plus the rounding floor of :func:`certificate_tolerance`); otherwise cvxpy takes
over (and the fit says so).
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.linalg.lapack
from numpy.typing import NDArray

from .polish import active_set, polish, sparsest_on_face

#: Every solver name: the specialized dual interior-point method, then cvxpy's.
SOLVERS = ("FAST", "CLARABEL", "SCS")

#: The solvers reached through cvxpy (reference path and fallback).
CVXPY_SOLVERS = ("CLARABEL", "SCS")

#: The ``FAST`` answer is accepted only if its duality gap is below this times the objective.
GAP_RTOL = 1e-9

try:  # single-threaded BLAS for our small matrices (see _single_threaded_blas)
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - optional
    ThreadpoolController = None
_BLAS_CONTROLLER = None

#: A beta-only change tries this many active-set steps from the previous answer, then the
#: interior-point method (a few steps cover a slider move; a big jump is faster by IPM).
WARM_START_STEPS = 4


@dataclass(frozen=True, eq=False)
class LassoFit:
    """Solution of the Lasso over a dictionary matrix ``A``.

    Attributes
    ----------
    z : ndarray of shape (M,)
        Sparse coefficients (polished vertex solution).
    bias : float
        The free offset ``xi``.
    beta : float
    objective : float
        ``0.5 ||A z + xi - y||^2 + beta ||z||_1`` at the returned ``(z, bias)``.
    status : str
        ``optimal`` or ``optimal_inaccurate`` (cvxpy's words).
    solver : str
        The solver that produced the answer (``FAST``, ``CLARABEL`` or ``SCS``; ``closed
        form`` when there is nothing to fit).
    duality_gap : float
        Primal objective minus the value of a feasible dual point; ``>= 0``, and ``~ 0``
        exactly when ``(z, bias)`` is optimal.
    message : str
        Anything the user should know (fallback used, inaccurate status); empty otherwise.
    """

    z: NDArray[np.float64]
    bias: float
    beta: float
    objective: float
    status: str
    solver: str
    duality_gap: float
    message: str = ""

    @property
    def active(self) -> NDArray[np.int_]:
        """Indices of the nonzero coefficients."""
        return np.nonzero(self.z)[0]


def squared_loss(A: NDArray, y: NDArray, z: NDArray, bias: float) -> float:
    """``0.5 ||A z + bias - y||^2``."""
    r = A @ z + bias - y
    return 0.5 * float(r @ r)


def l1_penalty(z: NDArray) -> float:
    """``||z||_1``."""
    return float(np.abs(z).sum())


def lasso_objective(A: NDArray, y: NDArray, z: NDArray, bias: float, beta: float) -> float:
    """``0.5 ||A z + bias - y||^2 + beta ||z||_1``."""
    return squared_loss(A, y, z, bias) + beta * l1_penalty(z)


def beta_max(A: NDArray, y: NDArray) -> float:
    """Smallest ``beta`` for which ``z = 0, xi = mean(y)`` is optimal (THEORY.md §7.1).

    ``beta_max = || A_c^T (y - mean(y)) ||_inf`` with ``A_c`` the column-centred ``A``.
    """
    if A.shape[1] == 0:
        return 0.0
    yc = y - y.mean()
    return float(np.max(np.abs((A - A.mean(axis=0)).T @ yc)))


def dual_gap(
    A_blocks: list[NDArray] | NDArray,
    y: NDArray,
    z: NDArray,
    bias: float,
    beta: float,
    A: NDArray | None = None,
) -> float:
    """Duality gap of ``(z, bias)``, with the dual constraint checked on ``A_blocks``.

    The dual of the Lasso with free offset is ``max_nu  nu^T y - 0.5 ||nu||^2`` subject to
    ``1^T nu = 0`` and ``||A^T nu||_inf <= beta``. We take the centred residual
    ``r = y - A z - bias`` scaled by ``theta = min(1, beta / ||A^T r||_inf)`` (feasible),
    so the gap is ``P(z, bias) - (theta r^T y - 0.5 theta^2 ||r||^2) >= 0``. ``A_blocks`` may
    be the full raw dictionary (in column blocks): the certificate then holds for every
    candidate, not only the de-duplicated ones.
    """
    A_fit = A if A is not None else A_blocks
    r = y - A_fit @ z - bias
    r = r - r.mean()
    blocks = [A_blocks] if isinstance(A_blocks, np.ndarray) else A_blocks
    corr = max((float(np.max(np.abs(b.T @ r))) for b in blocks if b.size), default=0.0)
    theta = 1.0 if corr <= beta else beta / corr
    dual = theta * float(r @ y) - 0.5 * theta**2 * float(r @ r)
    return max(lasso_objective(A_fit, y, z, bias, beta) - dual, 0.0)


def certificate_tolerance(A: NDArray, z: NDArray, objective: float) -> float:
    """Largest duality gap that still certifies ``z``: ``GAP_RTOL * objective`` + rounding.

    Storing ``z`` in double precision perturbs every correlation ``A_j^T r`` by about
    ``eps max|A| ||z||_1``, hence the gap ``sum_j z_j (beta sigma_j - A_j^T r)`` by about
    ``eps max|A| ||z||_1^2``; the tolerance adds ten times that floor (it only matters for
    near-interpolating fits with large coefficients).
    """
    l1 = float(np.abs(z).sum())
    a = float(np.abs(A).max(initial=0.0))
    return GAP_RTOL * objective + 10 * np.finfo(float).eps * a * l1 * l1


class _ParametrizedLasso:
    """A canonicalized cvxpy problem for fixed ``A, y`` with ``beta`` as a parameter."""

    def __init__(self, A: NDArray, y: NDArray) -> None:
        self.z = cp.Variable(A.shape[1])
        self.bias = cp.Variable()
        self.beta = cp.Parameter(nonneg=True)
        loss = 0.5 * cp.sum_squares(A @ self.z + self.bias - y)
        self.problem = cp.Problem(cp.Minimize(loss + self.beta * cp.norm1(self.z)))

    def solve(self, beta: float, solver: str) -> tuple[NDArray, float, str]:
        self.beta.value = beta
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # inaccuracy is reported via status
            self.problem.solve(solver=solver)
        status = self.problem.status
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or self.z.value is None:
            raise cp.SolverError(f"{solver} returned status {status!r}")
        return np.asarray(self.z.value, dtype=float), float(self.bias.value), status


class _FastLasso:
    """The ``FAST`` solver for fixed ``A, y``: a dual interior-point method plus exact polish.

    Works on the centred data (the free offset is eliminated) scaled to unit size. Keeps the
    last answer: a beta-only change first runs the exact active-set method from it, which
    needs only a few steps when the support changes little.
    """

    def __init__(self, A: NDArray, y: NDArray) -> None:
        self.A = A
        self.y = y
        self.Ac = A - A.mean(axis=0)
        self.yc = y - y.mean()
        self.corr0 = float(np.max(np.abs(self.Ac.T @ self.yc)))  # = beta_max
        self.last: NDArray | None = None  # the previous answer

    def solve(self, beta: float) -> tuple[NDArray, float, str]:
        m = self.A.shape[1]
        if beta >= self.corr0:  # z = 0 is optimal (THEORY.md §7.1)
            return np.zeros(m), float(self.y.mean()), cp.OPTIMAL
        z = None
        if self.last is not None:  # warm start: active set from the previous answer
            z = active_set(self.Ac, self.yc, beta, self.last, max_iter=WARM_START_STEPS)
        if z is None:
            z_ipm = dual_interior_point(self.Ac, self.yc, beta)
            z, _ = polish(self.A, self.y, z_ipm, 0.0, beta)
        bias = float(np.mean(self.y - self.A @ z))
        obj = lasso_objective(self.A, self.y, z, bias, beta)
        gap = dual_gap(self.A, self.y, z, bias, beta)
        if not gap <= certificate_tolerance(self.Ac, z, obj):
            self.last = None
            raise ArithmeticError(f"certificate gap {gap:.1e} above {GAP_RTOL:g} x objective")
        self.last = z
        return z, bias, cp.OPTIMAL


def dual_interior_point(
    Ac: NDArray, yc: NDArray, beta: float, tol: float = 1e-10, max_iter: int = 60
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

    Raises
    ------
    ArithmeticError
        When the iteration does not converge.
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
        raise ArithmeticError(f"interior-point method did not converge (mu = {mu:.1e})")
    return (lam[0] - lam[1]) * (t / a)


_potrf, _potrs = scipy.linalg.lapack.get_lapack_funcs(("potrf", "potrs"), (np.zeros(1),))


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


_CACHE: OrderedDict[bytes, _ParametrizedLasso] = OrderedDict()
_FAST_CACHE: OrderedDict[bytes, _FastLasso] = OrderedDict()
_CACHE_SIZE = 8
#: The cached problems keep state between solves (a cvxpy Parameter, a warm start): one
#: solve at a time per process (threads gain nothing here under the GIL anyway).
_SOLVE_LOCK = threading.Lock()


def _cached(cache: OrderedDict, factory, A: NDArray, y: NDArray, reuse: bool):
    if not reuse:
        return factory(A, y)
    key = A.tobytes() + b"|" + y.tobytes() + repr(A.shape).encode()
    problem = cache.get(key)
    if problem is None:
        problem = factory(A, y)
        cache[key] = problem
        if len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return problem


def _problem_for(A: NDArray, y: NDArray, reuse: bool) -> _ParametrizedLasso:
    return _cached(_CACHE, _ParametrizedLasso, A, y, reuse)


def _fast_for(A: NDArray, y: NDArray, reuse: bool) -> _FastLasso:
    return _cached(_FAST_CACHE, _FastLasso, A, y, reuse)


def _single_threaded_blas():
    """Context manager limiting BLAS to one thread (no-op without ``threadpoolctl``).

    Our matrices are tiny (``n_samples <= 200`` rows): OpenBLAS threads give no speed-up,
    and on a busy 2-core machine their spin-waiting made a 15 ms solve take 200-800 ms
    (BENCHMARKS.md). The controller is created once (~7 ms); entering costs ~20 us.
    """
    global _BLAS_CONTROLLER
    if ThreadpoolController is None:
        return contextlib.nullcontext()
    if _BLAS_CONTROLLER is None:
        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


def solve_lasso(
    A: NDArray,
    y: NDArray,
    beta: float,
    *,
    solver: str = "FAST",
    reuse: bool = True,
    certify_on: list[NDArray] | None = None,
) -> LassoFit:
    """Solve ``min 0.5 ||A z + xi 1 - y||^2 + beta ||z||_1`` over ``z`` and free ``xi``.

    Parameters
    ----------
    A : ndarray of shape (n_samples, M)
    y : ndarray of shape (n_samples,)
    beta : float
        ``beta > 0``.
    solver : str
        First solver to try, one of :data:`SOLVERS`. ``FAST`` (default) falls back to
        ``CLARABEL`` then ``SCS``; ``CLARABEL`` and ``SCS`` fall back to each other.
    reuse : bool
        Reuse a cached problem for the same ``A, y`` (a beta-only change).
    certify_on : list of ndarray, optional
        Column blocks of the full raw dictionary for the certificate (default: ``A``).

    Returns
    -------
    LassoFit

    Raises
    ------
    ValueError
        For a non-positive or non-finite ``beta``, an unknown solver, or when every solver
        fails.
    """
    A = np.ascontiguousarray(A, dtype=float)
    y = np.ascontiguousarray(y, dtype=float)
    if not np.isfinite(beta) or beta <= 0:
        raise ValueError(f"beta must be a positive number, got {beta!r}")
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    if A.shape[1] == 0:  # only constants available: the mean is optimal
        z = np.zeros(0)
        bias = float(y.mean())
        obj = lasso_objective(A, y, z, bias, beta)
        return LassoFit(z, bias, beta, obj, "optimal", "closed form", 0.0)
    if solver == "FAST":
        order = list(SOLVERS)
    else:
        order = [solver] + [s for s in CVXPY_SOLVERS if s != solver]
    errors = []
    for name in order:
        try:
            with _SOLVE_LOCK, _single_threaded_blas():
                if name == "FAST":
                    z, bias, status = _fast_for(A, y, reuse).solve(beta)
                else:
                    z, bias, status = _problem_for(A, y, reuse).solve(beta, name)
                    z, bias = polish(A, y, z, bias, beta)
        except (cp.SolverError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            errors.append(f"{name}: {exc}")
            continue
        message = "; ".join(errors)
        if errors:
            message = f"fell back to {name} ({message})"
        if status != cp.OPTIMAL:
            message = (message + "; " if message else "") + f"{name} reported {status}"
        if status == cp.OPTIMAL:  # same optimum, fewer neurons where the face allows it
            z = sparsest_on_face(A, y, beta, z)
            bias = float(np.mean(y - A @ z))
        gap = dual_gap(certify_on if certify_on is not None else A, y, z, bias, beta, A=A)
        obj = lasso_objective(A, y, z, bias, beta)
        return LassoFit(z, bias, beta, obj, status, name, gap, message)
    raise ValueError("the Lasso could not be solved: " + "; ".join(errors))
