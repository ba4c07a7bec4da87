"""Presets, seeded random data and the strict point/CSV parsers."""

from __future__ import annotations

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.datasets import PRESETS, parse_csv, parse_points, random_points
from convexviz.limits import MAX_POINTS
from tests import reference as ref


@pytest.mark.parametrize("name", ["opt", "zshape", "bounce"])
def test_notebook_presets_hold_the_notebook_data(name):
    x, y, _ = ref.NOTEBOOK[name]
    preset = PRESETS[name]
    assert preset.points == tuple(zip(map(float, x), map(float, y), strict=True))
    assert preset.activation == "relu" and preset.depth in (3, 4)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_fits_with_its_own_settings(name):
    preset = PRESETS[name]
    arr = np.array(preset.points)
    r = fit(arr[:, 0], arr[:, 1], Architecture(preset.activation, preset.depth), preset.beta)
    assert r.lasso.status == "optimal"
    assert r.network_objective == pytest.approx(r.lasso.objective, rel=1e-7)
    assert r.certificate_gap < 1e-8
    assert preset.title and preset.description


def test_step_preset_is_fitted_by_one_step():
    arr = np.array(PRESETS["step"].points)
    r = fit(arr[:, 0], arr[:, 1], Architecture("threshold", 2), 1e-2)
    assert [a.feature.kind for a in r.active_features] == ["step"]
    assert r.active_features[0].feature.breakpoints == (0.0,)  # midpoint of -0.5 and 0.5


def test_random_points_are_seeded_sorted_and_bounded():
    a = random_points(12, seed=3)
    assert a == random_points(12, seed=3)
    assert a != random_points(12, seed=4)
    x = np.array([p[0] for p in a])
    assert len(a) == 12 and np.all(np.diff(x) >= 0) and np.all(np.abs(x) <= 3)
    assert all(round(v, 3) == v for p in a for v in p)
    for n in (0, MAX_POINTS + 1):
        with pytest.raises(ValueError, match="between 1 and"):
            random_points(n, seed=0)


def test_parse_points_accepts_whitespace_and_custom_separators():
    assert parse_points("0,0  1,2.5\n-3,1e-2") == ((0.0, 0.0), (1.0, 2.5), (-3.0, 0.01))
    assert parse_points("0:1, 2:3", pair_sep=",", coord_sep=":") == ((0.0, 1.0), (2.0, 3.0))
    assert parse_points("   ") == ()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0,0 1", "point 2: expected 'x,y', got '1'"),
        ("0,0 1,2,3", "point 2: expected 'x,y'"),
        ("0,zero", "point 1: 'zero' is not a number"),
        ("0,inf", "point 1: 'inf' is not a finite number"),
        ("nan,0", "point 1: 'nan' is not a finite number"),
        ("__import__('os'),1", "is not a number"),
        (" ".join(["1,1"] * (MAX_POINTS + 1)), "too many points"),
    ],
)
def test_parse_points_rejects_junk(text, fragment):
    with pytest.raises(ValueError) as info:
        parse_points(text)
    assert fragment in str(info.value)


def test_parse_csv_with_and_without_header():
    assert parse_csv("x,y\n0,1\n2,3\n") == ((0.0, 1.0), (2.0, 3.0))
    assert parse_csv(" X , Y \n0,1\n") == ((0.0, 1.0),)
    assert parse_csv("0,1\n\n2,3\n") == ((0.0, 1.0), (2.0, 3.0))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "CSV has no data rows"),
        ("x,y\n", "CSV has no data rows"),
        ("u,v\n1,2\n", "CSV header must be 'x,y'"),
        ("x,y\n1\n", "CSV row 1: expected 2 columns x,y, got 1"),
        ("x,y\n1,2\n3,four\n", "CSV row 2: 'four' is not a number"),
        ("x,y\n1,-inf\n", "CSV row 1: '-inf' is not a finite number"),
        ("x,y\n" + "1,1\n" * (MAX_POINTS + 1), "too many points"),
    ],
)
def test_parse_csv_rejects_junk(text, fragment):
    with pytest.raises(ValueError) as info:
        parse_csv(text)
    assert fragment in str(info.value)
