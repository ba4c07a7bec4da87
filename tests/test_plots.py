"""Figures as data: trace names, x/y arrays and layout fields (no image comparison)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from convexviz import Architecture, FitResult, LassoFit, build_dictionary, fit, plots, reconstruct
from convexviz.datasets import PRESETS
from convexviz.features import fmt
from convexviz.plots import (
    KIND_COLORS,
    MAX_DICTIONARY_CURVES,
    axis_ranges,
    create_coefficients_figure,
    create_features_figure,
    create_fit_figure,
    create_network_figure,
    default_grid,
    feature_name,
    kind_text,
    legend_name,
)

KIND_WORDS = {"ramp", "capped ramp", "vee", "reflection", "midpoint", "step", "multistep"}
ZIGZAG = ([0.0, 1.0, 3.0, 4.0], [1.0, 0.0, 2.0, 1.0])  # abs depth 3 picks a reflection


def _fit(points, activation, depth, beta=1e-3):
    # busy figures on purpose (abs depth 5 with 12 points): more than the page fits live
    x, y = zip(*points, strict=True) if isinstance(points[0], tuple) else points
    arch = Architecture(activation, depth)
    return fit(list(x), list(y), arch, beta, limit=False, deadline_s=None)


def _one_feature(points, activation, depth, label, coef=1.0, bias=0.0):
    """A FitResult whose only active feature is the class with this label.

    Which of several optimal solutions the solver returns is arbitrary (THEORY.md §4.3),
    so the reflection tests pin the paper's solution instead of relying on the solver.
    """
    x, y = (np.array(v, dtype=float) for v in zip(*points, strict=True))
    dictionary = build_dictionary(x, Architecture(activation, depth))
    (index,) = [i for i in range(dictionary.size) if dictionary.feature(i).label == label]
    z = np.zeros(dictionary.size)
    z[index] = coef
    lasso = LassoFit(
        z=z,
        bias=bias,
        beta=1e-3,
        objective=np.nan,
        status="optimal",
        solver="test",
        duality_gap=np.nan,
    )
    network = reconstruct(dictionary, lasso)
    return FitResult(x, y, dictionary, lasso, network, beta_max=1.0, certificate_gap=np.nan)


@pytest.fixture(scope="module")
def opt4():
    """The paper's depth-4 'opt' solution: one neuron, ramp(5, 8), 0 mirrored at 4 -> 8."""
    label = "reflection: 0 mirrored at 4 -> 8; breaks 5, 8"
    return _one_feature(PRESETS["opt"].points, "relu", 4, label)


@pytest.fixture(scope="module")
def opt4_solved():
    return _fit(PRESETS["opt"].points, "relu", 4)


@pytest.fixture(scope="module")
def zigzag():
    label = "reflection: 3 mirrored at 1 -> -1; breaks -1, 1, 3"
    return _one_feature(list(zip(*ZIGZAG, strict=True)), "abs", 3, label, coef=-1.0, bias=2.0)


@pytest.fixture(scope="module")
def zigzag_solved():
    return _fit(ZIGZAG, "abs", 3)


@pytest.fixture(scope="module")
def steps():
    return _fit(PRESETS["step"].points, "sign", 3)


@pytest.fixture(scope="module")
def flat():
    return fit([0, 1, 2], [1, 1, 2], Architecture("relu", 3), beta=100.0)


def _names(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data]


def _trace(fig: go.Figure, name: str):
    (trace,) = [t for t in fig.data if t.name == name]
    return trace


# ----------------------------------------------------------------------------------------
# Grids and ranges


def test_default_grid_covers_the_data_with_a_margin():
    grid = default_grid(np.array([0.0, 4, 5, 7, 10, 11]))
    assert grid.size == 400 and np.all(np.diff(grid) > 0)
    assert grid[0] < 0 and grid[-1] > 11
    assert (grid[0], grid[-1]) == axis_ranges([0, 11], [0, 1])[0]


def test_default_grid_around_a_single_point():
    grid = default_grid([2.0], n=5)
    np.testing.assert_allclose(grid, [1.0, 1.5, 2.0, 2.5, 3.0])


def test_axis_ranges_are_padded_and_tidy():
    assert axis_ranges([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3]) == ((-2.0, 13.0), (-0.8, 3.8))
    (x_lo, x_hi), (y_lo, y_hi) = axis_ranges([0.3, 0.30001], [5.0, 5.0])
    assert x_lo < 0.3 < 0.30001 < x_hi
    assert y_lo <= 4.0 and y_hi >= 6.0


@pytest.mark.parametrize("bad", [[], [np.nan], [[1.0, 2.0]], ["a"], [1.0, np.inf]])
def test_grids_reject_bad_input(bad):
    with pytest.raises(ValueError, match="x"):
        default_grid(bad)


def test_figures_reject_non_results():
    for create in (create_fit_figure, create_features_figure, create_coefficients_figure):
        with pytest.raises(ValueError, match="FitResult"):
            create({"x": [1]})
    with pytest.raises(ValueError, match="FitResult"):
        create_network_figure(None)


def test_explicit_grid_must_increase(opt4):
    with pytest.raises(ValueError, match="increasing"):
        create_fit_figure(opt4, grid=np.array([1.0, 0.0, 2.0]))


# ----------------------------------------------------------------------------------------
# Fit figure


def test_fit_figure_traces(opt4):
    fig = create_fit_figure(opt4)
    assert _names(fig) == ["breakpoints", "network", "data"]
    data = _trace(fig, "data")
    np.testing.assert_array_equal(data.x, opt4.x)
    np.testing.assert_array_equal(data.y, opt4.y)
    network = _trace(fig, "network")
    np.testing.assert_allclose(network.y, opt4.predict(np.asarray(network.x)))
    # The default grid contains every breakpoint, so kinks are drawn exactly.
    breaks = {b for a in opt4.active_features for b in a.feature.breakpoints}
    assert breaks <= set(network.x)


def test_fit_figure_breakpoints_are_vertical_lines(opt4):
    fig = create_fit_figure(opt4)
    lines = _trace(fig, "breakpoints")
    xs = np.asarray(lines.x, dtype=float).reshape(-1, 3)
    ys = np.asarray(lines.y, dtype=float).reshape(-1, 3)
    breaks = sorted({b for a in opt4.active_features for b in a.feature.breakpoints})
    np.testing.assert_array_equal(xs[:, 0], breaks)
    np.testing.assert_array_equal(xs[:, 0], xs[:, 1])
    assert np.all(np.isnan(xs[:, 2]))
    assert list(ys[0, :2]) == list(fig.layout.yaxis.range)


def test_fit_figure_on_a_given_grid(opt4):
    grid = np.linspace(-1.0, 12.0, 27)
    network = _trace(create_fit_figure(opt4, grid), "network")
    np.testing.assert_array_equal(network.x, grid)
    np.testing.assert_allclose(network.y, opt4.predict(grid))


def test_layout_is_readable_and_legend_inside(opt4):
    layout = create_fit_figure(opt4).to_dict()["layout"]
    assert layout["legend"]["x"] >= 0 and layout["legend"]["y"] <= 1
    assert (layout["legend"]["xanchor"], layout["legend"]["yanchor"]) == ("left", "top")
    assert layout["font"]["size"] >= 16
    assert layout["xaxis"]["range"] == [-2.0, 13.0]
    assert layout["yaxis"]["range"] == [-0.8, 3.8]
    assert "neuron" in layout["title"]["text"]


def test_constant_fit_has_no_breakpoints(flat):
    fig = create_fit_figure(flat)
    assert _names(fig) == ["network", "data"]
    np.testing.assert_allclose(_trace(fig, "network").y, np.mean(flat.y))


# ----------------------------------------------------------------------------------------
# Features figure


def _feature_traces(fig, result):
    """The curve of each active feature (its legend group ``feature k``, in order)."""
    curves = {t.legendgroup: t for t in fig.data if t.legendgroup and t.mode == "lines"}
    traces = [curves[f"feature {k}"] for k in range(len(result.active_features))]
    for trace, active in zip(traces, result.active_features, strict=True):
        assert trace.name == legend_name(active)
    return traces


@pytest.mark.parametrize("case", ["opt4", "opt4_solved", "zigzag", "zigzag_solved", "steps"])
def test_feature_curves_are_the_weighted_features(case, request):
    result = request.getfixturevalue(case)
    fig = create_features_figure(result)
    curves = _feature_traces(fig, result)
    assert len(curves) == len(result.active_features) >= 1
    grid = np.asarray(curves[0].x)
    expected = result.feature_curves(grid)
    for k, trace in enumerate(curves):
        np.testing.assert_array_equal(trace.x, grid)
        np.testing.assert_allclose(trace.y, expected[:, k])
        kind = result.active_features[k].feature.kind
        assert trace.name.startswith(kind_text(kind))
        assert trace.line.color == KIND_COLORS[kind]
    # The curves plus the offset add up to the network.
    np.testing.assert_allclose(expected.sum(axis=1) + result.lasso.bias, result.predict(grid))
    assert _names(fig)[-1] == "data"


@pytest.mark.parametrize("case", ["opt4", "opt4_solved", "zigzag", "zigzag_solved", "steps"])
def test_feature_curves_are_drawn_exactly_by_their_few_points(case, request):
    """Straight lines between the drawn points are the features everywhere (kinks, jumps)."""
    result = request.getfixturevalue(case)
    fig = create_features_figure(result)
    probe = np.linspace(*fig.layout.xaxis.range, 2001)
    for active, trace in zip(result.active_features, _feature_traces(fig, result), strict=True):
        exact = active.coef * active.feature.evaluate(probe)
        drawn = np.interp(probe, np.asarray(trace.x, float), np.asarray(trace.y, float))
        breaks = np.r_[active.feature.breakpoints, np.inf]
        away = np.min(np.abs(probe[:, None] - breaks), axis=1) > 1e-9  # not on a jump
        np.testing.assert_allclose(drawn[away], exact[away], atol=1e-9)
    assert len(fig.data[0].x) < 200  # a few points per feature, not an even grid


def test_feature_breakpoints_are_marked(opt4):
    fig = create_features_figure(opt4)
    for active in opt4.active_features:
        name = legend_name(active)
        marks = _trace(fig, f"{name} breakpoints")
        np.testing.assert_array_equal(marks.x, active.feature.breakpoints)
        values = active.coef * active.feature.evaluate(np.array(active.feature.breakpoints))
        np.testing.assert_allclose(marks.y, values)
        assert marks.legendgroup == _trace(fig, name).legendgroup


def test_kind_words_on_screen():
    assert {kind_text(k) for k in KIND_COLORS} == KIND_WORDS
    assert feature_name("capped_ramp", "capped ramp 5 to 8") == "capped ramp 5 to 8"
    assert feature_name("multistep", "steps at 1, 2") == "multistep: steps at 1, 2"


@pytest.mark.parametrize("case", ["opt4", "zigzag"])
def test_reflection_construction(case, request):
    result = request.getfixturevalue(case)
    fig = create_features_figure(result)
    reflections = [a for a in result.active_features if a.feature.kind == "reflection"]
    assert reflections, "this data set should select a reflection feature"
    texts = [a.text for a in fig.layout.annotations]
    for active in reflections:
        for source, mirror in active.feature.mirrors:
            image = 2 * mirror - source
            (trace,) = [t for t in fig.data if t.name.startswith("mirror ")]
            assert list(trace.x[:3]) == [source, mirror, image]
            assert list(trace.y[:3]) == [0.0, 0.0, 0.0]
            assert list(trace.text[:3]) == ["x<sub>s</sub>", "x<sub>m</sub>", "image"]
            assert image in active.feature.breakpoints
            sentence = [t for t in texts if t and "mirrored at" in t]
            assert sentence == [trace.name.removeprefix("mirror ")]
            # An arc from x_s to the image (where the arrow head is), on one side of the
            # axis, inside the plot.
            arc_x = np.asarray(trace.x[7:], dtype=float)
            arc_y = np.asarray(trace.y[7:], dtype=float)
            assert (arc_x[0], arc_x[-1]) == pytest.approx((source, image))
            assert np.all(arc_y <= 1e-12) or np.all(arc_y >= -1e-12)
            y_lo, y_hi = fig.layout.yaxis.range
            assert y_lo < arc_y.min() and arc_y.max() < y_hi
            (arrow,) = [a for a in fig.layout.annotations if a.showarrow]
            assert (arrow.x, arrow.y) == pytest.approx((image, 0.0))
            # The figure widens to show the whole construction.
            x_lo, x_hi = fig.layout.xaxis.range
            assert x_lo < min(source, image) and max(source, image) < x_hi


def test_opt_reflection_sentence(opt4):
    fig = create_features_figure(opt4)
    assert "0 mirrored at 4 → 8" in [a.text for a in fig.layout.annotations]
    mirror = _trace(fig, "mirror 0 mirrored at 4 → 8")
    # x_s, x_m, image on the axis, then a dotted riser from the image up to the curve.
    np.testing.assert_array_equal(
        np.asarray(mirror.x, dtype=float)[[0, 1, 2, 4, 5]], [0, 4, 8, 8, 8]
    )
    np.testing.assert_allclose(np.asarray(mirror.y, dtype=float)[[0, 1, 2, 4, 5]], [0, 0, 0, 0, 3])
    np.testing.assert_allclose(opt4.predict(opt4.x), opt4.y)  # the one-neuron interpolant


@pytest.mark.parametrize("case", ["opt4_solved", "zigzag_solved"])
def test_one_mirror_trace_per_reflection_in_solved_fits(case, request):
    result = request.getfixturevalue(case)
    fig = create_features_figure(result)
    pairs = [
        p
        for a in result.active_features
        if a.feature.kind == "reflection"
        for p in a.feature.mirrors
    ]
    mirrors = [n for n in _names(fig) if n.startswith("mirror ")]
    assert len(mirrors) == len(pairs)
    assert len(fig.layout.annotations) == 2 * len(pairs)


def test_no_reflection_no_construction(steps):
    fig = create_features_figure(steps)
    assert not [n for n in _names(fig) if n.startswith("mirror")]
    assert not fig.layout.annotations


def test_show_dictionary_adds_one_faint_trace(opt4):
    plain = create_features_figure(opt4)
    full = create_features_figure(opt4, show_dictionary=True)
    assert _names(full)[1:] == _names(plain)
    dictionary = full.data[0]
    assert dictionary.name.startswith("dictionary (")
    assert dictionary.opacity < 0.5 and dictionary.hoverinfo == "skip"
    xs = np.asarray(dictionary.x, dtype=float)
    ys = np.asarray(dictionary.y, dtype=float)
    grid = np.asarray(plain.data[0].x, dtype=float)  # the selected features' own points
    n_curves = min(opt4.dictionary.size, MAX_DICTIONARY_CURVES)
    fine = xs[: xs.size // n_curves - 1]  # the dictionary's even grid, refined
    assert xs.size == ys.size == n_curves * (fine.size + 1) and fine.size > grid.size
    assert np.all(np.diff(fine) > 0) and np.isin(grid, fine).all()
    ys = ys.reshape(n_curves, -1)[:, :-1]
    height = np.max(np.abs(opt4.feature_curves(grid)))
    np.testing.assert_allclose(np.nanmax(ys, axis=1), height)  # each scaled to a common height
    np.testing.assert_allclose(np.nanmin(ys, axis=1), 0.0, atol=1e-12)


def test_show_dictionary_is_capped_and_deterministic(opt4_solved, monkeypatch):
    monkeypatch.setattr(plots, "MAX_DICTIONARY_CURVES", 10)
    size = opt4_solved.dictionary.size
    assert size > 10
    first = create_features_figure(opt4_solved, show_dictionary=True).data[0]
    again = create_features_figure(opt4_solved, show_dictionary=True).data[0]
    assert first.name == f"dictionary ({size} features, 10 of {size} shown)"
    assert np.isnan(np.asarray(first.x, dtype=float)).sum() == 10
    np.testing.assert_array_equal(first.y, again.y)


def test_features_figure_without_features(flat):
    fig = create_features_figure(flat, show_dictionary=True)
    assert [n.split(" (")[0] for n in _names(fig)] == ["dictionary", "data"]


# ----------------------------------------------------------------------------------------
# Coefficients figure


def test_coefficients_stem_plot(opt4):
    fig = create_coefficients_figure(opt4)
    actives = opt4.active_features
    kinds = list(dict.fromkeys(kind_text(a.feature.kind) for a in actives))
    assert _names(fig) == ["stems", *kinds]
    stems = np.asarray(fig.data[0].y, dtype=float).reshape(-1, 3)
    np.testing.assert_array_equal(stems[:, 0], 0.0)
    np.testing.assert_allclose(stems[:, 1], [a.coef for a in actives])
    for trace in fig.data[1:]:
        members = [k for k, a in enumerate(actives) if kind_text(a.feature.kind) == trace.name]
        np.testing.assert_array_equal(trace.x, np.array(members) + 1.0)
        np.testing.assert_allclose(trace.y, [actives[k].coef for k in members])
        for k, hover in zip(members, trace.hovertext, strict=True):
            assert actives[k].feature.label in hover
            assert f"{actives[k].n_ties} tied" in hover
    assert list(fig.layout.xaxis.tickvals) == list(range(1, len(actives) + 1))
    assert fig.layout.xaxis.ticktext[0] == "1<br>" + ", ".join(
        fmt(b) for b in actives[0].feature.breakpoints
    )
    y_lo, y_hi = fig.layout.yaxis.range
    assert y_lo < min(0, *stems[:, 1]) and max(0, *stems[:, 1]) < y_hi


def test_coefficients_without_features(flat):
    fig = create_coefficients_figure(flat)
    assert _names(fig) == ["stems"]
    assert "no active feature" in fig.layout.annotations[0].text


# ----------------------------------------------------------------------------------------
# Network figure


def test_network_figure_chain_units(opt4):
    fig = create_network_figure(opt4)
    assert _names(fig) == ["edges", "input", "hidden", "output", "weights"]
    units = opt4.network.units
    hidden = _trace(fig, "hidden")
    depth_layers = len(units[0].weights)
    assert len(hidden.x) == len(units) * depth_layers
    labels = list(_trace(fig, "weights").text)
    assert len(labels) == len(units) * (depth_layers + 1)
    for i, unit in enumerate(units):
        row = labels[i * (depth_layers + 1) : (i + 1) * (depth_layers + 1)]
        assert row[-1] == f"α = {fmt(unit.alpha)}"
        assert row[:-1] == [f"w = {fmt(w)}" for w in unit.weights]
        texts = hidden.text[i * depth_layers : (i + 1) * depth_layers]
        assert list(texts) == [f"b = {fmt(b)}" for b in unit.biases]
    assert f"ξ = {fmt(opt4.network.bias)}" in _trace(fig, "output").text[0]


def test_network_figure_tree_units(steps):
    fig = create_network_figure(steps)
    (unit,) = steps.network.units
    assert list(_trace(fig, "weights").text) == [
        f"a = {fmt(unit.amplitude)}, α = {fmt(unit.alpha)}"
    ]
    assert "steps at 0" in _trace(fig, "hidden").text[0]


def test_network_figure_stays_legible_with_twenty_units():
    x = np.linspace(-3, 3, 21)
    result = fit(x, np.sin(3 * x), Architecture("relu", 2), beta=1e-4)
    n = result.network.n_neurons
    assert n >= 15
    fig = create_network_figure(result)
    assert fig.layout.height >= 40 * n
    assert len(_trace(fig, "hidden").x) == n


def test_network_figure_without_units(flat):
    fig = create_network_figure(flat)
    assert len(_trace(fig, "hidden").x) == 0
    assert "constant" in fig.layout.annotations[0].text


@pytest.mark.parametrize(
    ("act", "depth"), [("relu", 4), ("abs", 3), ("sign", 3), ("leaky_relu", 2)]
)
def test_figures_pass_plotly_validation(act, depth):
    """The factories skip plotly's validation for speed; rebuilding with it must succeed."""
    result = _fit(PRESETS["opt"].points, act, depth)
    figures = [
        plots.create_fit_figure(result),
        plots.create_features_figure(result, show_dictionary=True),
        plots.create_coefficients_figure(result),
        plots.create_network_figure(result),
    ]
    for fig in figures:
        validated = go.Figure(fig.to_dict())  # raises ValueError on any invalid property
        assert len(validated.data) == len(fig.data)
        assert "Plotly.newPlot" in fig.to_html(include_plotlyjs=False)  # exportable as is


def test_many_features_get_one_legend_entry_per_kind():
    x = np.linspace(-3, 3, 13)
    result = fit(x, np.sin(2 * x), Architecture("relu", 3), 1e-3)
    actives = result.active_features
    assert len(actives) > plots.MAX_LEGEND_FEATURES
    fig = plots.create_features_figure(result)
    shown = [t.name for t in fig.data if t.showlegend is not False]
    kinds = {a.feature.kind for a in actives}
    expected = {
        f"{k.replace('_', ' ')} × {sum(a.feature.kind == k for a in actives)}" for k in kinds
    }
    assert expected <= set(shown)
    assert len(shown) == len(kinds) + 1  # the kinds and the data


@pytest.mark.parametrize("case", ["opt4", "opt4_solved", "zigzag", "steps", "flat"])
def test_figure_json_is_the_figure_as_strict_json(case, request):
    import json

    import plotly.io as pio

    result = request.getfixturevalue(case)
    for fig in (
        create_features_figure(result, show_dictionary=True),
        create_coefficients_figure(result),
        plots.create_network_figure(result),
    ):
        text = plots.figure_json(fig)
        ours = json.loads(text, parse_constant=pytest.fail)  # NaN would not parse in JS
        theirs = json.loads(pio.to_json(fig, validate=False, engine="json"))
        assert ours == theirs


@pytest.mark.parametrize(("depth", "n_drawn"), [(3, plots.MAX_MIRROR_ARCS), (5, 1)])
def test_many_reflections_draw_the_construction_of_the_largest_only(depth, n_drawn):
    """Depth 3: one mirror per reflection, so the largest ones up to the arc budget; depth 5:
    the largest reflection alone, whole, however many mirrors it has."""
    from convexviz.datasets import random_points

    result = _fit(random_points(12, seed=7 if depth == 5 else 0), "abs", depth)
    actives = result.active_features
    reflections = [a for a in actives if a.feature.kind == "reflection"]
    assert len(reflections) > n_drawn
    fig = create_features_figure(result)
    largest = sorted(reflections, key=lambda a: -abs(a.coef))[:n_drawn]
    arcs = sum(len(a.feature.mirrors) for a in largest)
    assert arcs <= plots.MAX_MIRROR_ARCS or n_drawn == 1
    expected = {
        f"mirror {fmt(s)} mirrored at {fmt(m)} → {fmt(2 * m - s)}"
        for a in largest
        for s, m in a.feature.mirrors
    }
    assert {n for n in _names(fig) if n.startswith("mirror ")} == expected
    assert len(fig.layout.annotations) == 2 * len(expected)
    title = fig.layout.title.text
    assert f"{n_drawn} of {len(reflections)} reflections (largest |z|)" in title
    # Every reflection is still drawn as a curve with its breakpoints.
    assert len(_feature_traces(fig, result)) == len(actives)


def test_many_coefficients_are_numbered_and_breakpoints_move_to_the_hover():
    from convexviz.datasets import random_points

    result = _fit(random_points(14, seed=1), "abs", 3)
    actives = result.active_features
    assert len(actives) > plots.MAX_TICK_BREAKS
    fig = create_coefficients_figure(result)
    assert list(fig.layout.xaxis.ticktext) == [str(k) for k in range(1, len(actives) + 1)]
    assert "hover" in fig.layout.xaxis.title.text
    hovers = [h for t in fig.data[1:] for h in t.hovertext]
    assert all(any(a.feature.label in h for h in hovers) for a in actives)


def test_long_breakpoint_labels_leave_the_axis_for_the_hover():
    """Deep reflections break at several points: their tick labels would run into each
    other (seen on random abs depth-4 data with 7 features), so the ticks give numbers."""
    points = [(-2, 0.3), (-1.4, 1.2), (-0.9, -0.4), (-0.3, 0.8), (0.2, -1), (0.7, 0.5),
              (1.3, 1.4), (1.9, -0.2)]  # fmt: skip
    result = _fit(points, "abs", 4, beta=0.01)
    actives = result.active_features
    assert len(actives) <= plots.MAX_TICK_BREAKS  # the count alone would allow breakpoints
    fig = create_coefficients_figure(result)
    assert list(fig.layout.xaxis.ticktext) == [str(k) for k in range(1, len(actives) + 1)]
    assert "hover" in fig.layout.xaxis.title.text
    # Short labels keep their breakpoints under the numbers: the 'opt' data at depth 4.
    opt = create_coefficients_figure(_fit(PRESETS["opt"].points, "relu", 4))
    assert all("<br>" in t for t in opt.layout.xaxis.ticktext)
    assert sum(len(t.split("<br>")[1]) + 2 for t in opt.layout.xaxis.ticktext) <= (
        plots.MAX_TICK_BREAK_CHARS
    )


# ----------------------------------------------------------------------------------------
# Legibility: computed margins, nothing the browser measures may squeeze a plot area
# (tests/test_legibility.py checks the rendered page)


def _random_fit(activation, depth):
    from convexviz.datasets import random_points

    return _fit(random_points(12, seed=7), activation, depth)


BUSY = [("relu", 3), ("relu", 8), ("abs", 3), ("abs", 4), ("abs", 5), ("sign", 5)]


def _legend_entries(fig) -> int:
    return sum(t.showlegend is not False for t in fig.data)


@pytest.mark.parametrize("case", ["opt4", "zigzag", "zigzag_solved", "steps", "flat"])
def test_panel_legends_sit_below_a_plot_area_of_fixed_height(case, request):
    result = request.getfixturevalue(case)
    for fig in (create_features_figure(result), create_coefficients_figure(result)):
        layout = fig.layout
        margin, legend = layout.margin, layout.legend
        assert margin.autoexpand is False  # a long label can never push a margin
        assert layout.height == margin.t + plots.PLOT_HEIGHT_PX + margin.b
        # Below the x axis (paper y < 0 is below the plot area), one row per entry.
        assert legend.y * plots.PLOT_HEIGHT_PX <= -plots.X_AXIS_PX
        assert (legend.yanchor, legend.orientation) == ("top", "v")
        rows = _legend_entries(fig)
        assert margin.b >= -legend.y * plots.PLOT_HEIGHT_PX + rows * plots.LEGEND_ROW_PX
        assert layout.showlegend is (rows > 0)


@pytest.mark.parametrize(("act", "depth"), BUSY)
def test_legend_names_are_short(act, depth):
    result = _random_fit(act, depth)
    fig = create_features_figure(result)
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names and all(len(n) <= plots.MAX_LEGEND_CHARS for n in names)
    for active in result.active_features:  # full labels stay on hover
        assert active.feature.label in _hover_of(fig, active)


def _hover_of(fig, active) -> str:
    return " ".join(str(t.hovertext) for t in fig.data if t.hovertext)


def test_a_long_name_is_cut_and_a_reflection_names_its_breakpoints(zigzag):
    (active,) = zigzag.active_features
    assert legend_name(active) == "reflection: breaks -1, 1, 3"
    steps = _random_fit("sign", 5)
    long = [
        a
        for a in steps.active_features
        if len(feature_name(a.feature.kind, a.feature.label)) > plots.MAX_LEGEND_CHARS
    ]
    assert long
    for active in long:
        name = legend_name(active)
        assert len(name) == plots.MAX_LEGEND_CHARS and name.endswith("…")
        assert feature_name(active.feature.kind, active.feature.label).startswith(name[:-1])


def _y_values(fig) -> np.ndarray:
    values = [np.asarray(t.y, dtype=float) for t in fig.data if t.y is not None]
    values = np.concatenate(values)
    return values[np.isfinite(values)]


@pytest.mark.parametrize("case", ["opt4", "zigzag", "zigzag_solved", "abs4", "abs5"])
def test_mirror_sentences_sit_in_a_band_that_no_curve_enters(case, request):
    result = (
        _random_fit("abs", int(case[-1]))
        if case.startswith("abs")
        else request.getfixturevalue(case)
    )
    fig = create_features_figure(result)
    sentences = [a for a in fig.layout.annotations if not a.showarrow]
    assert sentences and all("mirrored at" in a.text for a in sentences)
    (below,) = {a.y == 0.0 for a in sentences}
    for a in sentences:  # centred in the plot area, inside it
        assert (a.xref, a.x, a.xanchor, a.yref) == ("paper", 0.5, "center", "paper")
        assert a.yanchor == ("bottom" if below else "top")
        assert abs(a.yshift) + plots.SENTENCE_LINE_PX <= plots._band_px(len(sentences))
    shifts = sorted(abs(a.yshift) for a in sentences)  # one line each, none on another
    assert np.all(np.diff(shifts) >= plots.SENTENCE_LINE_PX)
    # Every curve, marker, arc and data point lies outside the band.
    lo, hi = fig.layout.yaxis.range
    ys = _y_values(fig)
    px = (ys - lo) / (hi - lo) * plots.PLOT_HEIGHT_PX
    band = plots._band_px(len(sentences))
    edge = px.min() if below else plots.PLOT_HEIGHT_PX - px.max()
    assert edge >= band - 1e-6
    # The arrow heads point at the images, inside the ranges.
    (x_lo, x_hi) = fig.layout.xaxis.range
    for a in fig.layout.annotations:
        if a.showarrow:
            assert x_lo < a.x < x_hi and lo < a.y < hi


def test_the_band_formula():
    lo, hi = plots._with_band((-1.0, 3.0), 64, below=True)
    assert hi == 3.0 and (-1.0 - lo) / (hi - lo) * plots.PLOT_HEIGHT_PX == pytest.approx(64)
    lo, hi = plots._with_band((-1.0, 3.0), 64, below=False)
    assert lo == -1.0 and (hi - 3.0) / (hi - lo) * plots.PLOT_HEIGHT_PX == pytest.approx(64)
    assert plots._with_band((-1.0, 3.0), 0, below=True) == (-1.0, 3.0)


@pytest.mark.parametrize(("act", "depth"), [("abs", 3), ("abs", 4), ("abs", 5), ("relu", 4)])
def test_mirror_labels_never_overlap_on_the_narrowest_plot_area(act, depth):
    result = _random_fit(act, depth) if act == "abs" else _fit(PRESETS["opt"].points, act, depth)
    fig = create_features_figure(result)
    x_lo, x_hi = fig.layout.xaxis.range
    per_px = (x_hi - x_lo) / plots.MIN_PLOT_WIDTH_PX
    spans = []
    for trace in fig.data:
        if trace.name.startswith("mirror "):
            for x, text in zip(trace.x[:3], trace.text[:3], strict=True):
                if text:
                    half = 0.5 * len(plots._visible(text)) * plots.CHAR_WIDTH_EM
                    half *= plots.MIRROR_FONT_PX * per_px
                    spans.append((x - half, x + half))
    assert spans  # at least the first label of each construction is shown
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_spaced_labels_keep_the_first_of_colliding_labels():
    texts = ["x<sub>s</sub>", "x<sub>m</sub>", "image"]
    assert plots._spaced_labels([0.0, 5.0, 10.0], texts, (0.0, 10.0)) == texts
    assert plots._spaced_labels([0.0, 0.0, 0.0], texts, (0.0, 10.0)) == [texts[0], "", ""]


@pytest.mark.parametrize(("act", "depth"), [("relu", 8), ("abs", 3), ("sign", 5)])
def test_network_texts_are_never_clipped_and_weights_are_a_layer_apart(act, depth):
    result = _random_fit(act, depth)
    fig = create_network_figure(result)
    assert fig.layout.margin.autoexpand is False
    for name in ("input", "hidden", "output", "weights"):
        assert _trace(fig, name).cliponaxis is False  # never cut at the plot area
    weights = _trace(fig, "weights")
    rows: dict[float, list[float]] = {}
    for x, y in zip(weights.x, weights.y, strict=True):
        rows.setdefault(y, []).append(x)
    for xs in rows.values():
        assert np.all(np.diff(sorted(xs)) >= 1.0 - 1e-12)
    # Raised clear of the nodes: LABEL_LIFT_PX above their row, at the figure's scale.
    from convexviz import network_figure as nf

    lift = (np.array(list(rows)) - np.round(list(rows))) * nf._row_px(result.network.n_neurons)
    np.testing.assert_allclose(lift, nf.LABEL_LIFT_PX)
    lo, hi = fig.layout.yaxis.range
    span_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert span_px / (hi - lo) == pytest.approx(nf._row_px(result.network.n_neurons))


def test_tree_nodes_list_a_few_switch_points():
    result = _random_fit("sign", 5)
    from convexviz import network_figure as nf

    texts = list(_trace(create_network_figure(result), "hidden").text)
    assert any(t.endswith(", …") for t in texts)
    assert all(t.count(",") <= nf.MAX_NODE_SWITCHES for t in texts)


def test_very_many_coefficients_label_a_dozen_numbers_upright():
    x = np.linspace(-3, 3, 40)
    result = fit(x, np.sin(3 * x) + 0.3 * np.cos(17 * x), Architecture("relu", 2), beta=1e-5)
    n = len(result.active_features)
    assert n > plots.MAX_NUMBER_TICKS
    axis = create_coefficients_figure(result).layout.xaxis
    numbers = list(axis.tickvals)
    assert 1 < len(numbers) <= plots.MAX_NUMBER_TICKS and numbers[0] == 1
    step = numbers[2] - numbers[1]
    assert numbers[1:] == list(range(step, n + 1, step)) and str(step)[0] in "125"
    assert list(axis.ticktext) == [str(k) for k in numbers]
    assert axis.tickangle == 0  # never rotated into a column of overlapping labels


def test_features_title_is_short_enough_for_a_half_width_panel(opt4_solved):
    # The panel's heading says "Selected features"; the title adds the counts only.
    fig = create_features_figure(opt4_solved)
    n, size = len(opt4_solved.active_features), opt4_solved.dictionary.size
    assert fig.layout.title.text == f"{n} of {size:,} features"
