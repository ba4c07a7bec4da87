"""Plane data: presets, random points, the line preset's 1-D equivalence, strict parsing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convexviz.architecture import Architecture
from convexviz.datasets2d import (
    LINE_DATA_1D,
    PLANE_PRESETS,
    is_classes,
    line_coordinates,
    parse_plane_csv,
    parse_plane_points,
    random_plane_points,
)
from convexviz.fit import fit
from convexviz.limits import MAX_PLANE_POINTS
from convexviz.patterns2d import cover_count
from convexviz.plane import fit_plane

NAMES = ["xor", "disc", "spiral", "moons", "separable", "line"]


def test_the_presets_the_issue_asks_for():
    assert list(PLANE_PRESETS) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_is_distinct_finite_points_within_the_cap_and_fits_certified(name):
    preset = PLANE_PRESETS[name]
    xy = np.array([p[:2] for p in preset.points])
    y = np.array([p[2] for p in preset.points])
    assert 4 <= len(xy) <= 20 <= MAX_PLANE_POINTS
    assert len({tuple(p) for p in xy}) == len(xy)
    assert np.isfinite(xy).all() and np.isfinite(y).all()
    result = fit_plane(xy, y, preset.beta)
    assert result.status == "optimal"
    assert result.network.width <= len(xy) + 1


@pytest.mark.parametrize("name", ["xor", "disc", "spiral", "moons", "separable"])
def test_the_classification_presets_have_two_balanced_classes_in_general_position(name):
    preset = PLANE_PRESETS[name]
    assert preset.classes
    labels = [p[2] for p in preset.points]
    assert 0.3 <= labels.count(1.0) / len(labels) <= 0.7
    xy = np.array([p[:2] for p in preset.points])
    result = fit_plane(xy, np.array(labels), preset.beta)
    assert result.pattern_count == cover_count(len(xy))  # no three points on a line


def test_xor_and_separable_are_what_their_names_say():
    for name, separable in [("xor", False), ("separable", True)]:
        pts = np.array(PLANE_PRESETS[name].points)
        # a perceptron-style check over many directions: does some line separate the classes?
        angles = np.linspace(0, np.pi, 3600, endpoint=False)
        proj = pts[:, :2] @ np.column_stack([np.cos(angles), np.sin(angles)]).T
        pos, neg = proj[pts[:, 2] > 0], proj[pts[:, 2] < 0]
        gap = np.maximum(pos.min(0) - neg.max(0), neg.min(0) - pos.max(0))
        assert (gap.max() > 0) == separable


def test_the_line_preset_is_the_one_dimensional_relu_depth_2_optimum():
    preset = PLANE_PRESETS["line"]
    assert not preset.classes
    pts = np.array(preset.points)
    t = line_coordinates(pts[:, :2])
    assert t is not None
    np.testing.assert_allclose(t - t[0], [p[0] for p in LINE_DATA_1D], atol=2e-3)
    plane = fit_plane(pts[:, :2], pts[:, 2], preset.beta)
    one_d = fit(t, pts[:, 2], Architecture("relu", 2), preset.beta)
    assert plane.objective == pytest.approx(one_d.lasso.objective, rel=1e-6)
    assert plane.network_objective == pytest.approx(one_d.network_objective, rel=1e-6)


def test_line_coordinates_of_points_not_on_a_line_is_none():
    assert line_coordinates(np.array(PLANE_PRESETS["xor"].points)[:, :2]) is None
    assert line_coordinates(np.array([[1.0, 1.0]])) is None
    assert line_coordinates(np.array([[1.0, 1.0], [1.0, 1.0]])) is None  # one location


@given(st.integers(1, MAX_PLANE_POINTS), st.integers(0, 10**6))
def test_random_points_are_reproducible_xor_classes(n, seed):
    points = random_plane_points(n, seed)
    assert points == random_plane_points(n, seed) and len(points) == n
    assert is_classes([p[2] for p in points])
    for x1, x2, y in points:
        assert -2 <= x1 <= 2 and -2 <= x2 <= 2
        assert y == (1.0 if round(x1 * x2, 6) >= 0 else -1.0) or abs(x1 * x2) < 1e-3


@pytest.mark.parametrize("n", [0, MAX_PLANE_POINTS + 1])
def test_random_points_refuse_a_count_outside_the_cap(n):
    with pytest.raises(ValueError, match="between 1 and"):
        random_plane_points(n, 0)


def test_parsing_reads_points_and_csv_with_or_without_header():
    assert parse_plane_points("0,0,1\n 1.5,-2,-1 ") == ((0.0, 0.0, 1.0), (1.5, -2.0, -1.0))
    assert parse_plane_points("0:0:1,2:3:4", point_sep=",", field_sep=":") == (
        (0.0, 0.0, 1.0),
        (2.0, 3.0, 4.0),
    )
    text = "x1, x2, y\n0,0,1\n\n1,2,-1\n"
    assert parse_plane_csv(text) == parse_plane_csv("0,0,1\n1,2,-1") == ((0, 0, 1), (1, 2, -1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0,0,1 1,0", "expected 3 fields"),
        ("0,0,1,2", "expected 3 fields"),
        ("0,a,1", "not a number"),
        ("0,nan,1", "finite"),
        ("0,inf,1", "finite"),
        ("0,2e6,1", "larger than 1e6"),
        ("  ", "no training points"),
        (" ".join(["0,0,1"] * (MAX_PLANE_POINTS + 1)), "too many points"),
    ],
)
def test_bad_typed_points_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_plane_points(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n0,0", "header must be 'x1,x2,y'"),
        ("x1,x2,y\n", "no data rows"),
        ("0,0,1\n1,1", "CSV row 2: expected 3 fields"),
        ("0,0,1\n0,0,__import__('os')", "CSV row 2: .* not a number"),
    ],
)
def test_a_malformed_csv_says_which_row(text, message):
    with pytest.raises(ValueError, match=message):
        parse_plane_csv(text)
