"""Cost of "every optimal network" against the fit it explains, in the same run.

For each case (activation, depth, N, beta) it times, on a fit computed once, the three
calls the app makes when the student opens the panel: :func:`is_unique`,
:func:`alternative_optima` (``limit=8``) and :func:`create_alternatives_figure`; and, as
the baseline, ``fit()`` itself from scratch (build + solve + reconstruct + certificate).
Medians over ``--repeat`` runs; the ratio column is (uniqueness + alternatives) / fit.

    python benchmarks/bench_optimal_set.py [--repeat 7]

Goal (2-core machine): the panel adds at most a few hundred ms at N = 20, depth 3 and 4.
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

from convexviz import Architecture, fit  # noqa: E402
from convexviz.optimal_figure import create_alternatives_figure  # noqa: E402
from convexviz.optimal_set import alternative_optima, is_unique  # noqa: E402

SEED = 20240601
OPT = ([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3])
CASES = [  # (label, activation, depth, n, beta); n = 0 means the paper's 'opt' data
    ("opt", "relu", 4, 0, 1e-3),
    ("random", "relu", 2, 20, 1e-2),
    ("random", "relu", 3, 20, 1e-2),
    ("random", "relu", 3, 20, 1e-1),
    ("random", "relu", 4, 12, 1e-2),
    ("random", "relu", 4, 20, 1e-2),
    ("random", "relu", 4, 20, 1e-1),
    ("random", "abs", 3, 12, 1e-2),
    ("random", "sign", 3, 12, 1e-2),
]


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-seed sorted uniform inputs on [-3, 3], ``y = sin(x) + 0.3 noise``."""
    if n == 0:
        return np.array(OPT[0], float), np.array(OPT[1], float)
    rng = np.random.default_rng(SEED + n)
    x = np.sort(rng.uniform(-3, 3, n))
    return x, np.sin(x) + 0.3 * rng.normal(size=n)


def median_ms(call, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = call()
        times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, repeat {args.repeat}")
    header = (
        f"| {'case':<18} | {'beta':>5} | {'fit ms (baseline)':>17} | {'is_unique ms':>12} "
        f"| {'alternatives ms':>15} | {'figure ms':>9} | {'found':>5} | {'ratio':>5} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for case in CASES:
        print(row(*case, repeat=args.repeat))


def row(label: str, act: str, depth: int, n: int, beta: float, repeat: int) -> str:
    """One table row: the medians of one case."""
    x, y = data(n)
    arch = Architecture(act, depth)
    t_fit, result = median_ms(lambda: fit(x, y, arch, beta, reuse=False), repeat)
    t_unique, _ = median_ms(lambda: is_unique(result), repeat)
    t_alt, alts = median_ms(lambda: alternative_optima(result), repeat)
    t_fig, _ = median_ms(lambda: create_alternatives_figure(result, alts, 0), repeat)
    name = f"{label} {act} L={depth} N={len(x)}"
    ratio = (t_unique + t_alt) / t_fit
    return (
        f"| {name:<18} | {beta:>5.0e} | {t_fit:>17.1f} | {t_unique:>12.1f} "
        f"| {t_alt:>15.1f} | {t_fig:>9.1f} | {len(alts):>5} | {ratio:>5.1f} |"
    )


if __name__ == "__main__":
    main()
