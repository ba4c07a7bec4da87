"""The plane's figure: geometry checked against independent computations, legend room, validity."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convexviz.datasets2d import PLANE_PRESETS, random_plane_points
from convexviz.plane import fit_plane
from convexviz.plane_figure import (
    MAX_LEGEND_ROWS,
    PLOT_HEIGHT_PX,
    PLOT_MARGIN,
    clip_line,
    create_plane_figure,
    fit_annotations,
    fit_traces,
    legend_rows,
    neuron_weights,
    points_on_lines,
    points_trace,
    square_ranges,
    surface_trace,
    value_range,
)

finite = st.floats(-100, 100, allow_nan=False)


def preset_fit(name):
    preset = PLANE_PRESETS[name]
    pts = np.array(preset.points)
    return pts, fit_plane(pts[:, :2], pts[:, 2], preset.beta)


@given(st.tuples(finite, finite).filter(lambda w: np.hypot(*w) > 1e-3), finite)
def test_clip_line_ends_on_the_line_and_on_the_box_edge(w, b):
    ranges = {"x": [-3.0, 5.0], "y": [-2.0, 6.0]}
    segment = clip_line(w, b, ranges)
    # independent: does the line meet the box?  sign change of w.x + b over the corners
    corners = np.array([[x, y] for x in ranges["x"] for y in ranges["y"]])
    values = corners @ np.array(w) + b
    meets = (
        values.min() < -1e-9 * np.abs(values).max() and values.max() > 1e-9 * np.abs(values).max()
    )
    if segment is None:
        assert not meets
        return
    scale = np.hypot(*w) * 10 + abs(b)
    assert np.abs(segment @ np.array(w) + b).max() <= 1e-9 * scale
    for x, y in segment:
        assert -3 <= x <= 5 and -2 <= y <= 6
        on_edge = min(abs(x + 3), abs(x - 5), abs(y + 2), abs(y - 6))
        assert on_edge <= 1e-9 * 10


def test_clip_line_misses_a_box_it_does_not_cross():
    assert clip_line((1.0, 0.0), -10.0, {"x": [0, 1], "y": [0, 1]}) is None


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=30))
def test_square_ranges_hold_every_point_with_equal_spans(xy):
    xy = np.array(xy)
    r = square_ranges(xy)
    span_x, span_y = np.diff(r["x"])[0], np.diff(r["y"])[0]
    assert span_x == pytest.approx(span_y) and span_x >= 2.0 - 1e-9
    assert (xy[:, 0] > r["x"][0]).all() and (xy[:, 0] < r["x"][1]).all()
    assert (xy[:, 1] > r["y"][0]).all() and (xy[:, 1] < r["y"][1]).all()


def test_the_surface_is_the_network_on_the_grid():
    pts, fit = preset_fit("disc")
    trace = surface_trace(fit, square_ranges(pts[:, :2]))
    i, j = 17, 42
    x = np.array([[trace["x"][j], trace["y"][i]]])
    assert trace["z"][i, j] == pytest.approx(fit.network(x)[0])
    assert trace["zmin"] == -trace["zmax"]  # classes: centred at the decision value 0


def test_values_are_coloured_on_the_labels_range():
    pts, fit = preset_fit("line")
    trace = surface_trace(fit, square_ranges(pts[:, :2]))
    assert (trace["zmin"], trace["zmax"]) == value_range(pts[:, 2]) == (0.0, 3.0)
    (dots,) = points_trace(pts)
    assert (dots["marker"]["cmin"], dots["marker"]["cmax"]) == (0.0, 3.0)
    assert value_range(np.array([2.0, 2.0])) == (1.0, 3.0)


@pytest.mark.parametrize("name", list(PLANE_PRESETS))
def test_neuron_weights_are_the_penalty_of_the_balanced_network(name):
    _, fit = preset_fit(name)
    # balanced neurons: |w|^2 = alpha^2, so beta/2 (|w|^2 + alpha^2) = beta |alpha| |w|
    assert fit.beta * neuron_weights(fit).sum() == pytest.approx(fit.network.penalty(fit.beta))


@pytest.mark.parametrize("name", ["xor", "disc", "spiral"])
def test_rings_mark_exactly_the_points_on_some_neuron_line(name):
    pts, fit = preset_fit(name)
    on = points_on_lines(fit)
    net = fit.network
    for j in range(net.width):
        for n, point in enumerate(pts[:, :2]):
            # independent: the foot of the perpendicular from the point to the line
            w, b = net.weights[j], net.biases[j]
            foot = point - (w @ point + b) / (w @ w) * w
            assert on[j, n] == (np.linalg.norm(point - foot) < 1e-6 * 4)
    assert on.any(axis=1).all()  # every optimal neuron's line passes through a training point


@pytest.mark.parametrize("name", list(PLANE_PRESETS))
def test_every_preset_figure_is_valid_and_its_legend_fits_the_margin(name):
    pts, fit = preset_fit(name)
    fig = create_plane_figure(fit, pts)
    go.Figure(fig.to_dict())  # plotly's validation
    layout = fig.layout
    rows = legend_rows([t.to_plotly_json() for t in fig.data])
    assert rows <= MAX_LEGEND_ROWS
    assert layout.margin.b >= PLOT_MARGIN["b"] + 22 * rows
    assert layout.height == layout.margin.t + PLOT_HEIGHT_PX + layout.margin.b
    assert layout.yaxis.scaleanchor == "x"  # equal scales: a neuron's arrow is its normal
    names = {t.name for t in fig.data}
    assert ("decision line f = 0" in names) == PLANE_PRESETS[name].classes


def test_arrows_point_into_the_active_side():
    pts, fit = preset_fit("xor")
    ranges = square_ranges(pts[:, :2])
    net = fit.network
    arrows = [a for a in fit_annotations(fit, ranges) if a.get("showarrow")]
    assert len(arrows) == net.width
    for a in arrows:
        head, tail = np.array([a["x"], a["y"]]), np.array([a["ax"], a["ay"]])
        pre = net.weights @ head + net.biases  # the head is on the active side of its line
        on_line = np.abs(net.weights @ tail + net.biases) < 1e-9
        assert (on_line & (pre > 0)).any()  # a neuron through the tail, active at the head


def test_a_constant_fit_draws_no_neurons():
    pts = np.array(random_plane_points(6, 1))
    fit = fit_plane(pts[:, :2], pts[:, 2], 1e3)  # beta above beta_max: f is the mean
    assert fit.network.width == 0
    traces = fit_traces(fit, square_ranges(pts[:, :2]))
    assert not any("neuron" in t.get("name", "") for t in traces)
    go.Figure(create_plane_figure(fit, pts).to_dict())


def test_without_a_fit_the_figure_shows_the_points():
    fig = create_plane_figure(None, np.array([[0.0, 0.0, 1.0]]))
    assert [t.name for t in fig.data] == ["class +1", "class −1"]
