"""Regularization-path timings against re-solving, in the same run (issue 8, item 2).

For each case (ReLU depth 3 with N = 20, ReLU depth 4 with N = 12; fixed-seed data
``y = sin(x) + 0.3 noise``), medians over ``--repeat`` runs of:

* ``path``: :func:`convexviz.path.regularization_path` on a built dictionary, from
  ``beta_max`` down to ``beta_max * 1e-4`` (targets: <= 100 ms and <= 300 ms);
* ``at()``: one ``path.at(beta)`` at a random beta on the path (target <= 1 ms), the
  median over 1000 betas;
* baselines: one ``fit`` from scratch at one beta (dictionary + solve + network), and
  ``solve_lasso`` at 50 log-spaced betas (a cached problem, as a slider would use it).

    python benchmarks/bench_path.py [--repeat 11]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from timing import median_ms  # noqa: E402

from convexviz import Architecture, fit  # noqa: E402
from convexviz.dictionary import build_dictionary  # noqa: E402
from convexviz.lasso import solve_lasso  # noqa: E402
from convexviz.path import regularization_path  # noqa: E402

SEED = 20240601
CASES = [("relu", 3, 20, 100.0), ("relu", 4, 12, 300.0)]


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-seed sorted uniform inputs on [-3, 3], ``y = sin(x) + 0.3 noise``."""
    rng = np.random.default_rng(SEED + n)
    x = np.sort(rng.uniform(-3, 3, n))
    return x, np.sin(x) + 0.3 * rng.normal(size=n)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(
        "| case | N | distinct columns | knots | fallbacks | path ms (target) | at() ms "
        "| fit at one beta ms | solve_lasso x 50 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for act, depth, n, target in CASES:
        x, y = data(n)
        arch = Architecture(act, depth)
        d = build_dictionary(x, arch)
        path = regularization_path(d, y)  # warm-up (imports, caches)
        path_ms = median_ms(lambda d=d, y=y: regularization_path(d, y), args.repeat)
        rng = np.random.default_rng(SEED)
        betas = path.betas[-1] * (path.beta_max / path.betas[-1]) ** rng.uniform(size=1000)
        at_times = []
        for beta in betas:
            t0 = time.perf_counter()
            path.at(beta)
            at_times.append(1e3 * (time.perf_counter() - t0))
        beta_fit = path.beta_max * 1e-2
        fit_ms = median_ms(lambda x=x, y=y, a=arch, b=beta_fit: fit(x, y, a, b, reuse=False), 5)
        grid = np.geomspace(path.beta_max, path.betas[-1], 50)

        def sweep(d=d, y=y, grid=grid) -> None:
            for beta in grid:
                solve_lasso(d.A, y, float(beta))

        sweep_ms = median_ms(sweep, 3)
        print(
            f"| {act} depth {depth} | {n} | {d.size} | {path.n_knots} | {path.n_fallbacks} "
            f"| {path_ms:.1f} (<= {target:g}) | {statistics.median(at_times):.4f} "
            f"| {fit_ms:.1f} | {sweep_ms:.1f} |"
        )


if __name__ == "__main__":
    main()
