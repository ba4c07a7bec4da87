"""Fit latency of the pipeline against the naive pipeline, in the same run (DESIGN.md §7).

For each case (activation, depth, N) it times, from scratch (no cached dictionary or
problem), ``fit()`` = build the de-duplicated dictionary + solve and certify + reconstruct
on the raw dictionary, then ``predict`` on a 400-point grid; medians over ``--repeat`` runs.
In the same run it times the *naive* pipeline: every raw candidate column evaluated by a
Python loop over the per-feature objects (``columns.feature(i).evaluate(x)``), then a fresh
cvxpy problem (Clarabel) on the full raw ``A`` (no de-duplication, no cache), then the
prediction from the active features. Finally a beta-only change: ``fit()`` with the same
dictionary and a new beta, re-solving the cached problem.

    python benchmarks/bench_fit.py [--repeat 15] [--quick]

Targets (2-core machine): total <= 20 ms for N <= 20 at depth <= 3 and for depth 2 at
N = 40; <= 150 ms and >= 10x the naive pipeline at ReLU depth 4, N = 12; beta-only <= 5 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import clarabel  # noqa: E402
import cvxpy as cp  # noqa: E402
import scipy  # noqa: E402

from convexviz import Architecture, fit  # noqa: E402
from convexviz.dictionary import build_dictionary, max_points  # noqa: E402
from convexviz.features import _chain_breakpoints  # noqa: E402

SEED = 20240601
BETA = 1e-2
BETA_ALT = 2e-2
GRID = np.linspace(-3.5, 3.5, 400)
N_VALUES = (5, 10, 20, 40)
#: Naive pipeline skipped above this many raw columns (it would take minutes).
NAIVE_MAX_RAW = 40_000

CASES = [
    ("relu", 2),
    ("relu", 3),
    ("relu", 4),
    ("leaky_relu", 2),
    ("abs", 2),
    ("abs", 3),
    ("sign", 2),
    ("threshold", 2),
    ("abs", 4),
    ("abs", 5),
]


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-seed sorted uniform inputs on [-3, 3], ``y = sin(x) + 0.3 noise``."""
    rng = np.random.default_rng(SEED + n)
    x = np.sort(rng.uniform(-3, 3, n))
    return x, np.sin(x) + 0.3 * rng.normal(size=n)


def n_values(act: str, depth: int, quick: bool) -> list[int]:
    cap = max_points(Architecture(act, depth))
    if act == "relu" and depth == 4:
        values = [5, 10, 12]
    elif act == "abs" and depth >= 4:
        values = [5, 8, 12] if depth == 4 else [5, 8]
    else:
        values = list(N_VALUES)
    if quick:
        values = [v for v in values if v in (5, 12, 20, 40) or (act, depth) == ("abs", 5)]
    return [v for v in values if v <= cap]


def ours(x, y, arch) -> dict[str, float]:
    _chain_breakpoints.cache_clear()  # from scratch: no memoized feature geometry either
    t0 = time.perf_counter()
    result = fit(x, y, arch, BETA, reuse=False)
    t1 = time.perf_counter()
    result.predict(GRID)
    t2 = time.perf_counter()
    timings = dict(result.timings_ms)
    timings["predict"] = 1e3 * (t2 - t1)
    timings["total"] = 1e3 * (t2 - t0)
    timings["gap"] = result.certificate_gap / max(result.lasso.objective, 1e-300)
    timings["solver"] = result.lasso.solver
    timings["raw"] = result.dictionary.raw_size
    timings["unique"] = result.dictionary.size
    return timings


def naive(x, y, arch) -> float:
    """Per-column Python features on the raw dictionary + a fresh cvxpy problem."""
    t0 = time.perf_counter()
    columns = build_dictionary(x, arch).columns  # parameters only; values come from the loop
    features = [columns.feature(i) for i in range(columns.size)]
    A = np.column_stack([f.evaluate(x) for f in features])
    z = cp.Variable(A.shape[1])
    bias = cp.Variable()
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ z + bias - y) + BETA * cp.norm1(z)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        problem.solve(solver="CLARABEL")
    coef = np.asarray(z.value)
    active = np.nonzero(np.abs(coef) > 1e-6 * np.abs(coef).max())[0]
    prediction = np.full(GRID.shape, float(bias.value))
    for i in active:
        prediction += coef[i] * features[i].evaluate(GRID)
    return 1e3 * (time.perf_counter() - t0)


def beta_only(x, y, arch, repeat: int) -> tuple[float, float, float]:
    """Median ms of ``fit`` with a cached dictionary and a new beta.

    Returns the total and the solve part for jumps between ``BETA`` and ``BETA_ALT`` (2x),
    and the solve part for slider steps (beta times 1.1 each time).
    """
    first = fit(x, y, arch, BETA)
    totals, solves, steps = [], [], []
    for k in range(repeat):
        beta = BETA_ALT if k % 2 == 0 else BETA
        t0 = time.perf_counter()
        result = fit(x, y, arch, beta, dictionary=first.dictionary)
        result.predict(GRID)
        totals.append(1e3 * (time.perf_counter() - t0))
        solves.append(result.timings_ms["solve"])
    for k in range(repeat):
        result = fit(x, y, arch, BETA * 1.1 ** (k + 1), dictionary=first.dictionary)
        steps.append(result.timings_ms["solve"])
    return statistics.median(totals), statistics.median(solves), statistics.median(steps)


def environment() -> str:
    lines = [
        f"- CPU count: {os.cpu_count()} ({platform.machine()}, {platform.processor() or '?'})",
        f"- Python {platform.python_version()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, cvxpy {cp.__version__}, clarabel {clarabel.__version__}",
        f"- OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}",
        f"- load average at start: {os.getloadavg()[0]:.2f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per case (median)")
    parser.add_argument("--quick", action="store_true", help="fewer N, fewer naive runs")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat if not args.quick else min(args.repeat, 5))
    print(environment())
    print(
        f"- seed {SEED}, beta {BETA} (beta-only: alternating {BETA_ALT} / {BETA}), "
        f"grid 400 points, {repeat} runs per case\n"
    )
    header = (
        "| activation | L | N | raw | unique | build | solve+cert | reconstruct | predict | "
        "**total** | naive | naive/ours | beta 2x: total (solve) | beta +10%: solve | solver | "
        "gap/obj |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for act, depth in CASES:
        if (
            act == "abs"
            and depth >= 4
            and not (ROOT / "convexviz/dictionary/abs_deep.py").exists()
        ):
            print(f"| {act} | {depth} | - | skipped: convexviz/dictionary/abs_deep.py missing |")
            continue
        arch = Architecture(act, depth)
        for n in n_values(act, depth, args.quick):
            x, y = data(n)
            ours(x, y, arch)  # warm-up (imports, first-call allocations)
            runs = [ours(x, y, arch) for _ in range(repeat)]

            def med(key, runs=runs):
                return statistics.median(r[key] for r in runs)

            raw = runs[0]["raw"]
            naive_ms = None
            if raw <= NAIVE_MAX_RAW:
                n_naive = max(1, repeat // (5 if raw < 2000 else 15))
                if args.quick:
                    n_naive = 1
                naive_ms = statistics.median(naive(x, y, arch) for _ in range(n_naive))
            b_total, b_solve, b_step = beta_only(x, y, arch, repeat)
            total = med("total")
            naive_txt = "—" if naive_ms is None else f"{naive_ms:.0f}"
            ratio = "—" if naive_ms is None else f"{naive_ms / total:.0f}×"
            print(
                f"| {act} | {depth} | {n} | {raw} | {runs[0]['unique']} | {med('build'):.1f} | "
                f"{med('solve'):.1f} | {med('reconstruct'):.1f} | {med('predict'):.1f} | "
                f"**{total:.1f}** | {naive_txt} | {ratio} | {b_total:.1f} ({b_solve:.1f}) | "
                f"{b_step:.1f} | "
                f"{runs[0]['solver']} | {max(r['gap'] for r in runs):.0e} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
