"""Adam beside the optimum: time per step and per full default run, against a baseline.

For ReLU at depth 2 and 3 and N = 6, 12, 20 (fixed-seed data, beta = 0.01) it times

* **per step**: one Adam step of the default batch (4 seeds trained together, the default
  width ``max(N + 1, 2 m*)``), median over ``--repeat`` runs of ``STEP_RUN`` steps;
* **default run**: ``train()`` with every default (4 seeds, 10 000 steps), median over
  ``--runs`` runs; and the best run's gap above the certified optimum, at the default
  width and at twice that width (no timing);

and in the same run the **baseline**: the same 4 seeds trained one after another (a batch
of one each, as the trainer did before seeds were batched). Same arithmetic per run, so the
baseline's runs are bit-identical to the batched ones (checked here).

    python benchmarks/bench_train.py [--repeat 5] [--runs 3] [--quick]

Targets (issue 8): a default call under 30 s on a 2-core machine; a run on N <= 20 reaches
its plateau within a few seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convexviz import Architecture, fit  # noqa: E402
from convexviz.training import WIDTH_RANGE, TrainingSetup, default_width, train  # noqa: E402

SEED = 20240601
BETA = 1e-2
STEP_RUN = 500
CASES = [(2, 6), (2, 12), (2, 20), (3, 6), (3, 12), (3, 20)]


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-seed sorted uniform inputs on [-3, 3], ``y = sin(x) + 0.3 noise``."""
    rng = np.random.default_rng(SEED + n)
    x = np.sort(rng.uniform(-3, 3, n))
    return x, np.sin(x) + 0.3 * rng.normal(size=n)


def seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def batched_and_sequential(x, y, setup: TrainingSetup) -> tuple[float, float]:
    """Seconds for the batch of all seeds, and for the seeds one after another."""
    singles = [dataclasses.replace(setup, seeds=(s,)) for s in setup.seeds]
    batched = seconds(lambda: train(x, y, setup))
    sequential = seconds(lambda: [train(x, y, one) for one in singles])
    return batched, sequential


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="short runs per step timing")
    parser.add_argument("--runs", type=int, default=3, help="full default runs per case")
    parser.add_argument("--quick", action="store_true", help="1 full run, 3 short ones")
    args = parser.parse_args(argv)
    repeat, runs = (3, 1) if args.quick else (max(1, args.repeat), max(1, args.runs))
    print(
        f"- CPU count: {os.cpu_count()} ({platform.machine()}), Python "
        f"{platform.python_version()}, numpy {np.__version__}, load average at start "
        f"{os.getloadavg()[0]:.2f}"
    )
    print(
        f"- ReLU, beta {BETA}, seed {SEED}, 4 seeds, default steps and lr; per step: median "
        f"of {repeat} runs of {STEP_RUN} steps; default run: median of {runs}\n"
    )
    header = (
        "| L | N | width | per step: batched | per step: baseline | speed-up | "
        "**default run: batched** | default run: baseline | best gap above optimum | "
        "same at 2× width |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for depth, n in CASES:
        x, y = data(n)
        optimum = fit(x, y, Architecture("relu", depth), BETA)
        width = default_width(n, optimum.network.n_neurons)
        full = TrainingSetup("relu", depth, BETA, width=width)
        short = dataclasses.replace(full, steps=STEP_RUN)
        train(x, y, short)  # warm-up
        steps = [batched_and_sequential(x, y, short) for _ in range(repeat)]
        step_b = statistics.median(s[0] for s in steps) / STEP_RUN
        step_s = statistics.median(s[1] for s in steps) / STEP_RUN
        whole = [batched_and_sequential(x, y, full) for _ in range(runs)]
        run_b = statistics.median(w[0] for w in whole)
        run_s = statistics.median(w[1] for w in whole)
        final = train(x, y, full)
        alone = train(x, y, dataclasses.replace(full, seeds=(full.seeds[-1],)))
        assert np.array_equal(alone.history[0], final.history[-1]), "batching changed a run"
        gap = float(final.gap_percent(optimum.lasso.objective, "best").min())
        wide = train(x, y, dataclasses.replace(full, width=min(2 * width, WIDTH_RANGE[1])))
        gap_wide = float(wide.gap_percent(optimum.lasso.objective, "best").min())
        print(
            f"| {depth} | {n} | {width} | {1e3 * step_b:.3f} ms | {1e3 * step_s:.3f} ms | "
            f"{step_s / step_b:.1f}× | **{run_b:.2f} s** | {run_s:.2f} s | {gap:.3f} % | "
            f"{gap_wide:.3f} % |"
        )


if __name__ == "__main__":
    main()
