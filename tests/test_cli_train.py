"""``python -m convexviz train``: the JSON contract of issue 8 and the bad-input rule."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convexviz import Architecture, fit
from convexviz.training import DEFAULT_SEEDS, DEFAULT_STEPS, default_width
from tests.cli import run_main

ROOT = Path(__file__).resolve().parents[1]
OPT = "0,0 4,0 5,0 7,2 10,3 11,3"
OPT_X, OPT_Y = [0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3]
BASE = ["train", "--points", OPT, "--activation", "relu", "--depth", "2", "--beta", "0.01"]


def test_default_call_in_a_real_process_meets_the_contract_quickly():
    """Defaults on the paper's 'opt' data: best of 4 seeds within 1 %, well under 30 s."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "convexviz", *BASE, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"lasso_objective", "width", "steps", "runs"}
    optimum = fit(OPT_X, OPT_Y, Architecture("relu", 2), 0.01)
    assert out["lasso_objective"] == pytest.approx(optimum.lasso.objective, rel=1e-9)
    assert out["width"] == default_width(6, optimum.network.n_neurons) == 10
    assert out["steps"] == DEFAULT_STEPS
    assert [r["seed"] for r in out["runs"]] == list(range(DEFAULT_SEEDS))
    for run in out["runs"]:
        assert set(run) == {"seed", "objective", "best"}
        assert isinstance(run["seed"], int)
        assert run["best"] <= run["objective"]
        assert run["best"] >= out["lasso_objective"] * (1 - 1e-9)
    assert min(r["objective"] for r in out["runs"]) <= 1.01 * out["lasso_objective"]
    assert elapsed < 15, f"{elapsed:.1f} s"  # the contract allows 30 s


def test_options_are_honoured_and_runs_are_reproducible(capsys):
    args = [*BASE, "--width", "3", "--steps", "200", "--seeds", "2", "--lr", "0.02", "--json"]
    code, out, err = run_main(capsys, *args)
    assert code == 0, err
    first = json.loads(out)
    assert (first["width"], first["steps"], len(first["runs"])) == (3, 200, 2)
    code, out, _ = run_main(capsys, *args)
    assert json.loads(out) == first
    code, out, _ = run_main(capsys, *args[:-3], "--lr", "0.03", "--json")
    assert json.loads(out)["runs"] != first["runs"]


def test_leaky_and_deep_abs_are_trained_with_their_leak_and_depth(capsys):
    code, out, err = run_main(
        capsys, "train", "--points", OPT, "--activation", "leaky_relu", "--leak", "0.3",
        "--beta", "0.1", "--steps", "300", "--seeds", "1", "--json",
    )  # fmt: skip
    assert code == 0, err
    leaky = fit(OPT_X, OPT_Y, Architecture("leaky_relu", 2, leak=0.3), 0.1).lasso.objective
    assert json.loads(out)["lasso_objective"] == pytest.approx(leaky, rel=1e-9)
    code, out, err = run_main(
        capsys, "train", "--points", OPT, "--activation", "abs", "--depth", "4",
        "--beta", "0.1", "--steps", "300", "--seeds", "1", "--json",
    )  # fmt: skip
    assert code == 0, err
    deep_abs = fit(OPT_X, OPT_Y, Architecture("abs", 4), 0.1).lasso.objective
    out = json.loads(out)
    assert out["lasso_objective"] == pytest.approx(deep_abs, rel=1e-9)
    assert out["runs"][0]["best"] >= deep_abs * (1 - 1e-9)


def test_text_summary_lists_every_run(capsys):
    code, out, err = run_main(capsys, *BASE, "--steps", "100", "--seeds", "3")
    assert code == 0, err
    assert "certified Lasso optimum" in out
    assert [line.split(":")[0].strip() for line in out.splitlines()[2:]] == [
        "seed 0",
        "seed 1",
        "seed 2",
    ]


def test_one_point_has_optimum_zero_and_training_gets_down_to_it(capsys):
    args = ["train", "--points", "1,1", "--beta", "0.1", "--steps", "300"]
    code, out, err = run_main(capsys, *args, "--json")
    assert code == 0, err
    out = json.loads(out)
    assert out["lasso_objective"] == 0.0 and out["width"] == 2
    assert all(0.0 <= r["best"] < 1e-6 for r in out["runs"])
    code, text, err = run_main(capsys, *args)
    assert code == 0 and err == ""
    assert "seed 3: final" in text


POINTS = ["--points", OPT]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--points", "0,0 1,nan", "--beta", "0.1"], "not a finite number"),
        (["--points", "0,0 1,2,3", "--beta", "0.1"], ""),
        ([*POINTS, "--activation", "tanh", "--beta", "0.1"], "tanh"),
        ([*POINTS, "--activation", "sign", "--beta", "0.1"], "training supports relu"),
        ([*POINTS, "--activation", "threshold", "--beta", "0.1"], "training supports relu"),
        ([*POINTS, "--activation", "leaky_relu", "--depth", "3", "--beta", "0.1"], "depth"),
        ([*POINTS, "--activation", "abs", "--depth", "5", "--beta", "0.1"], "depth 2, 3, 4"),
        ([*POINTS, "--depth", "1", "--beta", "0.1"], "depth"),
        ([*POINTS, "--beta", "0"], "beta must be a positive number"),
        ([*POINTS, "--beta", "-1"], "beta must be a positive number"),
        ([*POINTS, "--beta", "nan"], "beta must be a positive number"),
        ([*POINTS, "--beta", "0.1", "--leak", "2"], "leak must be in"),
        ([*POINTS, "--beta", "0.1", "--width", "0"], "width must be an integer in [1, 200]"),
        ([*POINTS, "--beta", "0.1", "--width", "201"], "width must be"),
        ([*POINTS, "--beta", "0.1", "--width", "2.5"], "invalid int value"),
        ([*POINTS, "--beta", "0.1", "--steps", "0"], "steps must be"),
        ([*POINTS, "--beta", "0.1", "--steps", "50001"], "steps must be"),
        ([*POINTS, "--beta", "0.1", "--seeds", "0"], "number of seeds must be"),
        ([*POINTS, "--beta", "0.1", "--seeds", "17"], "number of seeds must be"),
        ([*POINTS, "--beta", "0.1", "--lr", "0"], "lr must be in"),
        ([*POINTS, "--beta", "0.1", "--lr", "1.5"], "lr must be in"),
        ([*POINTS, "--beta", "0.1", "--lr", "inf"], "lr must be in"),
        (
            ["--points", " ".join(f"{i},0" for i in range(201)), "--beta", "0.1"],
            "too many points",
        ),
        (
            [
                "--points",
                " ".join(f"{i},{i % 3}" for i in range(120)),
                "--beta",
                "0.1",
                "--width",
                "200",
                "--steps",
                "50000",
                "--seeds",
                "16",
            ],
            "too much training",
        ),  # fmt: skip
        (["--beta", "0.1"], "one of the arguments --points --csv is required"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args, fragment):
    code, out, err = run_main(capsys, "train", *args)
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("convexviz: error: ")
    assert fragment in err


def test_bad_input_in_a_real_process_is_one_line():
    proc = subprocess.run(
        [sys.executable, "-m", "convexviz", *BASE, "--steps", "-5", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "steps must be" in proc.stderr
