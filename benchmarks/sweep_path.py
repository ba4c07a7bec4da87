"""How often the exact path stops early on random data, and whether every point is certified.

For each case (architecture, number of points ``N``) and seeds ``0 .. --seeds - 1``, data
from :func:`convexviz.datasets.random_points`; the path from ``beta_max`` down to
``beta_max * --ratio`` (``1e-8``: the deepest the app asks for). Counted: paths that
stop early (``stopped_at``, with its ``beta / beta_max``), and points of the path whose
duality gap, computed here with :func:`convexviz.lasso.dual_gap`, exceeds
:func:`convexviz.lasso.certificate_tolerance` (every knot and the middle of every segment).

    python benchmarks/sweep_path.py [--seeds 16] [--ratio 1e-8]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convexviz import Architecture  # noqa: E402
from convexviz.datasets import random_points  # noqa: E402
from convexviz.dictionary import build_dictionary  # noqa: E402
from convexviz.lasso import beta_max, certificate_tolerance, dual_gap, lasso_objective  # noqa: E402
from convexviz.path import regularization_path  # noqa: E402

CASES = [
    *[("relu", 2, n) for n in (20, 40, 60, 80, 100)],
    *[("abs", 3, n) for n in (10, 20, 30, 40)],
    ("relu", 3, 20),
    ("relu", 3, 40),
    ("relu", 4, 12),
    ("relu", 4, 20),
    ("abs", 2, 40),
]


def uncertified(A: np.ndarray, y: np.ndarray, path) -> int:
    """Knots and segment middles whose duality gap exceeds the certificate tolerance."""
    betas = [*path.betas, *((path.betas[1:] + path.betas[:-1]) / 2)]
    count = 0
    for beta in betas:
        z, offset = path.at(beta)
        objective = lasso_objective(A, y, z, offset, beta)
        count += dual_gap(A, y, z, offset, beta) > certificate_tolerance(A, z, objective)
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--ratio", type=float, default=1e-8)
    args = parser.parse_args(argv)
    print(f"beta_min = beta_max * {args.ratio:g}, seeds 0..{args.seeds - 1}")
    print("| case | N | columns | stopped | where (seed: beta / beta_max) | uncertified | s |")
    print("|---|---|---|---|---|---|---|")
    stops = bad = total = 0
    for activation, depth, n in CASES:
        where, n_bad, t0 = [], 0, time.perf_counter()
        for seed in range(args.seeds):
            points = random_points(n, seed)
            d = build_dictionary([x for x, _ in points], Architecture(activation, depth))
            y = np.array([v for _, v in points])
            path = regularization_path(d, y, beta_max(d.A, y) * args.ratio)
            if path.stopped_at is not None:
                where.append(f"{seed}: {path.stopped_at / path.beta_max:.1e}")
            n_bad += uncertified(d.A, y, path)
        total += args.seeds
        stops += len(where)
        bad += n_bad
        print(
            f"| {activation} depth {depth} | {n} | {d.size} | {len(where)}/{args.seeds} "
            f"| {', '.join(where)} | {n_bad} | {time.perf_counter() - t0:.1f} |",
            flush=True,
        )
    print(f"stopped early: {stops}/{total} paths; uncertified points: {bad}")


if __name__ == "__main__":
    main()
