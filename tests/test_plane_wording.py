"""The plane page's sentences: counts against Cover's formula, collinear data, the 1-D link."""

from __future__ import annotations

from urllib.parse import parse_qsl

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.datasets2d import PLANE_PRESETS, random_plane_points
from convexviz.plane import fit_plane
from convexviz.ui import plane_wording as pw
from convexviz.ui.state import parse_points_param


def plane_fit(points, beta=0.05):
    xy = np.array(points, dtype=float)
    return fit_plane(xy[:, :2], xy[:, 2], beta)


def test_pattern_count_in_general_position_is_covers():
    text = pw.pattern_text(plane_fit(random_plane_points(8, 2)))
    assert "**57 activation patterns**" in text and "no three points lie on one line" in text


def test_collinear_points_are_said_to_give_fewer_patterns():
    grid = [(float(i), float(j), 1.0 if (i + j) % 2 else -1.0) for i in range(3) for j in range(3)]
    fit = plane_fit(grid)
    assert fit.pattern_count < 9 * 9 - 9 + 1
    text = pw.pattern_text(fit)
    assert "fewer than N² − N + 1 = 73" in text and "some three points lie on one line" in text
    assert "share a location" not in text
    repeated = plane_fit([*grid[:4], (0.0, 0.0, 0.5)])
    assert "share a location" in pw.pattern_text(repeated)


def test_status_and_table_name_the_labels_and_numbers():
    fit = plane_fit(PLANE_PRESETS["xor"].points)
    assert pw.is_certified(fit)
    assert pw.status_text(fit).startswith("Certified optimal [PROVED for m ≥ m*]")
    table = pw.objectives_table(fit)
    assert f"{fit.objective:.6g}" in table and f"{fit.certificate.dual:.6g}" in table
    assert "[PROVED]" in pw.certificate_text(fit)


def test_labels_in_words():
    assert [pw.label_text(v) for v in (1.0, -1.0, 0.25)] == ["class +1", "class −1", "value 0.25"]


def test_neuron_rows_reproduce_the_network():
    fit = plane_fit(PLANE_PRESETS["moons"].points)
    rows = pw.neuron_rows(fit)
    assert len(rows) == fit.network.width
    weights = [r["|α| |w|"] for r in rows]
    assert weights == sorted(weights, reverse=True)
    r = rows[0]
    j = r["neuron"] - 1
    assert r["α"] == fit.network.alphas[j] and r["b"] == fit.network.biases[j]


def test_no_link_unless_every_point_is_on_one_line():
    assert pw.line_lesson_link(PLANE_PRESETS["xor"].points, 0.05) is None
    assert pw.line_lesson_link(((0.0, 0.0, 1.0),), 0.05) is None


@pytest.mark.parametrize("beta", [0.01, 0.05])
def test_the_line_link_is_the_same_optimum_on_the_1d_page(beta):
    """The 1-D page's ReLU depth-2 fit of the linked data has the plane's optimum."""
    points = PLANE_PRESETS["line"].points
    link = pw.line_lesson_link(points, beta)
    query = dict(parse_qsl(link.removeprefix("./?")))
    assert query["act"] == "relu" and query["depth"] == "2"
    pairs, problems = parse_points_param(query["pts"])
    assert not problems and len(pairs) == len(points)
    t, y = np.array(pairs).T
    one_d = fit(t, y, Architecture("relu", 2), float(query["beta"]))
    plane = plane_fit(points, beta)
    assert one_d.lasso.objective == pytest.approx(plane.objective, rel=1e-5, abs=1e-7)
