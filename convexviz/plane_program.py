"""The convex program of a two-layer ReLU network on the plane, over a set of patterns.

THEORY_2D §3, with ``Xt`` the points with a column of ones and ``D_p = diag(d_p)``::

    min over u_p, v_p in R^3, xi:
        1/2 || sum_p D_p Xt (u_p - v_p) + xi 1 - y ||^2 + beta sum_p (||u_p[:2]|| + ||v_p[:2]||)
    s.t. (2 D_p - I) Xt u_p >= 0,  (2 D_p - I) Xt v_p >= 0.

Over *all* patterns (``convexviz.patterns2d.enumerate_patterns``) its value is the global
optimum of the network for any width ``m >= m*`` (``m* <= N + 1``); over a subset it is an
upper bound that column generation (``convexviz.plane``) closes with the exact certificate.

It is passed to Clarabel directly as a conic program in the variables
``(u_1..u_P, v_1..v_P, xi, s_1..s_2P, e)`` with ``e = sum_p D_p Xt (u_p - v_p) + xi 1 - y``
(zero cone), the cone constraints (nonnegative cone), ``||u_p[:2]|| <= s_p`` (second-order
cones), and objective ``1/2 e.e + beta sum s``.

Of the ``N`` constraints ``(2 d_pn - 1) xt_n . u_p >= 0`` of a pattern only the facets of its
cone matter (a cell of an arrangement of lines has a handful of sides): given a line strictly
inside the cone, :func:`irredundant` keeps those, which shrinks the program by a factor of
about ``N / 5`` without changing it.
"""

from __future__ import annotations

from dataclasses import dataclass

import clarabel
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import ConvexHull, QhullError

from .patterns2d import augmented


class ProgramFailedError(ValueError):
    """Clarabel did not solve the program.

    A ``ValueError``, like the 1-D ``LassoUnsolvedError``: the command line exits with code 2
    and one line, and a page says it in words, instead of a traceback.
    """


@dataclass(frozen=True, eq=False)
class ProgramSolution:
    """One solve of the program over ``patterns`` (shape ``(P, N)``).

    ``u`` and ``v`` have shape ``(P, 3)``; ``fitted = sum_p D_p Xt (u_p - v_p) + offset``.
    """

    patterns: NDArray[np.bool_]
    u: NDArray[np.float64]
    v: NDArray[np.float64]
    offset: float
    objective: float
    fitted: NDArray[np.float64]
    status: str


def irredundant(g: NDArray, interior: NDArray | None) -> NDArray[np.int64]:
    """Rows of ``g`` that define the cone ``{u : g u >= 0}`` (all rows unless shown redundant).

    With ``c`` strictly inside (``g c > 0``), the cone is pointed and ``g_n`` is redundant
    unless it is an extreme ray of ``cone(g)``: a vertex of the convex hull of the central
    projections ``g_n / (g_n . c)`` onto the plane ``c . u = 1``.
    """
    every = np.arange(len(g))
    if interior is None or not np.all(np.isfinite(interior)) or len(g) <= 3:
        return every
    height = g @ interior
    if not np.all(height > 0):
        return every
    basis = np.linalg.svd(np.asarray(interior, dtype=float).reshape(1, 3))[2][1:].T  # c-perp
    projected = (g / height[:, None]) @ basis
    try:
        hull = ConvexHull(projected)
    except QhullError:
        return every
    return np.sort(hull.vertices)


def cone_rows_of(points: NDArray, pattern: NDArray, interior: NDArray | None) -> NDArray:
    """The points whose constraints ``(2 d_n - 1) xt_n . u >= 0`` define pattern's cone."""
    xt = augmented(points)
    g = (2.0 * np.asarray(pattern, dtype=float) - 1.0)[:, None] * xt
    return irredundant(g, interior)


def _conic_data(xt: NDArray, y: NDArray, patterns: NDArray, beta: float, cone_rows):
    n = len(y)
    n_pat = len(patterns)
    d = patterns.astype(float)  # (P, N)
    n_theta = 6 * n_pat
    i_xi = n_theta
    i_s = i_xi + 1
    i_e = i_s + 2 * n_pat
    n_var = i_e + n
    # Fit rows: G_u[n, 3p + c] = d_pn xt_nc.
    g = (d.T[:, :, None] * xt[:, None, :]).reshape(n, 3 * n_pat)
    fit = sp.hstack(
        [
            sp.csc_matrix(g),
            sp.csc_matrix(-g),
            sp.csc_matrix(np.ones((n, 1))),
            sp.csc_matrix((n, 2 * n_pat)),
            -sp.identity(n, format="csc"),
        ],
        format="csc",
    )
    # Cone rows: -(2 d_pn - 1) xt_n . u_p <= 0 for the irredundant n, for u then v.
    sign = 2.0 * d - 1.0  # (P, N)
    rows, cols, vals = [], [], []
    n_rows = 0
    for p in range(n_pat):
        g = sign[p][:, None] * xt
        keep = np.arange(n) if cone_rows is None else cone_rows[p]
        for offset in (0, 3 * n_pat):
            r = n_rows + np.repeat(np.arange(len(keep)), 3)
            rows.append(r)
            cols.append(offset + 3 * p + np.tile(np.arange(3), len(keep)))
            vals.append(-g[keep].ravel())
            n_rows += len(keep)
    cone = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, n_var),
    )
    # Second-order cones: (s_i, theta_3i, theta_3i+1) for i = 0..2P-1.
    rows = np.arange(3 * 2 * n_pat)
    cols = np.empty(3 * 2 * n_pat, dtype=int)
    cols[0::3] = i_s + np.arange(2 * n_pat)
    cols[1::3] = 3 * np.arange(2 * n_pat)
    cols[2::3] = 3 * np.arange(2 * n_pat) + 1
    soc = sp.csc_matrix((-np.ones(len(rows)), (rows, cols)), shape=(len(rows), n_var))
    a = sp.vstack([fit, cone, soc], format="csc")
    b = np.concatenate([y, np.zeros(n_rows + 6 * n_pat)])
    p_mat = sp.csc_matrix(
        (np.ones(n), (np.arange(i_e, n_var), np.arange(i_e, n_var))), shape=(n_var, n_var)
    )
    q = np.zeros(n_var)
    q[i_s:i_e] = beta
    cones = [
        clarabel.ZeroConeT(n),
        clarabel.NonnegativeConeT(n_rows),
        *[clarabel.SecondOrderConeT(3) for _ in range(2 * n_pat)],
    ]
    return p_mat, q, a, b, cones


def solve_program(
    points: NDArray,
    y: NDArray,
    patterns: NDArray[np.bool_],
    beta: float,
    cone_rows: list[NDArray] | None = None,
) -> ProgramSolution:
    """Solve the program over the given patterns with Clarabel.

    ``cone_rows[p]`` (optional) lists the points whose cone constraints suffice for pattern
    ``p`` (:func:`cone_rows_of`): a handful instead of ``N``, the same program.

    Raises
    ------
    ProgramFailedError
        If Clarabel stops without reaching its (default) accuracy.
    """
    y = np.asarray(y, dtype=float)
    xt = augmented(points)
    patterns = np.asarray(patterns, dtype=bool)
    n_pat = len(patterns)
    p_mat, q, a, b, cones = _conic_data(xt, y, patterns, beta, cone_rows)
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    solution = clarabel.DefaultSolver(p_mat, q, a, b, cones, settings).solve()
    status = str(solution.status)
    if "Solved" not in status:
        raise ProgramFailedError(f"the plane program could not be solved (Clarabel: {status})")
    x = np.asarray(solution.x)
    theta = x[: 6 * n_pat].reshape(2 * n_pat, 3)
    u, v = theta[:n_pat], theta[n_pat:]
    offset = float(x[6 * n_pat])
    fitted = program_predictions(xt, patterns, u, v) + offset
    residual = fitted - y
    norms = np.linalg.norm(theta[:, :2], axis=1).sum()
    objective = 0.5 * float(residual @ residual) + beta * float(norms)
    return ProgramSolution(patterns, u, v, offset, objective, fitted, status)


def program_predictions(xt: NDArray, patterns: NDArray, u: NDArray, v: NDArray) -> NDArray:
    """``sum_p D_p Xt (u_p - v_p)`` (without the offset)."""
    return np.einsum("pn,pn->n", patterns.astype(float), (u - v) @ xt.T)
