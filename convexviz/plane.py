"""Fit the globally optimal two-layer ReLU network to points in the plane, certified.

``fit_plane(points, y, beta)`` solves the convex program of THEORY_2D §3 and returns the
rebuilt network (at most ``N + 1`` neurons) with its certificate (§4), valid against networks
of any width.

Two methods:

``"columns"`` (default): column generation. Solve the program on a small working set of
patterns, compute the exact worst line ``M(r)`` of the centred residual, and while
``M > beta (1 + CERTIFICATE_RTOL)`` add the patterns of the best lines (the worst line and
its runners-up, both with and without the points on the line) and solve again. When it
stops, no pattern outside the working set can lower the objective: the restricted optimum
is the optimum of the program over *all* patterns, and the duality gap says by how little it
can be off. The ``working_lines`` of an earlier fit (e.g. before a point was added) warm it.

``"all"``: every pattern of the exact enumeration in one program (the plain approach).

Both solve on centred, scaled points (``convexviz.plane_frame``); the network, its certificate
and the working lines are given in the original coordinates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .patterns2d import augmented, enumerate_patterns, pattern_keys
from .plane_frame import Frame
from .plane_network import PlaneNetwork, rebuild_network
from .plane_program import ProgramSolution, cone_rows_of, solve_program
from .worst_line import Certificate, best_lines, certificate, line_patterns

#: Column generation stops when ``M(r) <= beta (1 + CERTIFICATE_RTOL)``.
CERTIFICATE_RTOL = 1e-8

#: Lines whose patterns enter the working set per round (the worst one and its runners-up).
LINES_PER_ROUND = 20

#: Column generation gives up (status ``"inaccurate"``) after this many rounds.
MAX_ROUNDS = 100

#: The fit is ``"optimal"`` when the duality gap is below this times ``max(1, objective)``.
GAP_RTOL = 1e-6

#: Rebuilding stops once the gap is below this times ``max(1, objective)``.
REBUILD_GAP_RTOL = 1e-8

#: At most this many rebuilds of the network, each from the previous one's fit.
REBUILD_ROUNDS = 6

METHODS = ("columns", "all")


@dataclass(frozen=True, eq=False)
class PlaneFit:
    """A certified fit on the plane.

    Attributes
    ----------
    points, y, beta : the problem.
    network : PlaneNetwork
        The rebuilt network, at most ``N + 1`` neurons.
    objective : float
        The program's optimum: the smaller of the solver's value and the rebuilt network's
        objective (the network is a feasible point of the program too, and usually the more
        accurate one since its coefficients are polished). Within ``duality_gap`` of the
        optimum over *all* patterns and any width.
    network_objective : float
        The network's ``1/2 sum (f - y)^2 + beta/2 sum (|w|^2 + alpha^2)``.
    certificate : Certificate
        The worst line of the network's residual and the duality gap (any width).
    pattern_count : int
        Nonzero activation patterns of the points (``N^2 - N + 1`` without three collinear).
    patterns_used : int
        Distinct patterns the rebuilt network's neurons come from.
    working_set : bool array (W, N)
        The patterns the last program was solved over.
    working_lines : array (W, 3)
        For column generation, a line ``u`` strictly inside each working pattern's cone
        (``1[Xt u > 0]`` is the pattern); pass it as ``warm_lines`` to the next fit (after a
        point is added, moved or deleted) to start from it. Empty for ``method="all"``.
    rounds : int
        Programs solved.
    status : ``"optimal"`` or ``"inaccurate"``.
    timings_ms : dict
        ``enumerate``, ``solve``, ``rebuild`` (with the certificate), ``total``.
    """

    points: NDArray[np.float64]
    y: NDArray[np.float64]
    beta: float
    network: PlaneNetwork
    objective: float
    network_objective: float
    certificate: Certificate
    pattern_count: int
    patterns_used: int
    working_set: NDArray[np.bool_]
    working_lines: NDArray[np.float64]
    rounds: int
    status: str
    timings_ms: dict[str, float]

    @property
    def duality_gap(self) -> float:
        return self.certificate.duality_gap


@dataclass(frozen=True)
class ColumnRound:
    """Progress of column generation after one solve: ``M(r) / beta`` falls to ``<= 1``."""

    round: int
    worst_over_beta: float
    working_set: int


def _validate(points: object, y: object, beta: float) -> tuple[NDArray, NDArray, float]:
    x = np.asarray(points, dtype=float)
    t = np.asarray(y, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
        raise ValueError("points must have shape (N, 2) with N >= 1")
    if t.shape != (len(x),):
        raise ValueError("y must have one value per point")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t))):
        raise ValueError("points and values must be finite")
    if not (np.isfinite(beta) and beta > 0):
        raise ValueError("beta must be a finite number > 0")
    return x, t, float(beta)


class _WorkingSet:
    """Patterns in insertion order, without duplicates or the zero pattern, each with a line
    strictly inside its cone when known (NaN otherwise)."""

    def __init__(self, points: NDArray) -> None:
        self.points = points
        self.rows: list[NDArray[np.bool_]] = []
        self.cone_rows: list[NDArray] = []
        self.interiors: list[NDArray] = []
        self.keys: set[bytes] = set()
        self.n = len(points)

    def add(self, patterns: NDArray[np.bool_], interiors: NDArray | None = None) -> int:
        if interiors is None:
            interiors = np.full((len(patterns), 3), np.nan)
        added = 0
        for row, key, inside in zip(patterns, pattern_keys(patterns), interiors, strict=True):
            if row.any() and key not in self.keys:
                self.keys.add(key)
                self.rows.append(row)
                self.cone_rows.append(cone_rows_of(self.points, row, inside))
                self.interiors.append(inside)
                added += 1
        return added

    def add_lines(self, lines: list) -> int:
        found = [line_patterns(self.points, line) for line in lines]
        return self.add(
            np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])
        )

    def add_interior_lines(self, lines: NDArray) -> int:
        """Patterns of lines ``u`` (rows) that pass through no training point: ``1[Xt u > 0]``."""
        lines = np.asarray(lines, dtype=float).reshape(-1, 3)
        lines = lines[np.all(np.isfinite(lines), axis=1)]
        values = augmented(self.points) @ lines.T  # (N, L)
        scale = np.max(np.abs(values), axis=0, initial=0.0)
        strict = np.all(np.abs(values) > 1e-9 * scale, axis=0)
        return self.add((values > 0).T[strict], lines[strict])

    def array(self) -> NDArray[np.bool_]:
        return np.array(self.rows, dtype=bool).reshape(-1, self.n)


def _rebuild_certified(
    x: NDArray, y: NDArray, fitted: NDArray, beta: float
) -> tuple[PlaneNetwork, NDArray[np.bool_]]:
    """Rebuild the network, then again from its own fit with the earlier candidate lines and
    the lines its residual adds, until the gap fails to fall twice (at most
    :data:`REBUILD_ROUNDS` times); the smallest gap wins."""
    best = None
    candidates = None
    worse = 0
    for _ in range(REBUILD_ROUNDS):
        network, patterns, candidates = rebuild_network(x, y, fitted, beta, candidates)
        gap = certificate(x, y, network(x), network.penalty(beta), beta).duality_gap
        if best is not None and gap >= best[2]:
            worse += 1
            if worse == 2:
                break
        else:
            best = (network, patterns, gap)
        if gap <= REBUILD_GAP_RTOL * max(1.0, network.objective(x, y, beta)):
            break
        fitted = network(x)
    return best[0], best[1]


def _column_generation(
    x: NDArray,
    y: NDArray,
    beta: float,
    warm_lines: NDArray | None,
    on_round: Callable[[ColumnRound], None] | None,
) -> tuple[ProgramSolution, int, NDArray]:
    """Solve on a working set, add the patterns of the best lines of the residual, repeat until
    the exact ``M(r) <= beta (1 + CERTIFICATE_RTOL)``. Returns the last solution, the number of
    programs solved, and a line inside each working pattern's cone."""
    work = _WorkingSet(x)
    if warm_lines is not None:
        work.add_interior_lines(warm_lines)
    work.add_lines(best_lines(x, y - y.mean(), 2 * LINES_PER_ROUND))
    rounds = 0
    while True:
        solution = solve_program(x, y, work.array(), beta, work.cone_rows)
        rounds += 1
        residual = y - solution.fitted
        lines = best_lines(x, residual - residual.mean(), LINES_PER_ROUND)
        if on_round is not None:
            on_round(ColumnRound(rounds, lines[0].magnitude / beta, len(work.rows)))
        if lines[0].magnitude <= beta * (1 + CERTIFICATE_RTOL) or rounds >= MAX_ROUNDS:
            break
        if work.add_lines(lines) == 0:
            break
    return solution, rounds, np.array(work.interiors, dtype=float).reshape(-1, 3)


def fit_plane(
    points: object,
    y: object,
    beta: float,
    *,
    method: str = "columns",
    warm_lines: NDArray | None = None,
    on_round: Callable[[ColumnRound], None] | None = None,
) -> PlaneFit:
    """The certified optimal two-layer ReLU network on points in the plane.

    Parameters
    ----------
    points : array (N, 2); repeated locations and collinear points are legal.
    y : array (N,)
    beta : float > 0
    method : ``"columns"`` (column generation with the exact certificate) or ``"all"``.
    warm_lines : array (W, 3), optional
        Lines ``u`` whose patterns ``1[Xt u > 0]`` start column generation: an earlier fit's
        ``working_lines``, valid for any points (lines through a training point are skipped).
    on_round : callable, optional
        Called with a :class:`ColumnRound` after each solve of column generation (progress).

    Raises
    ------
    ValueError
        On malformed input or an unknown method.
    """
    x, t, beta = _validate(points, y, beta)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    t0 = time.perf_counter()
    frame = Frame.of(x)
    xu, beta_u = frame.to_unit(x), frame.beta_to_unit(beta)
    all_patterns = enumerate_patterns(xu)
    t1 = time.perf_counter()
    if method == "all":
        solution = solve_program(xu, t, all_patterns, beta_u)
        rounds = 1
        lines_u = np.zeros((0, 3))
    else:
        warm_u = None if warm_lines is None else frame.lines_to_unit(warm_lines)
        solution, rounds, lines_u = _column_generation(xu, t, beta_u, warm_u, on_round)
    t2 = time.perf_counter()
    network_u, neuron_patterns = _rebuild_certified(xu, t, solution.fitted, beta_u)
    network = frame.network_from_unit(network_u)
    cert = certificate(x, t, network(x), network.penalty(beta), beta)
    working_lines = frame.lines_from_unit(lines_u)
    t3 = time.perf_counter()
    network_objective = network.objective(x, t, beta)
    optimal = cert.duality_gap <= GAP_RTOL * max(1.0, solution.objective)
    timings = {
        "enumerate": 1e3 * (t1 - t0),
        "solve": 1e3 * (t2 - t1),
        "rebuild": 1e3 * (t3 - t2),
        "total": 1e3 * (t3 - t0),
    }
    return PlaneFit(
        points=x,
        y=t,
        beta=beta,
        network=network,
        objective=min(solution.objective, network_objective),
        network_objective=network_objective,
        certificate=cert,
        pattern_count=len(all_patterns),
        patterns_used=len(set(pattern_keys(neuron_patterns))),
        working_set=solution.patterns,
        working_lines=working_lines,
        rounds=rounds,
        status="optimal" if optimal else "inaccurate",
        timings_ms=timings,
    )
