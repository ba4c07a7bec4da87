"""Two-layer ReLU networks on the plane: column generation against the plain program (issue 9,
item 2), in the same run.

Data as THEORY_2D §6 (XOR shape, ``x`` uniform on ``[-2, 2]^2``, ``y = sign(x1 x2) + 0.1 noise``,
``beta = 0.05``). Medians over ``--repeat`` runs (the plain cvxpy baseline at N = 50 once) of:

* ``plain``: every pattern in one cvxpy problem solved by Clarabel (enumeration included);
* ``all patterns``: every pattern in one Clarabel problem built directly
  (``fit_plane(method="all")``: rebuild and certificate included);
* ``columns``: column generation driven by the exact worst line, stopped by the exact
  certificate (``fit_plane``, the default; rebuild and certificate included);
* ``columns, warm``: the same after one added point, started from the previous fit's
  ``working_lines``.

Targets: N = 20 <= 300 ms and >= 3x faster than plain; N = 30 <= 800 ms; N = 50 <= 3 s.

    python benchmarks/bench_plane.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import cvxpy as cp
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from timing import median_ms  # noqa: E402

from convexviz.patterns2d import augmented, enumerate_patterns  # noqa: E402
from convexviz.plane import fit_plane  # noqa: E402

BETA = 0.05
CASES = [(20, 300.0), (30, 800.0), (50, 3000.0)]


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """THEORY_2D §6 data with seed ``n``."""
    rng = np.random.default_rng(n)
    x = rng.uniform(-2, 2, (n, 2))
    return x, np.sign(x[:, 0] * x[:, 1]) + 0.1 * rng.normal(size=n)


def plain(x: np.ndarray, y: np.ndarray, beta: float) -> float:
    """The program over all patterns as one cvxpy problem (Clarabel)."""
    d = enumerate_patterns(x).astype(float).T  # (N, P)
    xt = augmented(x)
    u = cp.Variable((d.shape[1], 3))
    v = cp.Variable((d.shape[1], 3))
    xi = cp.Variable()
    fitted = cp.sum(cp.multiply(d, xt @ (u - v).T), axis=1) + xi
    penalty = cp.sum(cp.norm(u[:, :2], axis=1)) + cp.sum(cp.norm(v[:, :2], axis=1))
    cones = [cp.multiply(2 * d - 1, xt @ u.T) >= 0, cp.multiply(2 * d - 1, xt @ v.T) >= 0]
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fitted - y) + beta * penalty), cones)
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(
        "| N | patterns | plain cvxpy ms | all patterns ms | columns ms (target) "
        "| speed-up vs plain | columns, warm ms | working set | rounds | neurons | gap |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, target in CASES:
        x, y = data(n)
        result = fit_plane(x, y, BETA)  # warm-up
        expected = plain(x, y, BETA)
        assert abs(result.objective - expected) <= 1e-6 * expected, (result.objective, expected)
        plain_ms = median_ms(lambda x=x, y=y: plain(x, y, BETA), 1 if n >= 50 else args.repeat)
        all_ms = median_ms(lambda x=x, y=y: fit_plane(x, y, BETA, method="all"), 1)
        columns_ms = median_ms(lambda x=x, y=y: fit_plane(x, y, BETA), args.repeat)
        x_less, y_less = x[:-1], y[:-1]
        start = fit_plane(x_less, y_less, BETA).working_lines
        warm_ms = median_ms(
            lambda x=x, y=y, s=start: fit_plane(x, y, BETA, warm_lines=s), args.repeat
        )
        print(
            f"| {n} | {result.pattern_count} | {plain_ms:.0f} | {all_ms:.0f} "
            f"| {columns_ms:.0f} ({target:.0f}) | {plain_ms / columns_ms:.1f}x | {warm_ms:.0f} "
            f"| {len(result.working_set)} | {result.rounds} | {result.network.width} "
            f"| {result.duality_gap:.1e} |"
        )


if __name__ == "__main__":
    main()
