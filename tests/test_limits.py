"""Each limit and default has one home (convexviz.limits) that every entry point obeys."""

from __future__ import annotations

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.activations import ACTIVATIONS
from convexviz.cli import _parser
from convexviz.dictionary import validate_inputs
from convexviz.limits import (
    DEFAULT_LEAK,
    LEAK_RANGE,
    MAX_ABS_VALUE,
    MAX_ABS_VALUE_TEXT,
    MAX_POINTS,
)
from convexviz.ui.state import AppState, decode

LOW, HIGH = LEAK_RANGE
OUTSIDE = (LOW / 2, (HIGH + 1) / 2)


def test_leak_default_is_the_same_everywhere():
    cli_default = _parser().parse_args(["fit", "--points", "0,0", "--beta", "1"]).leak
    assert Architecture("leaky_relu").leak == AppState(points=()).leak == DEFAULT_LEAK
    assert cli_default == DEFAULT_LEAK
    u = np.array([-2.0])
    assert ACTIVATIONS["leaky_relu"](u) == pytest.approx(-2.0 * DEFAULT_LEAK)


@pytest.mark.parametrize("leak", LEAK_RANGE)
def test_leak_range_is_closed_for_engine_and_url(leak):
    assert Architecture("leaky_relu", 2, leak=leak).leak == leak
    state, notices = decode({"act": "leaky_relu", "depth": "2", "leak": repr(leak)})
    assert (state.leak, notices) == (leak, [])


@pytest.mark.parametrize("leak", OUTSIDE)
def test_leak_outside_the_range_is_refused_by_engine_and_url(leak):
    with pytest.raises(ValueError, match=f"leak must be in \\[{LOW:g}, {HIGH:g}\\]"):
        Architecture("leaky_relu", 2, leak=leak)
    state, notices = decode({"act": "leaky_relu", "depth": "2", "leak": repr(leak)})
    assert state.leak == DEFAULT_LEAK and len(notices) == 1 and f"{HIGH:g}" in notices[0]


def test_value_bound_is_the_same_for_engine_and_url():
    assert float(MAX_ABS_VALUE_TEXT) == MAX_ABS_VALUE
    x, _ = validate_inputs([0.0, MAX_ABS_VALUE])
    assert x[-1] == MAX_ABS_VALUE
    with pytest.raises(ValueError, match=f"within \\+-{MAX_ABS_VALUE_TEXT} "):
        validate_inputs([0.0, 2 * MAX_ABS_VALUE])
    state, notices = decode({"pts": f"0:0,{2 * MAX_ABS_VALUE!r}:1"})
    assert notices and MAX_ABS_VALUE_TEXT in notices[0]
    state, notices = decode({"beta": repr(2 * MAX_ABS_VALUE)})
    assert notices and MAX_ABS_VALUE_TEXT in notices[0]


def test_point_limit_is_the_same_for_engine_and_url():
    xs = range(MAX_POINTS + 1)
    with pytest.raises(ValueError, match=f"at most {MAX_POINTS} are allowed"):
        fit(list(xs), [0.0] * len(xs), Architecture("relu", 2), 0.1)
    state, _ = decode({"pts": ",".join(f"{x}:0" for x in xs)})
    assert len(state.points) == MAX_POINTS
