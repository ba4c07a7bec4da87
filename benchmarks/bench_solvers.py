"""Solve-only timings of the Lasso alternatives on the de-duplicated dictionary.

The measurements behind the solver decision in BENCHMARKS.md. For each case (same data as
``bench_fit.py``) and beta = 1e-2, median ms of:

* ``cvxpy fresh``: a new ``cp.Problem`` (Clarabel) -- canonicalization + solve;
* ``cvxpy beta-param``: the cached problem with ``beta`` a ``cp.Parameter``, new beta;
* ``cvxpy data-param``: ``A`` and ``y`` also parameters (DPP), new data of the same shape
  (a click changes N and M, so in the app the shape almost never stays);
* ``clarabel direct``: ``clarabel.DefaultSolver`` on the sparse conic form
  ``min 0.5 ||r||^2 + beta 1^T (u + v)``, ``r = y_c - A_c (u - v)``, ``u, v >= 0``;
* ``FAST IPM``: :func:`convexviz.lasso.dual_interior_point` alone (one BLAS thread, as in
  ``solve_lasso``);
* ``FAST total``: ``solve_lasso(solver="FAST", reuse=False)`` -- IPM + NNLS vertex + exact
  active set + certificate;
* ``cvxpy total``: ``solve_lasso(solver="CLARABEL", reuse=False)`` + the same polish.

    python benchmarks/bench_solvers.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import clarabel  # noqa: E402
import cvxpy as cp  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from bench_fit import data, environment  # noqa: E402
from timing import median_ms  # noqa: E402

from convexviz import Architecture, build_dictionary  # noqa: E402
from convexviz.lasso import (  # noqa: E402
    _single_threaded_blas,
    dual_interior_point,
    solve_lasso,
)

CASES = [("relu", 2, 40), ("relu", 3, 20), ("abs", 3, 20), ("relu", 4, 12), ("abs", 3, 40)]
BETA = 1e-2


def cvxpy_problem(A, y, beta_param):
    z = cp.Variable(A.shape[1])
    xi = cp.Variable()
    loss = 0.5 * cp.sum_squares(A @ z + xi - y)
    return cp.Problem(cp.Minimize(loss + beta_param * cp.norm1(z)))


def clarabel_direct(A, y, beta):
    n, m = A.shape
    Ac, yc = A - A.mean(axis=0), y - y.mean()
    P = sp.block_diag([sp.eye(n), sp.csc_matrix((2 * m, 2 * m))], format="csc")
    q = np.concatenate([np.zeros(n), np.full(2 * m, beta)])
    Aeq = sp.hstack([sp.eye(n), sp.csc_matrix(Ac), sp.csc_matrix(-Ac)])
    Ain = sp.hstack([sp.csc_matrix((2 * m, n)), -sp.eye(2 * m)])
    constraints = sp.vstack([Aeq, Ain], format="csc")
    b = np.concatenate([yc, np.zeros(2 * m)])
    cones = [clarabel.ZeroConeT(n), clarabel.NonnegativeConeT(2 * m)]
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    return clarabel.DefaultSolver(P, q, constraints, b, cones, settings).solve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    print(environment())
    print(f"- beta {BETA}, {args.repeat} runs, median ms, solve only (dictionary prebuilt)\n")
    cols = [
        "case",
        "A",
        "cvxpy fresh",
        "cvxpy beta-param",
        "cvxpy data-param",
        "clarabel direct",
        "FAST IPM",
        "FAST total",
        "cvxpy total",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    warnings.simplefilter("ignore", UserWarning)
    for act, depth, n in CASES:
        x, y = data(n)
        A = build_dictionary(x, Architecture(act, depth)).A
        Ac, yc = A - A.mean(axis=0), y - y.mean()
        beta = cp.Parameter(nonneg=True, value=BETA)

        fresh = median_ms(
            lambda A=A, y=y, beta=beta: cvxpy_problem(A, y, beta).solve(solver="CLARABEL"),
            args.repeat,
        )
        cached = cvxpy_problem(A, y, beta)
        cached.solve(solver="CLARABEL")
        values = iter([2e-2, 1e-2] * args.repeat)

        def beta_only(cached=cached, beta=beta, values=values):
            beta.value = next(values)
            cached.solve(solver="CLARABEL")

        beta_param = median_ms(beta_only, args.repeat)
        A_par, y_par = cp.Parameter(A.shape), cp.Parameter(y.shape)
        A_par.value, y_par.value = A, y
        dpp = cvxpy_problem(A_par, y_par, beta)
        dpp.solve(solver="CLARABEL")
        rng = np.random.default_rng(0)

        def data_only(dpp=dpp, A_par=A_par, y_par=y_par, A=A, y=y, rng=rng):
            A_par.value = A + 1e-3 * rng.normal(size=A.shape)
            y_par.value = y
            dpp.solve(solver="CLARABEL")

        data_param = median_ms(data_only, args.repeat)
        direct = median_ms(lambda A=A, y=y: clarabel_direct(A, y, BETA), args.repeat)
        with _single_threaded_blas():  # as inside solve_lasso
            ipm = median_ms(lambda Ac=Ac, yc=yc: dual_interior_point(Ac, yc, BETA), args.repeat)
        fast = median_ms(lambda A=A, y=y: solve_lasso(A, y, BETA, reuse=False), args.repeat)
        ref = median_ms(
            lambda A=A, y=y: solve_lasso(A, y, BETA, solver="CLARABEL", reuse=False),
            args.repeat,
        )
        row = [fresh, beta_param, data_param, direct, ipm, fast, ref]
        print(
            f"| {act} L={depth} N={n} | {A.shape[0]}x{A.shape[1]} | "
            + " | ".join(f"{v:.1f}" for v in row)
            + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
