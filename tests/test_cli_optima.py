"""``python -m convexviz optima``: uniqueness, every optimal network, closed forms (JSON)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.cli import OPTIMA_LIMIT_RANGE
from tests.cli import run_main

ROOT = Path(__file__).resolve().parents[1]
OPT = "0,0 4,0 5,0 7,2 10,3 11,3"
OPT_ARGS = ("optima", "--points", OPT, "--activation", "relu", "--depth", "4", "--beta", "0.001")


def test_json_in_a_real_process():
    proc = subprocess.run(
        [sys.executable, "-m", "convexviz", *OPT_ARGS, "--json", "--grid=-2:13:31"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"objective", "unique", "reason", "closed_forms", "networks"}
    expected = fit([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], Architecture("relu", 4), 1e-3)
    assert out["objective"] == pytest.approx(expected.lasso.objective, rel=1e-12)
    assert out["unique"] is False and out["reason"].startswith("Not unique")
    names = [n["name"] for n in out["networks"]]
    assert names[:3] == ["sparsest", "fewest reflections", "smallest ||z||_2"]
    for network in out["networks"]:
        assert network["objective"] == pytest.approx(out["objective"], rel=1e-9)
        assert network["n_neurons"] == len(network["features"])
        assert len(network["predict"]["y"]) == 31
    kinds = {n["name"]: {f["kind"] for f in n["features"]} for n in out["networks"]}
    assert "reflection" in kinds["sparsest"]
    assert kinds["fewest reflections"] == {"capped_ramp"}
    forms = {f["name"]: f for f in out["closed_forms"]}
    assert forms["β_max"]["value"] == pytest.approx(expected.beta_max, rel=1e-12)
    assert forms["β → 0 limit of objective / β"]["value"] == pytest.approx(1.0)
    assert all(f["label"] == "[PROVED-HERE]" for f in out["closed_forms"])


def test_limit_and_text_summary(capsys):
    code, out, err = run_main(capsys, *OPT_ARGS, "--limit", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].startswith("Not unique")
    assert [line.split(":")[0] for line in lines if line.endswith("objective 0.00099975")] == [
        "sparsest",
        "fewest reflections",
    ]


def test_unique_case_lists_one_network(capsys):
    code, out, _ = run_main(
        capsys, "optima", "--points", "-2,0.5 -1.1,-0.7 0.3,0.8 0.9,0.1 2.2,-0.4 3.1,1.2",
        "--beta", "0.1", "--json",
    )  # fmt: skip
    assert code == 0
    d = json.loads(out)
    assert d["unique"] is True and len(d["networks"]) == 1
    coefs = np.array([f["coef"] for f in d["networks"][0]["features"]])
    assert np.all(coefs != 0)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--points", "0,nan 1,2", "--beta", "0.1"), "NaN"),
        (("--points", "0,1,2 3,4", "--beta", "0.1"), "expected 'x,y'"),
        (("--points", OPT, "--activation", "tanh", "--beta", "0.1"), "tanh"),
        (("--points", OPT, "--beta", "0"), "beta"),
        (("--points", OPT, "--beta", "-1"), "beta"),
        (("--points", OPT, "--beta", "0.1", "--depth", "9"), "depth"),
        (
            ("--points", " ".join(f"{i},0" for i in range(40)), "--depth", "4", "--beta", "1"),
            "too large to solve live here",
        ),
        (
            ("--points", " ".join(f"{i},0" for i in range(40)), "--depth", "4", "--beta", "1")
            + ("--no-limit",),
            "limit 400,000",
        ),
        (("--points", OPT, "--beta", "0.1", "--limit", "0"), "--limit"),
        (("--points", OPT, "--beta", "0.1", "--limit", str(OPTIMA_LIMIT_RANGE[1] + 1)), "--limit"),
        (("--points", OPT, "--beta", "0.1", "--limit", "two"), "--limit"),
        (("--points", OPT, "--beta", "0.1", "--grid", "3:1:10"), "--grid"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    code, out, err = run_main(capsys, "optima", *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("convexviz: error:")
    assert message.lower() in err.lower()
