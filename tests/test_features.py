"""Single features: values, exact breakpoints, kinds and labels."""

from __future__ import annotations

import numpy as np
import pytest

from convexviz import Architecture, build_dictionary
from convexviz.features import KINDS, ChainFeature, PatternFeature, fmt
from tests import reference as ref


def numeric_kinks(f, candidates: np.ndarray, h: float) -> list[float]:
    """Candidates where the slope of ``f`` changes (second difference with step ``h``)."""
    left, mid, right = f(candidates - h), f(candidates), f(candidates + h)
    scale = np.maximum(1.0, np.abs(mid))
    return sorted(candidates[np.abs(left - 2 * mid + right) > 1e-9 * scale].tolist())


def check_piecewise_linear_between(f, breakpoints, lo: float, hi: float) -> None:
    """``f`` is affine between consecutive breakpoints (and beyond the outer ones)."""
    edges = np.concatenate([[lo], np.asarray(breakpoints, float), [hi]])
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if b - a < 1e-9:
            continue
        t = np.linspace(a, b, 9)
        v = f(t)
        expected = v[0] + (v[-1] - v[0]) * (t - a) / (b - a)
        np.testing.assert_allclose(v, expected, atol=1e-9)


@pytest.mark.parametrize(
    ("act", "depth"), [("relu", 3), ("relu", 4), ("abs", 3), ("leaky_relu", 2)]
)
def test_breakpoints_are_exactly_the_kinks(act, depth):
    rng = np.random.default_rng(depth)
    x = np.sort(rng.uniform(-3, 3, size=4))
    d = build_dictionary(x, Architecture(act, depth))
    # Every kink of these features sits at a data point, a reflected point or a midpoint.
    cands = np.unique(
        np.concatenate(
            [x, (2 * x[:, None] - x[None, :]).ravel(), ((x[:, None] + x[None, :]) / 2).ravel()]
        )
    )
    h = 0.25 * np.min(np.diff(cands))
    for i in range(d.raw_size):
        feature = d.columns.feature(i)
        b = feature.breakpoints
        assert list(b) == sorted(b)
        assert np.allclose(b, numeric_kinks(feature.evaluate, cands, h), atol=1e-9)
        check_piecewise_linear_between(feature.evaluate, b, cands[0] - 5, cands[-1] + 5)


def test_chain_feature_evaluates_the_recursion():
    points = [0.0, 4.0, 5.0, 7.0]
    g = np.linspace(-3, 12, 61)
    for s in [(1.0, 1.0, 1.0), (-1.0, -1.0, 1.0), (1.0, -1.0, -1.0)]:
        for j, k in [((0, 1, 2), 1), ((3, 0, 1), 0), ((2, 2, 3), 1)]:
            anchors = ref.narrow_relu_anchors(points, j, k)
            # Offsets c_l = g_{l-1}(a_l) from the oracle's own recursion.
            offsets = []
            for level, a in enumerate(anchors):
                prev = ChainFeature("relu", s[:level], tuple(offsets), "ramp") if level else None
                offsets.append(float(prev.evaluate(np.array([a]))[0]) if prev else a)
            feature = ChainFeature("relu", s, tuple(offsets), "capped_ramp")
            expected = [ref.narrow_relu_feature(t, points, s, j, k) for t in g]
            np.testing.assert_allclose(feature.evaluate(g), expected, atol=1e-12)
            assert feature.depth == 4


def test_capped_ramp_feature_shape_and_label():
    # s = (+1, -1), c = (2, 4): relu(-(relu(x - 2) - 4)) = 4 - ramp(2, 6; x).
    f = ChainFeature("relu", (1.0, -1.0), (2.0, 4.0), "capped_ramp")
    g = np.linspace(-1, 9, 41)
    np.testing.assert_allclose(f.evaluate(g), 4 - np.clip(g - 2, 0, 4))
    assert f.breakpoints == (2.0, 6.0)
    assert "2" in f.label and "6" in f.label
    assert "capped" in f.label


def test_two_layer_labels_and_kinds():
    ramp = ChainFeature("relu", (-1.0,), (1.5,), "ramp")
    assert ramp.breakpoints == (1.5,)
    assert "1.5 - x" in ramp.label
    vee = ChainFeature("abs", (1.0,), (-2.0,), "vee")
    assert vee.label == "vee |x + 2|"
    leaky = ChainFeature("leaky_relu", (1.0,), (0.0,), "ramp", leak=0.25)
    np.testing.assert_allclose(leaky.evaluate(np.array([-2.0, 3.0])), [-0.5, 3.0])
    assert leaky.label.startswith("leaky ramp")


def test_reflection_label_names_the_mirror_construction():
    f = ChainFeature(
        "abs", (1.0, 1.0), (4.0, 4.0), "reflection", mirrors=((0.0, 4.0),), family="R"
    )
    # ||x - 4| - 4|: kinks at 0, 4 and 8 = 0 mirrored about 4.
    assert f.breakpoints == (0.0, 4.0, 8.0)
    assert "0 mirrored at 4 -> 8" in f.label


def test_chain_feature_rejects_mismatched_parameters():
    with pytest.raises(ValueError, match="equal length"):
        ChainFeature("relu", (1.0, 1.0), (0.0,), "ramp")
    with pytest.raises(ValueError, match="non-empty"):
        ChainFeature("relu", (), (), "ramp")


@pytest.mark.parametrize("act", ["sign", "threshold"])
def test_pattern_feature_values_and_convention(act):
    low, high = (-1.0, 1.0) if act == "sign" else (0.0, 1.0)
    f = PatternFeature(act, (0.5, 2.0), low)
    g = np.array([-1.0, 0.5, 1.0, 2.0, 3.0])
    # sign(0) = +1: at a switch the value is the one right of it.
    np.testing.assert_array_equal(f.evaluate(g), [low, high, high, low, low])
    assert f.kind == "multistep" and f.breakpoints == (0.5, 2.0)
    step = PatternFeature(act, (1.0,), low)
    assert step.kind == "step" and step.label == "step up at 1"
    np.testing.assert_array_equal(step.evaluate(g), [ref.step_feature(t, 1.0, act) for t in g])


def test_fmt_and_kinds():
    assert fmt(3.0) == "3" and fmt(-0.0) == "0" and fmt(-0.5) == "-0.5"
    assert KINDS[0] == "ramp" and set(KINDS) >= {"capped_ramp", "reflection", "step", "midpoint"}
