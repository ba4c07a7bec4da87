"""The regularization-path figure, tested as data."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from convexviz import Architecture
from convexviz.dictionary import build_dictionary
from convexviz.path import regularization_path
from convexviz.path_figure import NEURONS_NAME, create_path_figure, sampled_path
from convexviz.plot_style import KIND_COLORS
from convexviz.plots import MAX_LEGEND_CHARS, short_feature_name

OPT_X = [0.0, 4.0, 5.0, 7.0, 10.0, 11.0]
OPT_Y = [0.0, 0.0, 0.0, 2.0, 3.0, 3.0]


@pytest.fixture(scope="module", params=[("relu", 2), ("relu", 4), ("abs", 3)])
def problem(request):
    d = build_dictionary(OPT_X, Architecture(*request.param))
    return d, regularization_path(d, OPT_Y)


def test_one_trace_per_ever_active_feature_named_and_coloured(problem):
    d, path = problem
    fig = create_path_figure(path, d, 0.1)
    go.Figure(fig.to_dict())  # valid for plotly (the fast path skips validation)
    names = [t.name for t in fig.data]
    expected = [short_feature_name(d.feature(int(j))) for j in path.ever_active]
    assert names == [*expected, NEURONS_NAME]
    assert all(len(name) <= MAX_LEGEND_CHARS for name in names)  # long labels squeezed the plot
    for trace, j in zip(fig.data, path.ever_active, strict=False):
        assert trace.line.color == KIND_COLORS[d.feature(int(j)).kind]
        assert trace.hovertemplate.startswith(d.feature(int(j)).label)  # the full label
    assert fig.layout.xaxis.type == "log"


def test_current_beta_line(problem):
    d, path = problem
    fig = create_path_figure(path, d, 0.37)
    (line,) = fig.layout.shapes
    assert line.x0 == line.x1 == 0.37 and line.xref == "x" and line.yref == "paper"


def test_neuron_steps_match_the_path(problem):
    d, path = problem
    trace = create_path_figure(path, d, 0.1).data[-1]
    assert trace.line.shape == "hv" and trace.yaxis == "y2"
    xs, ys = np.array(trace.x), np.array(trace.y)
    for k in range(len(xs) - 1):
        mid = np.sqrt(xs[k] * xs[k + 1])
        assert ys[k] == path.number_of_neurons(mid)


def test_sampled_coefficients_are_the_path(problem):
    d, path = problem
    betas, z = sampled_path(path)
    for i in range(0, betas.size, 7):
        assert np.allclose(z[i], path.at(betas[i])[0], atol=1e-12)
    fig = create_path_figure(path, d, 0.1)
    j = int(path.ever_active[0])
    assert np.allclose(fig.data[0].y, z[:, j])
