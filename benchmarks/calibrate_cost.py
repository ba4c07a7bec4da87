"""Calibrate the fit cost model of ``convexviz/cost.py`` against measured fit times.

For every (activation, depth) and a range of N it times ``fit()`` from scratch (new
dictionary, ``reuse=False``), medians over ``--repeat`` runs, and prints the measured
seconds beside the model's estimate (``convexviz.cost.fit_cost``), the ratio, and the
dictionary sizes (the model's bound, the raw size built, the distinct columns).

Then, per builder, it fits the model's three constants to the measurements
(``seconds ~ t_0 + M (b (L-1) N + s N^2)``, non-negative least squares on relative errors) and
scales them up to the worst row, so the suggested constants bound every measurement; copy
them into ``FIXED_SECONDS`` / ``BUILD_SECONDS`` / ``SOLVE_SECONDS``.

    python benchmarks/calibrate_cost.py [--repeat 3] [--quick] [--beta 0.01]
    python benchmarks/calibrate_cost.py --fit-only run1.txt run2.txt   # pool saved runs
    python benchmarks/calibrate_cost.py --beta-check   # does beta matter at the limits?

``--fit-only`` measures nothing: it reads the tables of earlier runs (this script's output),
prints their measurements beside the *current* model's estimates, and fits the constants
to all their rows together, an envelope over several runs.

Data: fixed seed, sorted uniform ``x`` on [-3, 3], ``y = sin(x) + 0.3 noise``. Run it
when the machine is as quiet as you can get; the load average is printed first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.optimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convexviz import Architecture, fit  # noqa: E402
from convexviz.cost import (  # noqa: E402
    BUILD_SECONDS,
    FIXED_SECONDS,
    SOLVE_SECONDS,
    builder,
    fit_cost,
    max_points,
)
from convexviz.limits import MAX_FIT_SECONDS  # noqa: E402

#: (activation, depth, N values): each range runs past the live limit so that the
#: constants are fitted where the decision is made.
CASES = (
    ("relu", 2, (50, 100, 200)),
    ("leaky_relu", 2, (100, 200)),
    ("abs", 2, (100, 200)),
    ("sign", 2, (100, 200)),
    ("relu", 3, (40, 60, 80, 100, 120)),
    ("relu", 4, (10, 14, 17, 20, 23, 26)),
    ("relu", 8, (10, 14, 17, 20)),
    ("abs", 3, (40, 60, 80, 100, 120)),
    ("abs", 4, (12, 16, 20, 24, 28, 32)),
    ("abs", 5, (5, 6, 7, 8, 9, 10, 11)),
    ("sign", 3, (40, 60, 80, 100)),
    ("sign", 4, (20, 30, 40, 50)),
    ("sign", 5, (12, 14, 16, 18)),
    ("threshold", 5, (14, 16)),
)
QUICK = {"relu": 2, "abs": 3}  # --quick: the first N values only


def data(n: int, seed: int = 20240601) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, n))
    return x, np.sin(x) + 0.3 * rng.standard_normal(n)


def measure(arch: Architecture, n: int, beta: float, repeat: int) -> dict:
    """Median total / build / solve seconds and the dictionary's sizes."""
    x, y = data(n)
    totals, builds, solves = [], [], []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fit(x, y, arch, beta, reuse=False, limit=False, deadline_s=None)
        totals.append(time.perf_counter() - t0)
        builds.append(result.timings_ms["build"] / 1e3)
        solves.append(result.timings_ms["solve"] / 1e3)
    return {
        "total": statistics.median(totals),
        "build": statistics.median(builds),
        "solve": statistics.median(solves),
        "raw": result.dictionary.raw_size,
        "distinct": result.dictionary.size,
    }


def fit_constants(rows: list[dict]) -> dict[str, tuple[float, float, float]]:
    """Per builder: ``(t_0, b, s)`` with ``t_0 + M (b N + s N^2)`` above every row."""
    out = {}
    for key in sorted({r["builder"] for r in rows}):
        mine = [r for r in rows if r["builder"] == key]
        t = np.array([r["total"] for r in mine])
        design = np.array(
            [[1.0, r["bound"] * r["layers"] * r["n"], r["bound"] * r["n"] ** 2] for r in mine]
        )
        coef, _ = scipy.optimize.nnls(design / t[:, None], np.ones_like(t))
        scale = max(float(np.max(t / (design @ coef))), 1.0)
        out[key] = tuple(float(c * scale) for c in coef)
    return out


HEADER = (
    "activation", "depth", "N", "M bound", "M raw", "M distinct", "estimate s",
    "measured s", "build s", "solve s", "measured/estimate",
)  # fmt: skip


def print_header() -> None:
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))


def table_row(row: dict) -> str:
    """One Markdown row: a measurement beside the current model's estimate."""
    arch, n = row["arch"], row["n"]
    cost = fit_cost(arch, n)
    mark = " (accepted)" if cost.accepted else ""
    return (
        f"| {arch.activation} | {arch.depth} | {n} | {cost.columns:,} | {row['raw']:,} | "
        f"{row['distinct']:,} | {cost.seconds:.3f}{mark} | {row['total']:.3f} | "
        f"{row['build']:.3f} | {row['solve']:.3f} | {row['total'] / cost.seconds:.2f} |"
    )


def read_rows(paths: list[str]) -> list[dict]:
    """The measured rows of saved runs (this script's printed tables)."""
    rows = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 11 or not cells[1].isdigit():
                continue
            arch = Architecture(cells[0], int(cells[1]))
            rows.append({
                "arch": arch,
                "n": int(cells[2]),
                "bound": int(cells[3].replace(",", "")),
                "raw": int(cells[4].replace(",", "")),
                "distinct": int(cells[5].replace(",", "")),
                "total": float(cells[7]),
                "build": float(cells[8]),
                "solve": float(cells[9]),
                "layers": arch.depth - 1,
                "builder": builder(arch),
                "source": Path(path).name,
            })  # fmt: skip
    return rows


def print_constants(rows: list[dict]) -> None:
    print("\nsuggested constants (t_0 s, b per column x point, s per column x point^2), now:")
    for key, (t0, b, s) in fit_constants(rows).items():
        print(
            f"  {key:10s} t_0 = {t0:.2e} ({FIXED_SECONDS[key]:.2e})  "
            f"b = {b:.2e} ({BUILD_SECONDS[key]:.2e})  s = {s:.2e} ({SOLVE_SECONDS[key]:.2e})"
        )


#: ``--beta-check``: beta from tiny (near interpolation) to large (few neurons).
CHECK_BETAS = (1e-5, 1e-3, 1e-1)


def beta_check(repeat: int) -> None:
    """Each deep architecture at its largest accepted N, for several beta."""
    print(
        "| activation | depth | N (largest accepted) | estimate s | "
        + " | ".join(f"measured s, beta {b:g}" for b in CHECK_BETAS)
        + " |"
    )
    print("|" + "---|" * (4 + len(CHECK_BETAS)))
    for act, depth in (("relu", 3), ("relu", 4), ("relu", 8), ("abs", 3), ("abs", 4),
                       ("abs", 5), ("sign", 3), ("sign", 4), ("sign", 5)):  # fmt: skip
        arch = Architecture(act, depth)
        n = max_points(arch)
        times = [measure(arch, n, beta, repeat)["total"] for beta in CHECK_BETAS]
        print(
            f"| {act} | {depth} | {n} | {fit_cost(arch, n).seconds:.3f} | "
            + " | ".join(f"{t:.3f}" for t in times)
            + " |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--beta", type=float, default=0.01)
    parser.add_argument("--quick", action="store_true", help="two N values per case")
    parser.add_argument("--fit-only", nargs="+", metavar="TABLE", help="pool saved runs")
    parser.add_argument("--beta-check", action="store_true", help="several beta at the limits")
    args = parser.parse_args()
    if args.beta_check:
        print(f"load average at start: {os.getloadavg()[0]:.2f}, {args.repeat} runs (medians)")
        beta_check(args.repeat)
        return
    if args.fit_only:
        rows = read_rows(args.fit_only)
        print(f"{len(rows)} rows from {len(args.fit_only)} saved runs, current estimates\n")
        print_header()
        for row in rows:
            print(table_row(row))
        worst = max(rows, key=lambda r: r["total"] / fit_cost(r["arch"], r["n"]).seconds)
        print(f"\nworst measured/estimate: {table_row(worst)} ({worst['source']})")
        slowest = max(
            (r for r in rows if fit_cost(r["arch"], r["n"]).accepted), key=lambda r: r["total"]
        )
        print(f"slowest accepted fit: {table_row(slowest)} ({slowest['source']})")
        print_constants(rows)
        return
    print(f"load average at start: {os.getloadavg()[0]:.2f} (CPU count {os.cpu_count()})")
    print(
        f"beta {args.beta}, {args.repeat} runs per case (medians), live limit "
        f"{MAX_FIT_SECONDS} s estimated\n"
    )
    header = (
        "activation",
        "depth",
        "N",
        "M bound",
        "M raw",
        "M distinct",
        "estimate s",
        "measured s",
        "build s",
        "solve s",
        "measured/estimate",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    rows = []
    for act, depth, ns in CASES:
        arch = Architecture(act, depth)
        for n in ns[: 2 if args.quick else None]:
            cost = fit_cost(arch, n)
            got = measure(arch, n, args.beta, args.repeat)
            row = {**got, "arch": arch, "n": n, "bound": cost.columns}
            rows.append({**row, "layers": depth - 1, "builder": builder(arch)})
            print(table_row(row), flush=True)
    print_constants(rows)
    print("\nlargest N accepted live:")
    for act, depth, _ in CASES:
        print(f"  {act} depth {depth}: {max_points(Architecture(act, depth))}")


if __name__ == "__main__":
    main()
