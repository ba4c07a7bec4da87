"""``python -m convexviz fit2d``: the contract of issue 9 and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convexviz.limits import MAX_PLANE_POINTS
from tests.cli import run_main

XOR = "0,0,1 1,0,-1 0,1,-1 1,1,1 0.5,0.2,0.3"


def _relu_network(d: dict, points: np.ndarray) -> np.ndarray:
    w = np.array([n["w"] for n in d["neurons"]]).reshape(-1, 2)
    b = np.array([n["b"] for n in d["neurons"]])
    alpha = np.array([n["alpha"] for n in d["neurons"]])
    return np.maximum(points @ w.T + b, 0) @ alpha + d["offset"]


def test_json_contract(capsys):
    code, out, err = run_main(capsys, "fit2d", "--points", XOR, "--beta", "0.05", "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert set(d) == {
        "objective",
        "network_objective",
        "status",
        "offset",
        "neurons",
        "patterns",
        "certificate",
        "timings_ms",
    }
    assert d["status"] == "optimal"
    assert d["patterns"] == {"count": 21, "used": d["patterns"]["used"]}
    assert 1 <= d["patterns"]["used"] <= len(d["neurons"]) <= 6
    assert set(d["certificate"]["worst_line"]) == {"w", "b", "value"}
    assert 0 <= d["certificate"]["duality_gap"] <= 1e-8
    assert d["timings_ms"]["total"] > 0
    # the neurons reproduce the objective
    data = np.array([[float(v) for v in p.split(",")] for p in XOR.split()])
    beta = 0.05
    f = _relu_network(d, data[:, :2])
    penalty = sum(n["w"][0] ** 2 + n["w"][1] ** 2 + n["alpha"] ** 2 for n in d["neurons"])
    objective = 0.5 * np.sum((f - data[:, 2]) ** 2) + beta / 2 * penalty
    assert objective == pytest.approx(d["objective"], rel=1e-9)
    assert objective == pytest.approx(d["network_objective"], rel=1e-12)


def test_csv_and_repeat_give_the_same_fit(capsys, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x1,x2,y\n" + "\n".join(XOR.split()) + "\n", encoding="utf-8")
    code, out, _ = run_main(capsys, "fit2d", "--csv", str(path), "--beta", "0.05", "--json")
    assert code == 0
    from_csv = json.loads(out)
    code, out, _ = run_main(
        capsys, "fit2d", "--points", XOR, "--beta", "0.05", "--repeat", "3", "--json"
    )
    assert code == 0
    assert json.loads(out)["objective"] == pytest.approx(from_csv["objective"], rel=1e-12)


def test_repeated_locations_are_legal_and_the_text_summary(capsys):
    code, out, err = run_main(capsys, "fit2d", "--points", XOR + " 1,0,-0.5", "--beta", "0.1")
    assert code == 0 and err == ""
    assert "optimal" in out and "patterns: 21" in out


def _too_many() -> str:
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, (MAX_PLANE_POINTS + 1, 3))
    return " ".join(f"{a},{b},{c}" for a, b, c in pts)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--points", "0,0,1 1,nan,0", "--beta", "0.1"], "finite"),
        (["--points", "0,0,1 1,inf,0", "--beta", "0.1"], "finite"),
        (["--points", "0,0,1 1,0", "--beta", "0.1"], "x1,x2,y"),
        (["--points", "0,0,1 1,0,1,2", "--beta", "0.1"], "x1,x2,y"),
        (["--points", "0,0,1 a,0,1", "--beta", "0.1"], "not a number"),
        (["--points", "   ", "--beta", "0.1"], "no training points"),
        (["--points", _too_many(), "--beta", "0.1"], "too many points"),
        (["--points", XOR, "--beta", "0"], "beta"),
        (["--points", XOR, "--beta", "-1"], "beta"),
        (["--points", XOR, "--beta", "nan"], "beta"),
        (["--points", XOR, "--beta", "0.1", "--repeat", "0"], "repeat"),
        (["--csv", "/nonexistent/points.csv", "--beta", "0.1"], "cannot read"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    code, out, err = run_main(capsys, "fit2d", *args, "--json")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err


def test_a_solver_failure_is_one_line_and_exit_2(capsys, monkeypatch):
    """Clarabel failing is said in one line (exit 2), never a traceback."""
    import convexviz.plane as plane_module
    from convexviz.plane_program import ProgramFailedError

    def failing(*args, **kwargs):
        raise ProgramFailedError("the plane program could not be solved (test)")

    monkeypatch.setattr(plane_module, "solve_program", failing)
    code, out, err = run_main(capsys, "fit2d", "--points", XOR, "--beta", "0.05")
    assert code == 2 and out == "" and err.count("\n") == 1 and "could not be solved" in err
