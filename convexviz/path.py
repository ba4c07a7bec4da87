"""The exact regularization path of the Lasso with a free offset (issue 8, item 2).

For every ``beta`` in ``[beta_min, beta_max]`` we want a solution of

.. math::

    \\min_{z,\\ \\xi}\\ \\tfrac12 \\|A z + \\xi 1 - y\\|_2^2 + \\beta \\|z\\|_1 .

The offset is free, so it is eliminated by centring: with ``A_c``, ``y_c`` the column-centred
matrix and centred targets, ``z`` solves ``min 0.5 ||A_c z - y_c||^2 + beta ||z||_1`` and
``xi = mean(y) - mean(A, axis=0) z``. The optimality conditions, with correlations
``c(beta) = A_c^T (y_c - A_c z)``, are

.. math:: c_j = \\beta\\, \\sigma_j \\ (z_j \\ne 0,\\ \\sigma_j = \\mathrm{sign}\\, z_j),
          \\qquad |c_j| \\le \\beta \\ (z_j = 0).

**Piecewise linear.** On a support ``S`` with signs ``sigma`` (independent columns) the
first condition is the linear system ``G z_S = A_{Sc}^T y_c - beta sigma`` with
``G = A_{Sc}^T A_{Sc}``, so

.. math:: z_S(\\beta) = p - \\beta q, \\quad p = G^{-1} A_{Sc}^T y_c, \\quad q = G^{-1}\\sigma,
          \\qquad c(\\beta) = c^0 + \\beta d,

linear in ``beta`` as long as ``S`` and ``sigma`` stay valid. Going down from
``beta_max = ||A_c^T y_c||_inf`` (where ``z = 0``), a *knot* is the largest ``beta`` below
the current one at which either a coefficient reaches zero (``beta = p_j / q_j``: it
leaves ``S``) or an inactive correlation reaches ``+-beta`` (``beta = +-c^0_j / (1 -+ d_j)``:
it joins ``S`` with that sign). This is the homotopy method (LARS with the lasso
modification; Osborne, Presnell & Turlach 2000; Efron et al. 2004).

**Checked, not trusted.** Each segment is accepted only when both ends meet every
optimality condition (signs on ``S``, ``|c_j| <= beta`` off ``S``, to rounding): the
conditions are linear in ``beta`` along the segment, so the ends imply every ``beta`` in
between, and linear interpolation of ``z`` is then the exact solution. Each knot is also
certified by the duality gap of :func:`convexviz.lasso.dual_gap`.

**Ties.** Near-ties (several events at one ``beta``) and degenerate steps (a singular
``G``, columns that stay at ``|c_j| = beta`` because they are combinations of active ones)
can break the homotopy. There we *fall back to solves*: :func:`~convexviz.lasso.solve_lasso`
just below the knot gives an exact solution whose support and signs define the next
segment, and the homotopy restarts from it. If no solve within
:data:`MAX_FALLBACK_SOLVES` gives a segment certified at both ends, the path *stops* at
that knot: it is returned down to there (every knot certified) with ``stopped_at`` and
``stop_reason`` saying where and why, never extended by an uncertified piece.

**Rounding.** Near interpolation the active columns are nearly dependent (``cond(G)``
up to ``1e10``) and the coefficients large, while the duality gap is sensitive to the
largest correlation (it scales the dual point). So each solve on a support is refined
with residuals computed from the columns (not the rounded ``G``), each knot's ``z`` is
solved at its own ``beta`` (``p - beta q`` cancels digits there), and the optimality
conditions allow the rounding of correlations computed from ``z`` stored in double.

**Which solution.** Where the optimum is not unique (deep dictionaries) the path gives one
optimal solution per ``beta``: a vertex of the optimal face (independent support) reached
by the homotopy, not necessarily the sparsest vertex that :func:`convexviz.fit.fit`
polishes to. The *objective* (and the fitted values) are the same, since they are unique.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from .dictionary import Dictionary
from .lasso import (
    _single_threaded_blas,
    certificate_tolerance,
    dual_gap,
    lasso_objective,
    solve_lasso,
)

#: Default ``beta_min / beta_max``.
DEFAULT_RATIO = 1e-4

#: Events closer than this (relative) to the current ``beta`` count as simultaneous (ties).
#: Kept at the rounding level: merging two events ``delta beta`` apart moves ``z`` by
#: ``|q| delta beta``, and near-collinear columns give steep lines (``|q| ~ 1e4``), so a
#: near-tie farther apart is resolved as a short segment of its own.
TIE_RTOL = 1e-11

#: Optimality conditions must hold to this relative tolerance at both ends of a segment.
KKT_RTOL = 1e-9

#: Correlations ``c_j = A_j^T (y_c - A_S z_S)`` computed from ``z`` stored in double are
#: off by up to about ``n eps |A_j|^T (|y_c| + |A_S| |z_S|)``; the optimality conditions
#: allow this many ulps of that magnitude (the duality-gap certificate is not loosened).
CORRELATION_ROUNDING = 16 * np.finfo(float).eps

#: Denominators ``1 -+ d_j`` below this: the correlation moves with ``beta`` (no event).
SLOPE_TOL = 1e-9

#: Steps of iterative refinement of each line's solve. The residuals are computed from the
#: columns (``A_S^T (A_S p - y)``, ``A_S^T A_S q - sigma``), not from the rounded Gram matrix:
#: the correlations on the support then hold to rounding in ``A`` rather than in
#: ``cond(G) eps``, which the duality-gap certificate needs with large coefficients.
REFINEMENT_STEPS = 2

#: Solves tried below one knot before giving up (each one reveals a segment).
MAX_FALLBACK_SOLVES = 12

#: At most this many homotopy steps (joins and leaves) per path.
MAX_STEPS = 5_000


@dataclass(frozen=True, eq=False)
class PathSegment:
    """One linear piece of the path: ``z`` on ``[beta_lo, beta_hi]`` restricted to ``support``.

    ``z_S(beta) = z_lo + (beta - beta_lo) / (beta_hi - beta_lo) (z_hi - z_lo)``; the offset
    is affine in ``z``, so it interpolates the same way between ``offset_lo`` and
    ``offset_hi``.
    """

    beta_hi: float
    beta_lo: float
    support: NDArray[np.int_]
    z_hi: NDArray[np.float64]
    z_lo: NDArray[np.float64]
    offset_hi: float
    offset_lo: float

    @property
    def n_active(self) -> int:
        """Nonzero coefficients inside the segment (a coefficient may be zero at an end)."""
        return int(np.count_nonzero((self.z_hi != 0) | (self.z_lo != 0)))

    def at(self, beta: float) -> tuple[NDArray[np.float64], float]:
        """``(z_S, offset)`` at ``beta`` in ``[beta_lo, beta_hi]``."""
        t = (beta - self.beta_lo) / (self.beta_hi - self.beta_lo)
        return self.z_lo + t * (self.z_hi - self.z_lo), self.offset_lo + t * (
            self.offset_hi - self.offset_lo
        )


@dataclass(frozen=True, eq=False)
class RegularizationPath:
    """The exact solution path ``beta -> (z(beta), xi(beta))`` from ``beta_max`` down.

    Attributes
    ----------
    beta_max : float
        ``||A_c^T y_c||_inf``: ``z = 0`` is optimal for every ``beta >= beta_max``.
    betas : ndarray of shape (K,)
        Knots, strictly decreasing: ``betas[0] = beta_max``, ``betas[-1] <= beta_min``
        (``betas[-1]`` is ``beta_min`` itself unless the path has no knot below it), or
        ``betas[-1] = stopped_at`` when the path stopped early.
    z : ndarray of shape (K, M)
        The solution at each knot (at an interior knot: the start of the segment below).
    offsets : ndarray of shape (K,)
        The free offset ``xi`` at each knot.
    objectives : ndarray of shape (K,)
        The Lasso optimum ``0.5 ||A z + xi - y||^2 + beta ||z||_1`` at each knot.
    gaps : ndarray of shape (K,)
        Duality gap certifying each knot (:func:`convexviz.lasso.dual_gap`).
    segments : tuple of PathSegment
        ``segments[k]`` covers ``[betas[k+1], betas[k]]`` (``K - 1`` of them).
    n_fallbacks : int
        Knots where the homotopy was restarted from a solve (ties, degenerate steps).
    stopped_at : float or None
        ``None`` when the path reaches the ``beta_min`` asked for. Otherwise the path could
        not be continued below this ``beta`` (its last knot, certified like every other):
        the path is exact from ``beta_max`` down to it and unknown below.
    stop_reason : str
        Why the path stopped early (``""`` when it did not).
    """

    beta_max: float
    betas: NDArray[np.float64]
    z: NDArray[np.float64]
    offsets: NDArray[np.float64]
    objectives: NDArray[np.float64]
    gaps: NDArray[np.float64]
    segments: tuple[PathSegment, ...]
    n_fallbacks: int = 0
    stopped_at: float | None = None
    stop_reason: str = ""

    @property
    def n_knots(self) -> int:
        return int(self.betas.size)

    @property
    def n_active(self) -> NDArray[np.int_]:
        """Nonzero coefficients per segment, shape ``(K - 1,)`` (below knot ``k``)."""
        return np.array([s.n_active for s in self.segments], dtype=int)

    @property
    def ever_active(self) -> NDArray[np.int_]:
        """Sorted column indices that are nonzero somewhere on the path."""
        return np.flatnonzero(np.any(self.z != 0, axis=0))

    def at(self, beta: float) -> tuple[NDArray[np.float64], float]:
        """The solution ``(z, xi)`` at any ``beta > 0`` in O(log K + nnz) (plus a zero vector).

        For ``beta >= beta_max`` it is ``(0, mean(y))``. Below the last knot the path is
        not known: ``ValueError``.
        """
        beta = float(beta)
        if not np.isfinite(beta) or beta <= 0:
            raise ValueError(f"beta must be a positive number, got {beta!r}")
        if beta >= self.betas[0] or not self.segments:
            if beta < self.betas[-1]:
                raise ValueError(f"beta={beta:g} is below the path's last knot")
            return self.z[0].copy(), float(self.offsets[0])
        if beta < self.betas[-1]:
            hint = (
                f"the path stopped there: {self.stop_reason}"
                if self.stopped_at is not None
                else "compute the path with a smaller beta_min"
            )
            raise ValueError(
                f"beta={beta:g} is below the path's last knot {self.betas[-1]:g}; {hint}"
            )
        # betas decreasing: segment k holds betas[k+1] <= beta <= betas[k] (binary search)
        k = int(np.searchsorted(-self.betas, -beta, side="right")) - 1
        k = min(max(k, 0), len(self.segments) - 1)
        segment = self.segments[k]
        z = np.zeros(self.z.shape[1])
        z_s, offset = segment.at(beta)
        z[segment.support] = z_s
        return z, float(offset)

    def number_of_neurons(self, beta: float) -> int:
        """``nnz z(beta)`` (the number of neurons of the network at ``beta``)."""
        return int(np.count_nonzero(self.at(beta)[0]))


# ---------------------------------------------------------------- public entry points


def regularization_path(
    dictionary: Dictionary, y: object, beta_min: float | None = None
) -> RegularizationPath:
    """The exact path over a fit's distinct dictionary (``dictionary.A`` on its ``x_train``).

    Parameters
    ----------
    dictionary : Dictionary
        From :func:`convexviz.dictionary.build_dictionary`.
    y : array_like of shape (n_samples,)
        Targets at ``dictionary.x_train``.
    beta_min : float, optional
        Lowest ``beta`` wanted (default ``beta_max * 1e-4``).

    Returns
    -------
    RegularizationPath

    Examples
    --------
    >>> from convexviz import Architecture, build_dictionary
    >>> d = build_dictionary([0, 4, 5, 7, 10, 11], Architecture("relu", 2))
    >>> y = [0, 0, 0, 2, 3, 3]
    >>> path = regularization_path(d, y)
    >>> bool(path.betas[0] == path.beta_max), path.number_of_neurons(3.0)
    (True, 2)
    >>> from convexviz.lasso import lasso_objective, solve_lasso
    >>> z, xi = path.at(0.01)  # the same optimum as a solve (maybe another optimal z)
    >>> reference = solve_lasso(d.A, y, 0.01).objective
    >>> bool(abs(lasso_objective(d.A, y, z, xi, 0.01) - reference) < 1e-9 * reference)
    True
    """
    return lasso_path(dictionary.A, y, beta_min)


def lasso_path(A: object, y: object, beta_min: float | None = None) -> RegularizationPath:
    """The exact path of ``min 0.5 ||A z + xi 1 - y||^2 + beta ||z||_1`` for any matrix ``A``.

    See the module docstring for the method. Raises ``ValueError`` on bad input (shapes,
    non-finite values, ``beta_min <= 0``). Where the path cannot be continued below some
    knot (ties that neither the homotopy nor solves just below it resolve in double
    precision), the path down to that knot is returned with ``stopped_at`` and
    ``stop_reason`` saying where and why.
    """
    A_arr = np.ascontiguousarray(A, dtype=float)
    y_arr = np.ascontiguousarray(y, dtype=float).ravel()
    if A_arr.ndim != 2 or A_arr.shape[0] != y_arr.size or y_arr.size == 0:
        raise ValueError(f"A must be (n, M) and y (n,), got {A_arr.shape} and {y_arr.shape}")
    if not (np.all(np.isfinite(A_arr)) and np.all(np.isfinite(y_arr))):
        raise ValueError("A and y must be finite")
    if beta_min is not None and not (np.isfinite(beta_min) and beta_min > 0):
        raise ValueError(f"beta_min must be a positive number, got {beta_min!r}")
    with _single_threaded_blas():  # tiny matrices: BLAS threads only spin (lasso.py)
        return _Homotopy(A_arr, y_arr).run(beta_min)


# ---------------------------------------------------------------- the homotopy


@dataclass(frozen=True)
class _Line:
    """``z_S(beta) = p - beta q`` and ``c(beta) = c0 + beta d`` on one support."""

    support: NDArray[np.int_]
    signs: NDArray[np.float64]
    p: NDArray[np.float64]
    q: NDArray[np.float64]
    c0: NDArray[np.float64]
    d: NDArray[np.float64]
    chol: NDArray[np.float64] | None = None  # Cholesky factor of G (None: empty support)

    def z(self, beta: float) -> NDArray[np.float64]:
        return self.p - beta * self.q


class _PathStoppedError(Exception):
    """The path cannot be continued below the current knot (the message says why)."""


class _Homotopy:
    """State of one path computation on fixed ``A, y`` (centred once)."""

    def __init__(self, A: NDArray, y: NDArray) -> None:
        self.A, self.y = A, y
        self.col_mean = A.mean(axis=0)
        self.Ac = A - self.col_mean
        self.yc = y - y.mean()
        self.corr_y = self.Ac.T @ self.yc
        self.beta_max = float(np.max(np.abs(self.corr_y), initial=0.0))
        self.rounding = 1e-13 * float(np.abs(self.Ac).max(initial=0.0) * np.abs(self.yc).sum())
        self.abs_Ac, self.abs_yc = np.abs(self.Ac), np.abs(self.yc)
        self.n_fallbacks = 0

    # -- the pieces

    def line(self, support: NDArray, signs: NDArray) -> _Line | None:
        """The linear solution on ``support`` with ``signs``; ``None`` if ``G`` is singular."""
        if support.size == 0:  # z = 0: the correlations do not move with beta
            empty = np.zeros(0)
            return _Line(support, empty, empty, empty, self.corr_y, np.zeros_like(self.corr_y))
        cols = self.Ac[:, support]
        gram = cols.T @ cols
        rhs = np.column_stack([cols.T @ self.yc, signs])
        try:
            chol = np.linalg.cholesky(gram)
        except np.linalg.LinAlgError:
            return None
        diag = np.abs(np.diagonal(chol))
        if not diag.size or diag.min() < 1e-7 * diag.max():
            return None
        sol = _cho_solve(chol, rhs)
        target = np.column_stack([np.zeros_like(signs), signs])
        for _ in range(REFINEMENT_STEPS):  # residuals from the columns, not from `gram`
            fitted = cols @ sol
            fitted[:, 0] -= self.yc
            sol -= _cho_solve(chol, cols.T @ fitted - target)
        p, q = sol[:, 0], sol[:, 1]
        c0 = self.corr_y - self.Ac.T @ (cols @ p)
        d = self.Ac.T @ (cols @ q)
        return _Line(support, signs, p, q, c0, d, chol)

    def z_at(self, line: _Line, beta: float) -> NDArray:
        """``z_S(beta)`` on ``line``, solved at ``beta`` itself to rounding.

        ``p - beta q`` loses digits to cancellation where ``p`` and ``beta q`` are large
        (near interpolation); the duality gap is sensitive to the largest correlation
        (it scales the dual point), so knots are polished by refinement steps on
        ``G z = A_S^T y_c - beta sigma`` with residuals from the columns.
        """
        z = line.z(beta)
        if line.chol is None:
            return z
        z = self._refined(line.support, line.signs, line.chol, z, beta)
        # at a leave knot the leaving coefficient is zero; rounding in a steep line (large
        # p_j, q_j) can leave it a hair past zero, with the wrong sign, which the gap
        # would see: set it to zero and solve the others at beta without it
        wrong = line.signs * z < 0
        if wrong.any() and np.all(
            np.abs(z[wrong]) <= 1e-9 * (np.abs(line.p) + beta * np.abs(line.q))[wrong]
        ):
            keep = ~wrong
            z[wrong] = 0.0
            if keep.any():
                cols = self.Ac[:, line.support[keep]]
                try:
                    chol = np.linalg.cholesky(cols.T @ cols)
                except np.linalg.LinAlgError:
                    return z
                z[keep] = self._refined(line.support[keep], line.signs[keep], chol, z[keep], beta)
        return z

    def _refined(
        self, support: NDArray, signs: NDArray, chol: NDArray, z: NDArray, beta: float
    ) -> NDArray:
        """``z`` after refinement steps on ``G z = A_S^T y_c - beta sigma``."""
        cols = self.Ac[:, support]
        z = z.copy()
        for _ in range(REFINEMENT_STEPS):
            z -= _cho_solve(chol, cols.T @ (cols @ z - self.yc) + beta * signs)
        return z

    def next_event(
        self,
        line: _Line,
        beta: float,
        skipped: set[int] | frozenset[int] = frozenset(),
        strict: bool = False,
        below: float | None = None,
    ) -> tuple[float, list[tuple[str, int, float]]]:
        """The largest event ``beta'`` below ``beta`` (or 0) and every event within
        :data:`TIE_RTOL` of it: ``("leave", j, 0)`` or ``("join", j, sign)``.

        By default events up to ``beta (1 + TIE_RTOL)`` count (those *at* the knot);
        ``strict`` keeps only those below ``beta (1 - TIE_RTOL)`` (the knot's own events
        were applied), ``below`` only those below a point where the line is known valid.
        Columns in ``skipped`` (combinations of active ones) are left out.
        """
        # sigma_j z_j(beta') shrinks as beta' decreases iff sigma_j q_j < 0
        shrinking = line.signs * line.q < 0
        with np.errstate(divide="ignore", invalid="ignore"):
            leave = np.where(shrinking, line.p / line.q, -np.inf)
        # a coefficient already zero at beta to rounding leaves here, even if its computed
        # zero lies a hair above beta (a steep line amplifies rounding in p_j / q_j)
        at_zero = np.abs(line.z(beta)) <= 1e-9 * (np.abs(line.p) + beta * np.abs(line.q))
        leave = np.where(shrinking & at_zero & (leave >= beta), beta, leave)
        inactive = np.ones(self.Ac.shape[1], dtype=bool)
        inactive[line.support] = False
        inactive[list(skipped)] = False
        roots = [leave]
        for sign in (1.0, -1.0):
            slope = 1.0 - sign * line.d  # sign * c_j(beta) - beta = sign c0 - beta slope
            with np.errstate(divide="ignore", invalid="ignore"):
                root = np.where(slope > SLOPE_TOL, sign * line.c0 / slope, -np.inf)
            # a correlation at +-beta to rounding joins here, even if its computed root lies
            # a hair above beta (a small slope amplifies rounding in c0_j / slope)
            excess = sign * (line.c0 + beta * line.d) - beta
            at_bound = (slope > SLOPE_TOL) & (excess <= KKT_RTOL * beta + self.rounding)
            roots.append(np.where(inactive, np.where(at_bound & (root >= beta), beta, root), -1))
        # every candidate event: leaves (in support order), joins with +1, joins with -1
        where = np.concatenate(roots)
        ok = (where > 0) & (where < beta * (1 + TIE_RTOL))
        if strict:  # only events strictly below beta (simultaneous ones were applied)
            ok &= where < beta * (1 - TIE_RTOL)
        if below is not None:  # only events below a point where the line is known valid
            ok &= where < below
        if not ok.any():
            return 0.0, []
        top = float(where[ok].max())
        n_support = line.support.size
        ties: list[tuple[str, int, float]] = []
        for k in np.flatnonzero(ok & (where >= top - TIE_RTOL * beta)):
            if k < n_support:
                ties.append(("leave", int(line.support[k]), 0.0))
            else:
                side, j = divmod(int(k) - n_support, self.Ac.shape[1])
                ties.append(("join", j, 1.0 if side == 0 else -1.0))
        return min(top, beta), ties

    def optimal(self, line: _Line, beta: float, z_s: NDArray) -> bool:
        """Every optimality condition at ``beta`` for ``z_s`` on ``line.support``, to rounding,
        and the duality-gap certificate of :func:`convexviz.lasso.dual_gap`."""
        return (
            self.kkt(line, beta, z_s)
            and self.certified(*self.knot(beta, line.support, z_s), beta)[2]
        )

    def kkt(self, line: _Line, beta: float, z_s: NDArray) -> bool:
        """The optimality conditions (signs on the support, ``|c_j| <= beta`` off it)."""
        rounding = 1e-9 * (np.abs(line.p) + beta * np.abs(line.q))
        if np.any(line.signs * z_s < -rounding):
            return False
        cols = self.Ac[:, line.support]
        c = self.Ac.T @ (self.yc - cols @ z_s)  # from z, not c0 + beta d
        # rounding of c itself: z_s is stored in double, so each residual carries about
        # eps (|y_c| + |A_S| |z_S|), and each correlation sums those weighted by |A_j|
        magnitude = self.abs_Ac.T @ (self.abs_yc + np.abs(cols) @ np.abs(z_s))
        slack = KKT_RTOL * beta + self.rounding + CORRELATION_ROUNDING * magnitude
        off = np.ones(c.size, dtype=bool)
        off[line.support] = False
        if np.any(np.abs(c[off]) > beta + slack[off]):
            return False
        on = slack[line.support]
        return bool(np.all(np.abs(c[line.support] - beta * line.signs) <= on))

    def knot(self, beta: float, support: NDArray, z_s: NDArray) -> tuple[NDArray, float]:
        z = np.zeros(self.Ac.shape[1])
        z[support] = z_s
        return z, float(self.y.mean() - self.col_mean @ z)

    def certified(self, z: NDArray, offset: float, beta: float) -> tuple[float, float, bool]:
        objective = lasso_objective(self.A, self.y, z, offset, beta)
        gap = dual_gap(self.A, self.y, z, offset, beta)
        return objective, gap, gap <= certificate_tolerance(self.A, z, objective)

    # -- getting a valid line below a knot

    def line_below(self, beta: float, support: list[int], signs: list[float]) -> _Line | None:
        """The valid line just below the knot ``beta``, from the line above it (or ``None``).

        Applies the events at ``beta`` (several when there are ties) one at a time: a leave
        drops its column; a join adds its column unless that makes ``G`` singular (the
        column is then a combination of active ones and its correlation stays at
        ``+-beta`` by itself). Stops when the next event lies strictly below ``beta``.
        """
        support, signs = list(support), list(signs)
        skipped: set[int] = set()
        line = self.line(np.array(support, dtype=int), np.array(signs))
        for _ in range(4 * self.Ac.shape[0] + 10):
            if line is None:
                return None
            beta_next, ties = self.next_event(line, beta, skipped)
            if beta_next < beta * (1 - TIE_RTOL):
                return line
            kind, j, sign = ties[0]
            if kind == "leave":
                k = support.index(j)
                support.pop(k)
                signs.pop(k)
                line = self.line(np.array(support, dtype=int), np.array(signs))
                continue
            trial = self.line(np.array([*support, j], dtype=int), np.array([*signs, sign]))
            if trial is None:
                skipped.add(j)
                continue
            support.append(j)
            signs.append(sign)
            line = trial
        return None

    def line_from_solve(self, beta: float, beta_floor: float) -> tuple[_Line, float]:
        """A line valid on ``[trial, beta]`` from solves just below ``beta``, and ``trial``.

        :func:`~convexviz.lasso.solve_lasso` at ``trial < beta`` gives an exact solution;
        its support and signs define a line, kept when it is optimal at both ``trial`` and
        ``beta`` (hence on the whole interval). Otherwise a knot lies in between and the
        next trial is closer to ``beta``. Raises :class:`_PathStoppedError` after
        :data:`MAX_FALLBACK_SOLVES` trials.
        """
        self.n_fallbacks += 1
        trial = max(beta * (1 - 1e-6), beta_floor)
        for _ in range(MAX_FALLBACK_SOLVES):
            fit = solve_lasso(self.A, self.y, trial, reuse=False)
            support = np.flatnonzero(fit.z)
            line = self.line(support, np.sign(fit.z[support]))
            if (
                line is not None
                and self.optimal(line, beta, self.z_at(line, beta))
                and self.optimal(line, trial, self.z_at(line, trial))
            ):
                return line, trial
            trial = beta - 0.01 * (beta - trial)  # a knot in between: closer to beta
        raise _PathStoppedError(
            f"no solve just below it gave a segment certified at both ends "
            f"({MAX_FALLBACK_SOLVES} tried): features tied beyond double precision"
        )

    def segment_below(self, beta: float, floor: float, line: _Line | None) -> tuple[_Line, float]:
        """The line below the knot ``beta`` and the next knot (``>= floor``), both checked.

        ``line`` comes from the homotopy (``None`` if it broke down); where it fails a check,
        the line comes from solves instead.
        """
        if line is not None and self.optimal(line, beta, self.z_at(line, beta)):
            beta_next = max(self.next_event(line, beta, strict=True)[0], floor)
            if self.optimal(line, beta_next, self.z_at(line, beta_next)):
                return line, beta_next
        line, start = self.line_from_solve(beta, floor)  # valid on [start, beta]
        beta_next = max(self.next_event(line, start, below=start)[0], floor)
        if not self.optimal(line, beta_next, self.z_at(line, beta_next)):
            raise _PathStoppedError("the segment found by a solve below it could not be certified")
        return line, beta_next

    def refined_knot(
        self, beta: float, below: _Line | None, above: _Line | None, floor: float
    ) -> float:
        """The knot ``beta``, moved to where the coefficients joining there are exactly zero.

        A join knot computed from the line above (``c^0_j / (1 -+ d_j)``) can be off by
        rounding amplified by an ill-conditioned ``G``; on the line below, a joining
        coefficient then starts with the wrong sign (``p_j - beta q_j`` with large
        ``p_j, q_j``). Its own zero ``p_j / q_j`` is the knot of the line below; we move the
        knot there when it is within ``1e-6`` relative and the line above is still optimal
        at it. Otherwise ``beta`` is returned unchanged.
        """
        if below is None or above is None or below.support.size == 0:
            return beta
        wrong = below.signs * below.z(beta) < 0
        if not wrong.any():
            return beta
        refined = float(np.min(below.p[wrong] / below.q[wrong]))
        if not (max(beta * (1 - 1e-6), floor) < refined < beta):
            return beta
        if not self.optimal(above, refined, self.z_at(above, refined)):
            return beta
        return refined

    # -- the whole path

    def run(self, beta_min: float | None) -> RegularizationPath:
        m = self.Ac.shape[1]
        beta_max = self.beta_max
        z0, offset0 = np.zeros(m), float(self.y.mean())
        if beta_max <= 0:  # nothing to fit: z = 0 for every beta
            return _single_knot(self.A, self.y, 0.0, 0.0)
        floor = beta_max * DEFAULT_RATIO if beta_min is None else float(beta_min)
        if floor >= beta_max:
            return _single_knot(self.A, self.y, beta_max, beta_max)
        betas, zs, offsets, segments = [beta_max], [z0], [offset0], []
        support: list[int] = []  # the line above beta_max: z = 0
        signs: list[float] = []
        beta = beta_max
        previous: _Line | None = None
        stopped_at, stop_reason = None, ""
        for _ in range(MAX_STEPS):
            below = self.line_below(beta, support, signs)
            refined = self.refined_knot(beta, below, previous, floor)
            if refined != beta:  # move the knot (and the end of the segment above) there
                above = segments[-1]
                z_end = self.z_at(previous, refined)
                end, off_end = self.knot(refined, previous.support, z_end)
                segments[-1] = PathSegment(
                    above.beta_hi, refined, above.support, above.z_hi, z_end, above.offset_hi,
                    off_end,
                )  # fmt: skip
                betas[-1], zs[-1], offsets[-1] = refined, end, off_end
                beta = refined
            try:
                line, beta_next = self.segment_below(beta, floor, below)
            except _PathStoppedError as stop:  # the path so far is certified: return it, say where
                stopped_at, stop_reason = beta, str(stop)
                break
            previous = line
            z_hi, z_lo = self.z_at(line, beta), self.z_at(line, beta_next)
            hi_full, off_hi = self.knot(beta, line.support, z_hi)
            lo_full, off_lo = self.knot(beta_next, line.support, z_lo)
            zs[-1], offsets[-1] = hi_full, off_hi  # the knot's value: start of the segment below
            segments.append(PathSegment(beta, beta_next, line.support, z_hi, z_lo, off_hi, off_lo))
            betas.append(beta_next)
            zs.append(lo_full)
            offsets.append(off_lo)
            if beta_next <= floor:
                break
            support = [int(j) for j in line.support]
            signs = [float(s) for s in line.signs]
            beta = beta_next
        else:
            stopped_at, stop_reason = beta, f"the path needs more than {MAX_STEPS} steps"
        zs[0] = z0  # at beta_max itself z = 0 (the first segment starts from it)
        offsets[0] = offset0
        return self.finish(betas, zs, offsets, segments, stopped_at, stop_reason)

    def finish(
        self, betas, zs, offsets, segments, stopped_at=None, stop_reason=""
    ) -> RegularizationPath:
        objectives, gaps = [], []
        for beta, z, offset in zip(betas, zs, offsets, strict=True):
            objective, gap, _ = self.certified(z, offset, beta)  # checked in `optimal`
            objectives.append(objective)
            gaps.append(gap)
        return RegularizationPath(
            beta_max=self.beta_max,
            betas=np.array(betas),
            z=np.array(zs),
            offsets=np.array(offsets),
            objectives=np.array(objectives),
            gaps=np.array(gaps),
            segments=tuple(segments),
            n_fallbacks=self.n_fallbacks,
            stopped_at=stopped_at,
            stop_reason=stop_reason,
        )


_potrs = scipy.linalg.lapack.get_lapack_funcs("potrs", (np.zeros(1),))


def _cho_solve(chol: NDArray, rhs: NDArray) -> NDArray:
    """Solve ``L L^T x = rhs`` with the lower Cholesky factor ``L``."""
    x, info = _potrs(chol, rhs, lower=True)
    if info != 0:  # pragma: no cover - only on invalid arguments
        raise np.linalg.LinAlgError(f"potrs failed ({info})")
    return x


def _single_knot(A: NDArray, y: NDArray, beta_max: float, beta: float) -> RegularizationPath:
    """The path with one knot at ``beta``: ``z = 0`` (``beta >= beta_max``, or nothing to fit)."""
    z = np.zeros((1, A.shape[1]))
    offset = float(y.mean())
    objective = lasso_objective(A, y, z[0], offset, beta)
    return RegularizationPath(
        beta_max=beta_max,
        betas=np.array([beta]),
        z=z,
        offsets=np.array([offset]),
        objectives=np.array([objective]),
        gaps=np.zeros(1),
        segments=(),
    )
