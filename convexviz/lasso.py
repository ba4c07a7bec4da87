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

:func:`solve_lasso` takes four steps:

1. **raw solve**, by one of two solvers chosen by measurement (BENCHMARKS.md):

   * ``FAST`` (the default): the dual interior-point method of :mod:`convexviz.dual_ipm`
     (Newton systems of size ``n_samples x n_samples``; a few milliseconds where a fresh
     cvxpy problem costs 10-60 ms, most of it canonicalization). A beta-only change first
     runs a few exact active-set steps from the previous answer;
   * ``CLARABEL`` / ``SCS`` through cvxpy: the reference path and the fallback. ``beta`` is
     a ``cp.Parameter`` so that moving the beta slider re-solves a cached, already
     canonicalized problem;

2. **polish** (:func:`convexviz.polish.polish`): a vertex solution (at most ``N - 1``
   nonzeros) with the same fitted values, solved exactly on its support;
3. **sparsest vertex** (:func:`convexviz.polish.sparsest_on_face`): fewer neurons where
   the optimal face allows it, same optimum;
4. **certificate** (:func:`dual_gap`, computed once): the duality gap of the dual point
   built from the residual (THEORY.md §7.1, standard Lasso duality), with the dual
   constraint checked on every raw candidate column when the caller passes them. It bounds
   how far the objective can be from optimal. The ``FAST`` answer is accepted only when the
   gap is below :data:`GAP_RTOL` times the objective (plus the rounding floor of
   :func:`certificate_tolerance`); otherwise cvxpy takes over (and the fit says so).

A solver that fails raises :class:`~convexviz.dual_ipm.SolverFailedError` (or cvxpy's
``SolverError``); only those make :func:`solve_lasso` try the next solver.
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import cvxpy as cp
import numpy as np
from numpy.typing import NDArray

from .deadline import Deadline, check
from .dual_ipm import SolverFailedError, dual_interior_point
from .polish import active_set, polish, sparsest_on_face

#: Column blocks of every raw candidate on the training inputs, for the certificate.
CandidateBlocks = Callable[[], Iterable[NDArray]]

#: Every solver name: the specialized dual interior-point method, then cvxpy's.
SOLVERS = ("FAST", "CLARABEL", "SCS")

#: The solvers reached through cvxpy (reference path and fallback).
CVXPY_SOLVERS = ("CLARABEL", "SCS")

#: Each cvxpy solver's own time-limit setting (used with a deadline: a cvxpy solve cannot
#: be interrupted from outside, so the solver is told how long it may take).
_TIME_LIMIT = {"CLARABEL": "time_limit", "SCS": "time_limit_secs"}

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
        exactly when ``(z, bias)`` is optimal. The dual constraint is checked on the
        ``candidates`` given to :func:`solve_lasso` (from :func:`convexviz.fit.fit`: every
        raw candidate feature), else on ``A``.
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
    A: NDArray,
    y: NDArray,
    z: NDArray,
    bias: float,
    beta: float,
    candidates: Iterable[NDArray] | None = None,
) -> float:
    """Duality gap of ``(z, bias)``, with the dual constraint checked on ``candidates``.

    The dual of the Lasso with free offset is ``max_nu  nu^T y - 0.5 ||nu||^2`` subject to
    ``1^T nu = 0`` and ``||B^T nu||_inf <= beta`` for every candidate column ``B``. We take
    the centred residual ``r = y - A z - bias`` scaled by
    ``theta = min(1, beta / max_B ||B^T r||_inf)`` (feasible), so the gap is
    ``P(z, bias) - (theta r^T y - 0.5 theta^2 ||r||^2) >= 0``.

    Parameters
    ----------
    A : ndarray of shape (n_samples, M)
        The matrix ``z`` multiplies.
    y : ndarray of shape (n_samples,)
    z : ndarray of shape (M,)
    bias, beta : float
    candidates : iterable of ndarray of shape (n_samples, k), optional
        Column blocks on which the dual constraint is checked (default: ``A``). Passing the
        full raw dictionary makes the certificate hold for every candidate feature, not
        only the de-duplicated ones in ``A``.
    """
    r = y - A @ z - bias
    r = r - r.mean()
    blocks = [A] if candidates is None else candidates
    corr = max((float(np.max(np.abs(b.T @ r))) for b in blocks if b.size), default=0.0)
    theta = 1.0 if corr <= beta else beta / corr
    dual = theta * float(r @ y) - 0.5 * theta**2 * float(r @ r)
    return max(lasso_objective(A, y, z, bias, beta) - dual, 0.0)


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


@dataclass(frozen=True, eq=False)
class _RawAnswer:
    """Step 1's answer: coefficients, offset, cvxpy status, and whether it is already exact.

    ``exact`` answers come from the active-set method (an exact optimum on independent
    columns) and skip the polish step.
    """

    z: NDArray
    bias: float
    status: str
    exact: bool


class _ParametrizedLasso:
    """A canonicalized cvxpy problem for fixed ``A, y`` with ``beta`` as a parameter."""

    def __init__(self, A: NDArray, y: NDArray) -> None:
        self.z = cp.Variable(A.shape[1])
        self.bias = cp.Variable()
        self.beta = cp.Parameter(nonneg=True)
        loss = 0.5 * cp.sum_squares(A @ self.z + self.bias - y)
        self.problem = cp.Problem(cp.Minimize(loss + self.beta * cp.norm1(self.z)))

    def solve(self, beta: float, solver: str, time_limit: float | None = None) -> _RawAnswer:
        """Raw answer at ``beta``; raises ``cp.SolverError`` when ``solver`` fails.

        ``time_limit`` (seconds, optional) is handed to the solver, which then stops with a
        non-optimal status: a ``cp.SolverError`` here.
        """
        self.beta.value = beta
        options = {} if time_limit is None else {_TIME_LIMIT[solver]: max(time_limit, 1e-3)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # inaccuracy is reported via status
            self.problem.solve(solver=solver, **options)
        status = self.problem.status
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or self.z.value is None:
            raise cp.SolverError(f"{solver} returned status {status!r}")
        z = np.asarray(self.z.value, dtype=float)
        return _RawAnswer(z, float(self.bias.value), status, exact=False)


class _FastLasso:
    """The ``FAST`` solver for fixed ``A, y``: the dual interior-point method, warm-started.

    Works on the centred data (the free offset is eliminated). Keeps the last certified
    answer: a beta-only change first runs the exact active-set method from it, which needs
    only a few steps when the support changes little.
    """

    def __init__(self, A: NDArray, y: NDArray) -> None:
        self.A = A
        self.y = y
        self.Ac = A - A.mean(axis=0)
        self.yc = y - y.mean()
        self.corr0 = float(np.max(np.abs(self.Ac.T @ self.yc)))  # = beta_max
        self.last: NDArray | None = None  # the previous certified answer

    def solve(self, beta: float, deadline: Deadline | None = None) -> _RawAnswer:
        """Raw answer at ``beta``; raises :class:`SolverFailedError` if the IPM fails
        (and :class:`~convexviz.deadline.FitDeadlineError` past ``deadline``)."""
        if beta >= self.corr0:  # z = 0 is optimal (THEORY.md §7.1)
            return _RawAnswer(np.zeros(self.A.shape[1]), float(self.y.mean()), cp.OPTIMAL, True)
        if self.last is not None:  # warm start: active set from the previous answer
            z = active_set(
                self.Ac, self.yc, beta, self.last, max_iter=WARM_START_STEPS, deadline=deadline
            )
            if z is not None:
                return _RawAnswer(z, float(np.mean(self.y - self.A @ z)), cp.OPTIMAL, True)
        z = dual_interior_point(self.Ac, self.yc, beta, deadline=deadline)
        return _RawAnswer(z, 0.0, cp.OPTIMAL, False)

    def accept(self, z: NDArray, objective: float, gap: float) -> None:
        """Keep ``z`` for the next warm start if ``gap`` certifies it, else raise.

        Raises
        ------
        SolverFailedError
            When ``gap`` exceeds :func:`certificate_tolerance` (the warm start is dropped).
        """
        if not gap <= certificate_tolerance(self.Ac, z, objective):
            self.last = None
            raise SolverFailedError(f"certificate gap {gap:.1e} above {GAP_RTOL:g} x objective")
        self.last = z


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
    candidates: CandidateBlocks | None = None,
    deadline: Deadline | None = None,
) -> LassoFit:
    """Solve ``min 0.5 ||A z + xi 1 - y||^2 + beta ||z||_1`` over ``z`` and free ``xi``.

    Raw solve, polish, sparsest vertex, certificate (module docstring); on a solver failure
    the next solver is tried.

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
    candidates : callable, optional
        Returns the column blocks of every raw candidate feature on the training inputs;
        the certificate's dual constraint is checked on them (default: on ``A``). A
        callable, because a fallback certifies a second answer.
    deadline : Deadline, optional
        Checked before each solver and inside the interior-point iterations, the polish
        and the certificate; time spent waiting for another solve (the process-wide lock)
        is added to it, since the fit is not working then.

    Returns
    -------
    LassoFit

    Raises
    ------
    FitDeadlineError
        When ``deadline`` passes (a ``ValueError``; no fallback solver is tried then).
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
    errors: list[str] = []
    for name in _solver_order(solver):
        check(deadline, f"the {'first' if not errors else 'fallback'} solve")
        try:
            waiting = time.perf_counter()
            with _SOLVE_LOCK, _single_threaded_blas():
                if deadline is not None:
                    deadline = deadline.extended(time.perf_counter() - waiting)
                answer = _solve_with(name, A, y, beta, reuse, candidates, deadline)
        except (SolverFailedError, cp.SolverError) as exc:
            errors.append(f"{name}: {exc}")
            continue
        notes = [f"fell back to {name} ({'; '.join(errors)})"] if errors else []
        if answer.status != cp.OPTIMAL:
            notes.append(f"{name} reported {answer.status}")
        return replace(answer, message="; ".join(notes))
    raise LassoUnsolvedError(errors)


class LassoUnsolvedError(ValueError):
    """Every solver failed to reach a certified optimum.

    The message is for students (no solver code names); ``details`` lists each solver's
    own failure, for the command line's JSON and for bug reports.
    """

    def __init__(self, details: list[str]) -> None:
        super().__init__(
            "the Lasso could not be solved to a certified optimum on these data (often x and "
            "y on very different scales with a tiny beta: try a larger beta or rescaled points)"
        )
        self.details = tuple(details)


def _solver_order(first: str) -> list[str]:
    """``FAST`` then every cvxpy solver; a cvxpy solver first, then the other one."""
    if first == "FAST":
        return list(SOLVERS)
    return [first] + [s for s in CVXPY_SOLVERS if s != first]


def _solve_with(
    name: str,
    A: NDArray,
    y: NDArray,
    beta: float,
    reuse: bool,
    candidates: CandidateBlocks | None,
    deadline: Deadline | None = None,
) -> LassoFit:
    """The four steps with one solver (caller holds the lock). Raises on solver failure,
    and :class:`~convexviz.deadline.FitDeadlineError` when ``deadline`` passes."""
    fast = _fast_for(A, y, reuse) if name == "FAST" else None
    # 1. raw solve (a cvxpy solver gets the time left as its own time limit)
    if fast is not None:
        raw = fast.solve(beta, deadline)
    elif deadline is None:
        raw = _problem_for(A, y, reuse).solve(beta, name)
    else:
        raw = _problem_for(A, y, reuse).solve(beta, name, deadline.remaining())
    check(deadline, "the solve")
    # 2. polish: an exact vertex with the same fitted values
    if raw.exact:
        z, bias = raw.z, raw.bias
    else:
        z, bias = polish(A, y, raw.z, raw.bias, beta, deadline=deadline)
    # 3. sparsest vertex: same optimum, fewer neurons where the optimal face allows it
    if raw.status == cp.OPTIMAL:
        z = sparsest_on_face(A, y, beta, z, deadline=deadline)
        bias = float(np.mean(y - A @ z))
    # 4. certificate, once, over every candidate
    objective = lasso_objective(A, y, z, bias, beta)
    blocks = None if candidates is None else _checked(candidates(), deadline, "the certificate")
    gap = dual_gap(A, y, z, bias, beta, blocks)
    if fast is not None:
        fast.accept(z, objective, gap)
    return LassoFit(z, bias, beta, objective, raw.status, name, gap)


def _checked(blocks: Iterable[NDArray], deadline: Deadline | None, stage: str):
    """The blocks of ``blocks``, checking ``deadline`` as each one is evaluated."""
    for block in blocks:
        check(deadline, stage)
        yield block
