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

The problem is solved with cvxpy (Clarabel by default, SCS as the fallback), with ``beta``
a ``cp.Parameter`` so that moving the beta slider re-solves a cached, already
canonicalized problem. The interior-point answer is then *polished* into a sparse vertex
solution (at most ``N - 1`` nonzeros) with the same fitted values and the smallest
``||z||_1``, and *certified*: the duality gap of the dual point built from the residual
(THEORY.md §7.1, standard Lasso duality) bounds how far the objective can be from optimal.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.optimize
from numpy.typing import NDArray

SOLVERS = ("CLARABEL", "SCS")

#: Coefficients below this fraction of ``max |z|`` are treated as zero.
ZERO_TOL = 1e-6


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
        The solver that produced the answer (``CLARABEL`` or the fallback ``SCS``).
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
    A_blocks: list[NDArray] | NDArray, y: NDArray, z: NDArray, bias: float, beta: float,
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


_CACHE: OrderedDict[bytes, _ParametrizedLasso] = OrderedDict()
_CACHE_SIZE = 8


def _problem_for(A: NDArray, y: NDArray, reuse: bool) -> _ParametrizedLasso:
    if not reuse:
        return _ParametrizedLasso(A, y)
    key = A.tobytes() + b"|" + y.tobytes() + repr(A.shape).encode()
    problem = _CACHE.get(key)
    if problem is None:
        problem = _ParametrizedLasso(A, y)
        _CACHE[key] = problem
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return problem


def solve_lasso(
    A: NDArray,
    y: NDArray,
    beta: float,
    *,
    solver: str = "CLARABEL",
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
        First solver to try; the other one of :data:`SOLVERS` is the fallback.
    reuse : bool
        Reuse a cached canonicalized problem for the same ``A, y`` (a beta-only change).
    certify_on : list of ndarray, optional
        Column blocks of the full raw dictionary for the certificate (default: ``A``).

    Returns
    -------
    LassoFit

    Raises
    ------
    ValueError
        For a non-positive or non-finite ``beta``, or when every solver fails.
    """
    A = np.ascontiguousarray(A, dtype=float)
    y = np.ascontiguousarray(y, dtype=float)
    if not np.isfinite(beta) or beta <= 0:
        raise ValueError(f"beta must be a positive number, got {beta!r}")
    if A.shape[1] == 0:  # only constants available: the mean is optimal
        z = np.zeros(0)
        bias = float(y.mean())
        obj = lasso_objective(A, y, z, bias, beta)
        return LassoFit(z, bias, beta, obj, "optimal", "closed form", 0.0)
    order = [solver] + [s for s in SOLVERS if s != solver]
    errors = []
    for name in order:
        try:
            z, bias, status = _problem_for(A, y, reuse).solve(beta, name)
        except (cp.SolverError, ValueError, ArithmeticError) as exc:
            errors.append(f"{name}: {exc}")
            continue
        z, bias = polish(A, y, z, bias, beta)
        message = "; ".join(errors)
        if errors:
            message = f"fell back to {name} ({message})"
        if status != cp.OPTIMAL:
            message = (message + "; " if message else "") + f"{name} reported {status}"
        gap = dual_gap(certify_on if certify_on is not None else A, y, z, bias, beta, A=A)
        obj = lasso_objective(A, y, z, bias, beta)
        return LassoFit(z, bias, beta, obj, status, name, gap, message)
    raise ValueError("the Lasso could not be solved: " + "; ".join(errors))


def polish(A: NDArray, y: NDArray, z: NDArray, bias: float, beta: float) -> tuple[NDArray, float]:
    """Turn an interior-point solution into a sparse one with the same fitted values.

    The fitted values ``u = A z + xi`` of a Lasso are unique; among all ``(z, xi)`` that
    reproduce them we take a *vertex* of ``min ||z||_1  s.t.  A_c z = u_c`` (``_c``:
    centred), found by the dual simplex method. A vertex has at most ``N - 1`` nonzeros, so
    the rebuilt network uses few neurons; on its support the optimality conditions are then
    solved exactly (removing the solver's tolerance). Among these and the thresholded
    interior-point solution we keep the sparsest within ``1e-9`` of the lowest objective,
    preferring the exact one.
    """
    scale = max(float(np.max(np.abs(z))), 1e-300)
    z_thr = np.where(np.abs(z) > ZERO_TOL * scale, z, 0.0)
    candidates = [z_thr]
    if np.any(z_thr):
        Ac = A - A.mean(axis=0)
        u = A @ z
        m = A.shape[1]
        result = scipy.optimize.linprog(
            c=np.ones(2 * m),
            A_eq=np.hstack([Ac, -Ac]),
            b_eq=u - u.mean(),
            bounds=(0, None),
            method="highs-ds",
        )
        if result.status == 0:
            z_lp = result.x[:m] - result.x[m:]
            lp_scale = max(float(np.max(np.abs(z_lp))), 1e-300)
            z_lp = np.where(np.abs(z_lp) > ZERO_TOL * lp_scale, z_lp, 0.0)
            candidates.insert(0, z_lp)
            refined = _refine_on_support(A, y, z_lp, beta)
            if refined is not None:  # exact on the vertex support: preferred on ties
                candidates.insert(0, refined)
    scored = []
    for cand in candidates:
        offset = float(np.mean(y - A @ cand))
        obj = lasso_objective(A, y, cand, offset, beta)
        scored.append((obj, np.count_nonzero(cand), cand, offset))
    best_obj = min(s[0] for s in scored)
    tol = 1e-9 * max(1.0, abs(best_obj))
    _, _, z_best, bias_best = min((s for s in scored if s[0] <= best_obj + tol), key=lambda s: s[1])
    return z_best, bias_best


def _refine_on_support(A: NDArray, y: NDArray, z: NDArray, beta: float) -> NDArray | None:
    """Exact Lasso solution on the support and signs of ``z``, if they are the right ones.

    On the support ``S`` with signs ``sigma`` the optimality conditions read
    ``A_S,c^T (y_c - A_S,c z_S) = beta sigma``, a linear system (``_c``: centred). Solving it
    removes the interior-point solver's tolerance; we keep the answer only if the signs
    agree, i.e. if ``S`` and ``sigma`` really were optimal.
    """
    support = np.nonzero(z)[0]
    Ac = A[:, support] - A[:, support].mean(axis=0)
    yc = y - y.mean()
    sigma = np.sign(z[support])
    gram = Ac.T @ Ac
    try:
        z_s = np.linalg.solve(gram, Ac.T @ yc - beta * sigma)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(z_s)) or np.any(np.sign(z_s) != sigma):
        return None
    out = np.zeros_like(z)
    out[support] = z_s
    return out
