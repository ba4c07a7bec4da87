"""Command line contract (DESIGN.md §5): JSON keys, --grid, --csv, --repeat, exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convexviz import Architecture
from convexviz.cost import fit_cost
from tests.cli import run_main

ROOT = Path(__file__).resolve().parents[1]
OPT = "0,0 4,0 5,0 7,2 10,3 11,3"

CONTRACT_KEYS = {
    "activation",
    "depth",
    "beta",
    "n_points",
    "dictionary",
    "objective",
    "network_objective",
    "bias",
    "status",
    "certificate",
    "features",
    "timings_ms",
}


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "convexviz", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_json_contract_in_a_real_process():
    proc = run_module(
        "fit", "--points", OPT, "--activation", "relu", "--depth", "3", "--beta", "0.001",
        "--json", "--grid=-2:12:29",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert CONTRACT_KEYS <= set(out)
    assert (out["activation"], out["depth"], out["beta"], out["n_points"]) == ("relu", 3, 0.001, 6)
    assert out["dictionary"] == {"raw_size": 144, "size": 15}
    assert out["status"] == "optimal"
    assert out["network_objective"] == pytest.approx(out["objective"], rel=1e-9)
    assert 0 <= out["certificate"]["duality_gap"] < 1e-9
    assert set(out["timings_ms"]) >= {"build", "solve", "total"}
    assert len(out["features"]) >= 1
    for feature in out["features"]:
        assert {"kind", "coef", "breakpoints", "label"} <= set(feature)
        assert feature["kind"] in ("ramp", "capped_ramp", "reflection")
        assert feature["coef"] != 0
    # --grid: predictions of the fitted curve (reproduce them from the features' sum).
    grid = np.linspace(-2, 12, 29)
    np.testing.assert_allclose(out["predict"]["x"], grid)
    y = np.array(out["predict"]["y"])
    # The data are nearly interpolated at beta = 1e-3.
    data_x = np.array([0, 4, 5, 7, 10, 11.0])
    data_y = np.array([0, 0, 0, 2, 3, 3.0])
    np.testing.assert_allclose(np.interp(data_x, grid[::2], y[::2]), data_y, atol=0.02)


def test_bad_input_exits_2_with_one_stderr_line_in_a_real_process():
    # One process only (each start costs seconds); in-process cases follow below.
    proc = run_module("fit", "--points", "0,0 1,nan", "--beta", "0.1")
    fragment = "point 2: 'nan' is not a finite number"
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert fragment in lines[0]


def test_csv_input(tmp_path, capsys):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n0,0\n2,0\n6,3\n7,3\n", encoding="utf-8")
    code, out, err = run_main(
        capsys, "fit", "--csv", str(path), "--depth", "3", "--beta", "1e-3", "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["n_points"] == 4 and result["dictionary"] == {"raw_size": 64, "size": 6}
    # zshape: the main feature is the capped ramp from 2 to 6 (THEORY.md §8). (At this
    # beta the optimum adds two ramps with coefficients ~1e-4, so do not count features.)
    main_feature = max(result["features"], key=lambda f: abs(f["coef"]))
    assert main_feature["kind"] == "capped_ramp"
    assert main_feature["breakpoints"] == [2.0, 6.0]
    assert abs(main_feature["coef"]) == pytest.approx(0.75, rel=1e-2)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x,y\n0,0\n1,abc\n", "CSV row 2: 'abc' is not a number"),
        ("a,b\n0,0\n", "CSV header must be 'x,y'"),
        ("x,y\n0,0,0\n", "CSV row 1: expected 2 columns"),
        ("x,y\n", "CSV has no data rows"),
    ],
)
def test_malformed_csv(tmp_path, capsys, text, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    code, out, err = run_main(capsys, "fit", "--csv", str(path), "--beta", "0.1")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err


def test_missing_csv_file(tmp_path, capsys):
    code, _, err = run_main(capsys, "fit", "--csv", str(tmp_path / "nope.csv"), "--beta", "1")
    assert code == 2 and "cannot read" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--points", "", "--beta", "0.1"], "no training points"),
        (["--points", "0,0 1", "--beta", "0.1"], "point 2: expected 'x,y'"),
        (["--points", OPT, "--beta", "0.1", "--activation", "tanh"], "unknown activation"),
        (
            ["--points", OPT, "--beta", "0.1", "--activation", "leaky_relu", "--depth", "3"],
            "leaky",
        ),
        (["--points", OPT, "--beta", "0.1", "--grid", "1:0:5"], "--grid needs finite a < b"),
        (["--points", OPT, "--beta", "0.1", "--grid", "a:b"], "--grid must be a:b:n"),
        (["--points", OPT, "--beta", "0.1", "--repeat", "0"], "--repeat must be between"),
        (["--points", OPT, "--beta", "0.1", "--branching", "x"], "--branching must be integers"),
        (["--points", OPT, "--beta", "abc"], "invalid float value"),
        (["--beta", "0.1"], "one of the arguments --points --csv is required"),
        (["--points", OPT, "--beta", "nan"], "beta must be a positive number"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, args, fragment):
    code, out, err = run_main(capsys, "fit", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert fragment in err


def test_too_large_dictionary_message(capsys):
    points = " ".join(f"{i},{i % 3}" for i in range(60))
    code, _, err = run_main(capsys, "fit", "--points", points, "--depth", "4", "--beta", "1")
    assert code == 2 and err.count("\n") == 1
    assert "relu depth 4 with 60 points is too large to solve live here" in err
    assert "--no-limit runs it anyway" in err
    # --no-limit lifts the time limit, not the dictionary's memory cap
    code, _, err = run_main(
        capsys, "fit", "--points", points, "--depth", "4", "--beta", "1", "--no-limit"
    )
    assert code == 2 and "candidate features" in err and "use at most" in err


def test_no_limit_runs_a_fit_the_app_refuses(capsys):
    n = 8  # abs depth 5: refused live, quick offline
    assert not fit_cost(Architecture("abs", 5), n).accepted
    points = " ".join(f"{i},{(-1) ** i}" for i in range(n))
    args = ("fit", "--points", points, "--activation", "abs", "--depth", "5", "--beta", "0.01")
    code, out, err = run_main(capsys, *args)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("convexviz: error: abs depth 5 with 8 points is too large")
    code, out, err = run_main(capsys, *args, "--no-limit", "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["status"] == "optimal"


def test_no_limit_is_explained_in_the_help(capsys):
    code, out, _ = run_main(capsys, "fit", "--help")
    help_text = " ".join(out.split())
    assert code == 0
    assert "--no-limit for offline use" in help_text


def test_repeat_reports_median_timings_and_same_result(capsys):
    code, out, _ = run_main(
        capsys, "fit", "--points", OPT, "--depth", "4", "--beta", "0.01", "--repeat", "3", "--json"
    )
    assert code == 0
    many = json.loads(out)
    code, out, _ = run_main(
        capsys, "fit", "--points", OPT, "--depth", "4", "--beta", "0.01", "--json"
    )
    once = json.loads(out)
    assert many["objective"] == pytest.approx(once["objective"], rel=1e-12)
    t = many["timings_ms"]
    assert 0 < t["build"] <= t["total"] and 0 < t["solve"] <= t["total"]


def test_leaky_and_branching_are_echoed(capsys):
    code, out, _ = run_main(
        capsys, "fit", "--points", OPT, "--activation", "leaky_relu", "--leak", "0.3",
        "--beta", "0.1", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["leak"] == 0.3
    code, out, _ = run_main(
        capsys, "fit", "--points", OPT, "--activation", "sign", "--depth", "4",
        "--branching", "1,2", "--beta", "0.1", "--json",
    )  # fmt: skip
    result = json.loads(out)
    assert code == 0 and result["branching"] == [1, 2]
    assert result["dictionary"]["size"] == 5 + 10  # C(5,1) + C(5,2) patterns, K = 2


def test_text_summary(capsys):
    code, out, _ = run_main(capsys, "fit", "--points", OPT, "--depth", "2", "--beta", "0.5")
    assert code == 0
    assert out.startswith("relu depth 2, beta=0.5, 6 points")
    assert "Lasso optimum" in out and "neurons" in out
