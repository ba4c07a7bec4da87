"""Plotly figures of a fit: data and network, the selected features, coefficients, weights.

Every ``create_*_figure`` takes a :class:`convexviz.fit.FitResult`, validates it, and
returns a ``go.Figure`` whose traces are *named*, so tests (and the app) can read them
as data. Styling lives in the module-level constants below and in :mod:`.plot_style`:
large fonts for a projector, the Okabe-Ito colour-blind-safe palette, one colour per
feature kind. The fit figure keeps its legend inside the plot area (DESIGN.md §3). The
panel figures (features, coefficients, network) have margins computed here, never by
Plotly (``margin.autoexpand`` off), so no label, however long, can squeeze a plot area:
their legends sit below a plot area of fixed height, one entry per row.

The fitted function is ``f(x) = sum_i z_i phi_i(x) + xi`` (THEORY.md §1); the features
figure draws each term ``z_i phi_i(x)`` and, for a reflection feature, how its break
arises: the source point ``x_s`` mirrored at ``x_m`` gives the break ``2 x_m - x_s``.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from numpy.typing import NDArray

from .features import Feature, fmt
from .fit import ActiveFeature, FitResult
from .network_figure import create_network_figure
from .plot_style import (
    DASHES,
    DATA_COLOR,
    DATA_MARKER,
    FAINT_COLOR,
    INK,
    KIND_COLORS,
    LEGEND,
    LINE_WIDTH,
    MARGIN,
    NETWORK_COLOR,
    figure_layout,
    kind_text,
    make_figure,
    scatter,
)

#: With more selected features than this, the features legend lists kinds, not features.
MAX_LEGEND_FEATURES = 5

#: With more selected features than this, the coefficient ticks give numbers only (the
#: breakpoints are in the hover text); longer labels would run into each other.
MAX_TICK_BREAKS = 8
#: ... and also when the breakpoint labels together are longer than this many characters
#: (about what a half-width panel's axis holds at the tick font), e.g. deep reflections.
MAX_TICK_BREAK_CHARS = 40
#: At most this many feature numbers label the coefficients' axis (narrow numbers, a
#: half-width panel): 1 and multiples of a step 1, 2, 5, 10, 20, ...
MAX_NUMBER_TICKS = 12

#: The features figure draws the mirror construction of the reflections with the largest
#: |z_i|, at most this many arcs in all (one per mirror; a deep reflection has several);
#: more would bury the curves under labels and widen the axes.
MAX_MIRROR_ARCS = 2

#: Legend names longer than this are cut (with "…"); the hover text gives the full label.
MAX_LEGEND_CHARS = 36

#: Height of the features figure's plot area; fixed, so that pixels convert to data units
#: (its width follows the page).
PLOT_HEIGHT_PX = 320
#: Room under a plot area for the x tick labels and the axis title.
X_AXIS_PX = MARGIN["b"]
#: Room under the coefficients' plot area when its tick labels have two lines.
TWO_LINE_TICKS_AXIS_PX = 110
#: One entry of the legend under the features figure, and the space after the last one.
LEGEND_ROW_PX, LEGEND_PAD_PX = 24, 6  # 15 px legend font: 23.7 px an entry, measured
#: Extra top margin for a second title line.
TITLE_LINE_PX = 24
#: The legend under the plot area: one entry per row, no box.
BELOW_LEGEND = {
    "x": 0.0,
    "xanchor": "left",
    "yanchor": "top",
    "orientation": "v",
    "bgcolor": "rgba(0, 0, 0, 0)",
    "borderwidth": 0,
    "tracegroupgap": 0,
}

#: Texts of the mirror construction: labels on the axis, one sentence line per mirror.
MIRROR_LABELS = ("x<sub>s</sub>", "x<sub>m</sub>", "image")
MIRROR_FONT_PX, SENTENCE_FONT_PX, SENTENCE_LINE_PX, SENTENCE_PAD_PX = 16, 14, 20, 4
#: Labels are spaced for a plot area this narrow (the half-width panel of a small screen).
MIN_PLOT_WIDTH_PX = 300
#: Generous mean width of a character, in font sizes (Arial digits are 0.56), and the
#: least gap between two labels.
CHAR_WIDTH_EM, LABEL_GAP_PX = 0.6, 4

__all__ = [
    "KIND_COLORS",
    "axis_ranges",
    "create_coefficients_figure",
    "create_features_figure",
    "create_fit_figure",
    "create_network_figure",
    "default_grid",
    "kind_text",
    "legend_name",
    "legend_below",
    "legend_rows",
    "short_feature_name",
]

#: Relative padding of the axes around the data; the x padding is 1 for a single x value.
X_PAD, Y_PAD = 0.15, 0.25

#: Points of each mirror arc in the features figure.
ARC_POINTS = 41

#: Number of evenly spaced points of the default plotting grid.
GRID_SIZE = 400

#: At most this many dictionary curves are drawn with ``show_dictionary=True``.
MAX_DICTIONARY_CURVES = 300


def default_grid(x: NDArray[np.float64], n: int = GRID_SIZE) -> NDArray[np.float64]:
    """``n`` evenly spaced points spanning the padded x range of :func:`axis_ranges`.

    >>> g = default_grid([2.0]); float(g[0]), float(g[-1]), g.size
    (1.0, 3.0, 400)
    """
    x = _finite_1d(x, "x")
    if n < 2:
        raise ValueError(f"the grid needs at least 2 points, got n={n}")
    lo, hi = _padded(x, X_PAD, single=1.0)
    return np.linspace(lo, hi, int(n))


def axis_ranges(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Padded ``(x_range, y_range)`` of the data, rounded outward to a tidy step.

    They depend on the data only (not on the fit), so the axes stay put while points are
    added or moved nearby.

    >>> axis_ranges([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3])
    ((-2.0, 13.0), (-0.8, 3.8))
    """
    x, y = _finite_1d(x, "x"), _finite_1d(y, "y")
    return _padded(x, X_PAD, single=1.0), _padded(y, Y_PAD, single=1.0)


def create_fit_figure(result: FitResult, grid: NDArray[np.float64] | None = None) -> go.Figure:
    """The data and the fitted network ``f(x) = sum_i z_i phi_i(x) + xi``.

    Parameters
    ----------
    result : FitResult
    grid : ndarray of shape (n_grid,), optional
        Increasing points where ``f`` is drawn; by default :func:`default_grid` plus the
        data and the breakpoints (and a point just left of each), so kinks and jumps are
        drawn exactly.

    Returns
    -------
    go.Figure
        Traces ``"breakpoints"`` (faint vertical lines at the active features'
        breakpoints; only if a feature is active), ``"network"`` and ``"data"``.

    Examples
    --------
    >>> from convexviz import Architecture, fit
    >>> r = fit([0, 2, 6, 7], [0, 0, 3, 3], Architecture("relu", 3), beta=1e-3)
    >>> [t.name for t in create_fit_figure(r).data]
    ['breakpoints', 'network', 'data']
    """
    _check_result(result)
    breaks = _breakpoints(result.active_features)
    grid = _plot_grid(result, grid, breaks)
    x_range, y_range = axis_ranges(result.x, result.y)
    traces = [_vertical_lines(breaks, y_range, "breakpoints")] if breaks.size else []
    traces.append(
        scatter(
            x=grid,
            y=result.predict(grid),
            name="network",
            mode="lines",
            line={"color": NETWORK_COLOR, "width": LINE_WIDTH},
            hovertemplate="x = %{x:.3g}<br>f(x) = %{y:.4g}<extra>network</extra>",
        )
    )
    traces.append(_data_trace(result))
    n = result.network.n_neurons
    beta = fmt(result.lasso.beta)
    title = f"{result.architecture.title}: {n} neuron{'s' * (n != 1)}, β = {beta}"
    return make_figure(traces, figure_layout(title, x_range, y_range, "x", "y"))


def create_features_figure(
    result: FitResult, grid: NDArray[np.float64] | None = None, show_dictionary: bool = False
) -> go.Figure:
    """Each selected feature ``z_i phi_i(x)`` as its own curve, with its breakpoints.

    The plot area keeps its width whatever the labels: the legend sits below it (one row
    per entry, short names, full labels on hover), the sentences of the mirror
    construction sit inside it, in a band added to the y range beyond every curve, and
    Plotly never widens a margin (``margin.autoexpand`` off; the margins are computed here).

    Parameters
    ----------
    result : FitResult
    grid : ndarray of shape (n_grid,), optional
        As in :func:`create_fit_figure`.
    show_dictionary : bool
        Also draw the dictionary's features faintly, each rescaled to run from 0 to the
        height of the tallest selected curve (at most :data:`MAX_DICTIONARY_CURVES`,
        evenly subsampled), as one trace named ``"dictionary (...)"``.

    Returns
    -------
    go.Figure
        The optional dictionary trace first; then per active feature ``k`` (in
        ``result.active_features`` order, ``legendgroup="feature k"``) a curve named by
        :func:`legend_name`, with ``y = result.feature_curves(grid)[:, k]``, and its
        markers ``"<name> breakpoints"``; per mirror of the reflections drawn (those with
        the largest ``|z_i|``, at most :data:`MAX_MIRROR_ARCS` arcs in all; the title says
        so when others are left out) a trace ``"mirror <x_s> mirrored at <x_m> → <image>"``
        through ``(x_s, 0), (x_m, 0), (2 x_m - x_s, 0)``, an arrow and the sentence
        ``"<x_s> mirrored at <x_m> → <image>"``; finally the data (faint) as ``"data"``.
    """
    _check_result(result)
    actives = result.active_features
    breaks = _breakpoints(actives)
    reflections = [k for k, a in enumerate(actives) if a.feature.kind == "reflection"]
    shown = _drawn_reflections(actives, reflections)
    mirrors = [(k, s, m) for k in shown for s, m in actives[k].feature.mirrors]
    # Unlike the fit figure (the click canvas), this one widens to show every reflection.
    shown_x = [result.x, breaks] + [np.array([s, 2 * m - s]) for _, s, m in mirrors]
    x_range = _padded(np.concatenate(shown_x), X_PAD, single=1.0)
    given = grid
    # Every selected feature is linear (or constant) between its breakpoints: those, their
    # left neighbours (jumps) and the ends draw it exactly.
    grid = _plot_grid(result, given, breaks, x_range, compact=True)
    curves = result.feature_curves(grid)
    y_range = _padded(np.concatenate([curves.ravel(), result.y, [0.0]]), Y_PAD, single=1.0)
    height = float(np.max(np.abs(curves))) if curves.size else 0.0
    traces = []
    if show_dictionary:  # other features break elsewhere: an even grid for those
        fine = _plot_grid(result, given, breaks, x_range)
        traces.append(_dictionary_trace(result, fine, height or 1.0))
    per_kind: dict[str, int] = {}
    for k, active in enumerate(actives):
        kind = active.feature.kind
        per_kind[kind] = per_kind.get(kind, -1) + 1
        traces += _feature_traces(active, grid, curves[:, k], per_kind[kind], f"feature {k}")
    construction, notes, y_range = _mirror_construction(
        actives, mirrors, grid, curves, x_range, y_range
    )
    traces += construction
    if len(actives) > MAX_LEGEND_FEATURES:  # one legend entry per kind, names on hover
        traces = [dict(t, showlegend=False) for t in traces] + _kind_legend(actives)
    traces.append(_data_trace(result, faint=True))
    title = f"{len(actives)} of {result.dictionary.size:,} features"  # under "Selected features"
    if len(reflections) > len(shown):  # a second, smaller line (the panel is half-width)
        title += (
            f"<br><span style='font-size:13px'>mirror construction: {len(shown)} of "
            f"{len(reflections)} reflections (largest |z|)</span>"
        )
    layout = figure_layout(title, x_range, y_range, "x", "z·φ(x)", annotations=notes)
    top = MARGIN["t"] + (TITLE_LINE_PX if "<br>" in title else 0)
    return make_figure(traces, legend_below(layout, legend_rows(traces), top, X_AXIS_PX))


def _mirror_construction(
    actives: list[ActiveFeature],
    mirrors: list[tuple[int, float, float]],
    grid: NDArray,
    curves: NDArray,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> tuple[list[dict], list[dict], tuple[float, float]]:
    """Traces, annotations and the grown y range of the mirror construction.

    Per ``(k, x_s, x_m)`` in ``mirrors`` (feature ``k`` mirrors ``x_s`` at ``x_m``): the
    markers on the axis (labels that would overlap are left out), the arc on the side of
    the axis that feature ``k``'s curve leaves free, its arrow head, and a sentence; the
    sentences stack in a band added to ``y_range`` on the side of the first arc.
    """
    depths = [_arc_depth(grid, curves[:, k], s, 2 * m - s, y_range) for k, s, m in mirrors]
    labels = _spaced_labels(
        [x for _, s, m in mirrors for x in (s, m, 2 * m - s)],
        list(MIRROR_LABELS) * len(mirrors),
        x_range,
    )
    traces, notes = [], []
    for j, ((k, source, mirror), depth) in enumerate(zip(mirrors, depths, strict=True)):
        marks = tuple(labels[3 * j : 3 * j + 3])
        traces.append(_mirror_trace(actives[k], source, mirror, depth, marks, f"feature {k}"))
        notes.append(_arrow_head(source, mirror, depth))
    below = not depths or depths[0] >= 0
    notes += _sentence_notes([_mirror_text(s, m) for _, s, m in mirrors], below)
    return traces, notes, _with_band(y_range, _band_px(len(mirrors)), below)


def _drawn_reflections(actives: list[ActiveFeature], reflections: list[int]) -> list[int]:
    """The reflections whose mirror construction is drawn, in feature order: by decreasing
    ``|z|`` while their arcs number at most :data:`MAX_MIRROR_ARCS` (the largest always)."""
    drawn: list[int] = []
    arcs = 0
    for k in sorted(reflections, key=lambda k: -abs(actives[k].coef)):
        arcs += len(actives[k].feature.mirrors)
        if drawn and arcs > MAX_MIRROR_ARCS:
            break
        drawn.append(k)
    return sorted(drawn)


def legend_rows(traces: list[dict]) -> int:
    return sum(t.get("showlegend", True) is not False for t in traces)


def legend_below(layout: dict, rows: int, top: int, axis_px: int) -> dict:
    """``layout`` with a plot area :data:`PLOT_HEIGHT_PX` high, the legend in ``rows`` rows
    below the x axis (which takes ``axis_px``), and margins that hold all of it; Plotly may
    not move them (``autoexpand`` off), so no label can squeeze the plot area."""
    bottom = axis_px + rows * LEGEND_ROW_PX + LEGEND_PAD_PX
    legend = dict(LEGEND, **BELOW_LEGEND, y=-axis_px / PLOT_HEIGHT_PX)
    margin = dict(MARGIN, t=top, b=bottom, autoexpand=False)
    height = top + PLOT_HEIGHT_PX + bottom
    return dict(layout, legend=legend, showlegend=rows > 0, margin=margin, height=height)


def _spaced_labels(xs: list[float], texts: list[str], x_range: tuple[float, float]) -> list[str]:
    """``texts`` with ``""`` for each label that would overlap an earlier one.

    A label centred at ``x`` is taken to be ``CHAR_WIDTH_EM`` font sizes wide per visible
    character on a plot area :data:`MIN_PLOT_WIDTH_PX` wide (any wider one only spreads
    the labels further apart).

    >>> _spaced_labels([0.0, 0.1, 5.0], ["x<sub>s</sub>", "x<sub>m</sub>", "image"], (0, 10))
    ['x<sub>s</sub>', '', 'image']
    """
    per_px = (x_range[1] - x_range[0]) / MIN_PLOT_WIDTH_PX
    kept: list[tuple[float, float]] = []
    shown = []
    for x, text in zip(xs, texts, strict=True):
        half = 0.5 * len(_visible(text)) * CHAR_WIDTH_EM * MIRROR_FONT_PX * per_px
        free = all(x + half + LABEL_GAP_PX * per_px <= lo or hi <= x - half for lo, hi in kept)
        shown.append(text if free else "")
        if free:
            kept.append((x - half - LABEL_GAP_PX * per_px, x + half))
    return shown


def _visible(text: str) -> str:
    """``text`` without its HTML tags: ``x<sub>s</sub>`` -> ``xs``."""
    return re.sub(r"<[^>]+>", "", text)


def _band_px(n_sentences: int) -> int:
    """Height of the band that holds ``n_sentences`` lines of the mirror construction."""
    if n_sentences == 0:
        return 0
    return 2 * SENTENCE_PAD_PX + n_sentences * SENTENCE_LINE_PX


def _with_band(y_range: tuple[float, float], band_px: float, below: bool) -> tuple[float, float]:
    """``y_range`` grown so that its bottom (or top) ``band_px`` pixels of a plot area
    :data:`PLOT_HEIGHT_PX` high lie beyond the old range: a band no curve enters.

    With ``f = band_px / PLOT_HEIGHT_PX`` the new bottom ``y0'`` solves
    ``y0 - y0' = f (y1 - y0')``, i.e. ``y0' = (y0 - f y1) / (1 - f)`` (likewise the top).

    >>> _with_band((0.0, 3.0), 80, below=True)
    (-1.0, 3.0)
    """
    lo, hi = y_range
    f = band_px / PLOT_HEIGHT_PX
    if below:
        return ((lo - f * hi) / (1 - f), hi)
    return (lo, (hi - f * lo) / (1 - f))


def _kind_legend(actives: list[ActiveFeature]) -> list[dict]:
    """Legend-only traces ``"<kind> × <count>"``, one per kind, in order of appearance."""
    counts: dict[str, int] = {}
    for active in actives:
        counts[active.feature.kind] = counts.get(active.feature.kind, 0) + 1
    return [
        scatter(
            x=[None],
            y=[None],
            name=f"{kind_text(kind)} × {count}",
            mode="lines",
            line={"color": KIND_COLORS.get(kind, DATA_COLOR), "width": LINE_WIDTH},
            hoverinfo="skip",
        )
        for kind, count in counts.items()
    ]


def create_coefficients_figure(result: FitResult) -> go.Figure:
    """Stem plot of the nonzero coefficients ``z_i``, coloured by feature kind.

    Returns
    -------
    go.Figure
        One ``"stems"`` trace (lines from 0 to each ``z_k``) and one marker trace per
        kind, named by the kind's on-screen words (``ramp``, ``capped ramp``,
        ``reflection`` ...). Feature ``k`` of ``result.active_features`` sits at
        ``x = k + 1``; its hover text gives the label, ``z`` and the number of ties.
    """
    _check_result(result)
    actives = result.active_features
    positions = np.arange(1, len(actives) + 1, dtype=float)
    coefs = np.array([a.coef for a in actives], dtype=float)
    traces = [_vertical_lines(positions, (0.0, 0.0), "stems", tops=coefs)]
    for kind in dict.fromkeys(a.feature.kind for a in actives):
        members = [k for k, a in enumerate(actives) if a.feature.kind == kind]
        traces.append(
            scatter(
                x=positions[members],
                y=coefs[members],
                name=kind_text(kind),
                mode="markers",
                marker={"size": 16, "color": KIND_COLORS.get(kind, DATA_COLOR)},
                hovertext=[_hover(actives[k]) for k in members],
                hoverinfo="text",
            )
        )
    empty = "no active feature: f is constant (β ≥ β_max)"
    breaks = [_short_breaks(a.feature) for a in actives]
    with_breaks = (
        len(actives) <= MAX_TICK_BREAKS and sum(len(b) + 2 for b in breaks) <= MAX_TICK_BREAK_CHARS
    )
    layout = figure_layout(
        f"Coefficients z: {len(actives)} nonzero",
        (0.4, len(actives) + 0.6),
        _padded(np.append(coefs, 0.0), Y_PAD, single=1.0),
        "feature: number and breakpoints" if with_breaks else "feature (hover: breakpoints)",
        "z",
        annotations=[] if actives else [{"text": empty, "showarrow": False}],
    )
    if with_breaks:
        numbers = list(range(1, len(actives) + 1))
        ticks = [f"{k}<br>{b}" for k, b in zip(numbers, breaks, strict=True)]
    else:
        numbers = _tick_numbers(len(actives))
        ticks = [str(k) for k in numbers]
    layout["xaxis"].update(tickvals=numbers, ticktext=ticks, tickfont={"size": 14}, tickangle=0)
    layout["xaxis"]["title"]["standoff"] = 12
    layout["yaxis"].update(zeroline=True, zerolinecolor="#444444", zerolinewidth=2)
    axis_px = TWO_LINE_TICKS_AXIS_PX if with_breaks else X_AXIS_PX
    return make_figure(traces, legend_below(layout, legend_rows(traces), MARGIN["t"], axis_px))


def _tick_numbers(n: int) -> list[int]:
    """Feature numbers ``1..n`` to label: all, or 1 and the multiples of the smallest step
    of 1, 2, 5, 10, 20, 50, ... that keeps them at most :data:`MAX_NUMBER_TICKS`.

    >>> _tick_numbers(5), _tick_numbers(57)
    ([1, 2, 3, 4, 5], [1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55])
    """
    step = 1
    while len(range(step, n + 1, step)) + (step > 1) > MAX_NUMBER_TICKS:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return list(range(1, n + 1)) if step == 1 else [1, *range(step, n + 1, step)]


# ----------------------------------------------------------------------------------------
# Pieces


def _feature_traces(
    active: ActiveFeature, grid: NDArray, curve: NDArray, style: int, group: str
) -> list[go.Scatter]:
    feature = active.feature
    color = KIND_COLORS.get(feature.kind, DATA_COLOR)
    name = legend_name(active)
    breaks = np.array(feature.breakpoints, dtype=float)
    at_breaks = active.coef * feature.evaluate(breaks) if breaks.size else breaks
    line = scatter(
        x=grid,
        y=curve,
        name=name,
        mode="lines",
        legendgroup=group,
        line={"color": color, "width": LINE_WIDTH, "dash": DASHES[style % len(DASHES)]},
        hovertext=_hover(active),
        hoverinfo="text+y",
    )
    marks = scatter(
        x=breaks,
        y=at_breaks,
        name=f"{name} breakpoints",
        mode="markers",
        legendgroup=group,
        showlegend=False,
        marker={"size": 11, "color": color, "symbol": "diamond", "line": {"width": 1}},
        hovertemplate="break at x = %{x:.4g}<extra></extra>",
    )
    return [line, marks]


def feature_name(kind: str, label: str) -> str:
    """The kind's words, then the label (unless the label starts with them)."""
    words = kind_text(kind)
    return label if label.startswith(words) else f"{words}: {label}"


def legend_name(active: ActiveFeature) -> str:
    """The feature's short name in the features figure (:func:`short_feature_name`)."""
    return short_feature_name(active.feature)


def short_feature_name(feature: Feature) -> str:
    """A feature's name for a legend: :func:`feature_name`, for a reflection its
    breakpoints only (the mirror construction is drawn or in the hover text), cut to
    :data:`MAX_LEGEND_CHARS` characters (long labels squeezed the plot areas)."""
    if feature.kind == "reflection":
        name = f"{kind_text(feature.kind)}: breaks {_short_breaks(feature)}"
    else:
        name = feature_name(feature.kind, feature.label)
    return name if len(name) <= MAX_LEGEND_CHARS else name[: MAX_LEGEND_CHARS - 1] + "…"


def _mirror_trace(
    active: ActiveFeature,
    source: float,
    mirror: float,
    depth: float,
    labels: tuple[str, str, str],
    group: str,
) -> go.Scatter:
    """The reflection construction: ``x_s``, ``x_m`` and the image ``2 x_m - x_s`` on the
    axis (with ``labels``), a dotted riser from the image to the curve, and an arc from
    ``x_s`` to the image below the axis (its arrow head is an annotation)."""
    image = 2.0 * mirror - source
    top = float(active.coef * active.feature.evaluate(np.array([image]))[0])
    arc_x, arc_y = _arc(source, image, depth)
    color = KIND_COLORS["reflection"]
    n_arc = arc_x.size
    return scatter(
        x=[source, mirror, image, None, image, image, None, *arc_x],
        y=[0.0, 0.0, 0.0, None, 0.0, top, None, *arc_y],
        name=f"mirror {_mirror_text(source, mirror)}",
        mode="lines+markers+text",
        legendgroup=group,
        showlegend=False,
        text=[*labels] + [""] * (4 + n_arc),
        textposition="top center" if depth >= 0 else "bottom center",
        textfont={"color": color, "size": MIRROR_FONT_PX},
        line={"color": color, "width": 2, "dash": "dot"},
        marker={
            "size": [13, 18, 16] + [0] * (4 + n_arc),
            "color": color,
            "symbol": ["circle-open", "line-ns-open", "star"] + ["circle"] * (4 + n_arc),
            "line": {"width": 2.5, "color": color},
        },
        hoverinfo="skip",
    )


def _arc(source: float, image: float, depth: float) -> tuple[NDArray, NDArray]:
    t = np.linspace(0.0, 1.0, ARC_POINTS)
    return source + t * (image - source), -depth * np.sin(np.pi * t)


def _arc_depth(grid: NDArray, curve: NDArray, a: float, b: float, y_range) -> float:
    """How far the arc dips below the axis (negative: it rises above), on the side of
    the axis that the feature's curve leaves free between ``a`` and ``b``."""
    inside = (grid >= min(a, b)) & (grid <= max(a, b))
    below_free = not inside.any() or float(np.mean(curve[inside])) >= 0
    span = y_range[1] - y_range[0]
    if below_free:
        return min(0.6 * -y_range[0], 0.2 * span)
    return -min(0.6 * y_range[1], 0.2 * span)


def _arrow_head(source: float, mirror: float, depth: float) -> dict:
    """The arrow head at the image, the end of the arc."""
    arc_x, arc_y = _arc(source, 2.0 * mirror - source, depth)
    head = {"x": arc_x[-1], "y": arc_y[-1], "ax": arc_x[-3], "ay": arc_y[-3], "axref": "x"}
    head.update(ayref="y", showarrow=True, arrowhead=3, arrowsize=1.6, arrowwidth=2)
    return dict(head, arrowcolor=KIND_COLORS["reflection"], text="")


def _sentence_notes(sentences: list[str], below: bool) -> list[dict]:
    """One line per sentence, centred in the band at the bottom (or top) of the plot area
    that :func:`_with_band` keeps free, in the order given from the top."""
    color = KIND_COLORS["reflection"]
    notes = []
    for k, text in enumerate(sentences):
        lines_out = len(sentences) - 1 - k if below else k  # lines between it and the edge
        shift = SENTENCE_PAD_PX + lines_out * SENTENCE_LINE_PX
        note = {"text": text, "showarrow": False, "xref": "paper", "x": 0.5, "yref": "paper"}
        note.update(xanchor="center", y=0.0 if below else 1.0)
        note.update(yanchor="bottom" if below else "top", yshift=shift if below else -shift)
        note.update(font={"color": color, "size": SENTENCE_FONT_PX}, bgcolor="white")
        notes.append(note)
    return notes


def _mirror_text(source: float, mirror: float) -> str:
    return f"{fmt(source)} mirrored at {fmt(mirror)} → {fmt(2.0 * mirror - source)}"


def _dictionary_trace(result: FitResult, grid: NDArray, height: float) -> go.Scatter:
    """All (or an even subsample of) dictionary features, each scaled to ``[0, height]``."""
    size = result.dictionary.size
    classes = np.unique(np.linspace(0, size - 1, min(size, MAX_DICTIONARY_CURVES)).astype(int))
    values = result.dictionary.evaluate(grid, classes) if size else np.zeros((grid.size, 0))
    low, span = values.min(axis=0), np.ptp(values, axis=0)
    scaled = height * (values - low) / np.where(span > 0, span, 1.0)
    # One trace with NaN breaks: hundreds of separate traces would make the browser slow.
    gaps = np.full((1, scaled.shape[1]), np.nan)
    ys = np.vstack([scaled, gaps]).T.ravel()
    xs = np.tile(np.append(grid, np.nan), scaled.shape[1])
    shown = "" if classes.size == size else f", {classes.size} of {size} shown"
    return scatter(
        x=xs,
        y=ys,
        name=f"dictionary ({size} features{shown})",
        mode="lines",
        line={"color": FAINT_COLOR, "width": 1},
        opacity=0.35,
        hoverinfo="skip",
        connectgaps=False,
    )


def _data_trace(result: FitResult, faint: bool = False) -> go.Scatter:
    marker = dict(DATA_MARKER, color=FAINT_COLOR) if faint else DATA_MARKER
    return scatter(
        x=result.x,
        y=result.y,
        name="data",
        mode="markers",
        marker=marker,
        hovertemplate="(%{x:.4g}, %{y:.4g})<extra>data</extra>",
    )


def _vertical_lines(
    at: NDArray, y_range: tuple[float, float], name: str, tops: NDArray | None = None
) -> go.Scatter:
    """One trace of vertical segments at ``at``: faint across ``y_range``, or stems to ``tops``."""
    n = len(at)
    lows = np.full(n, y_range[0]) if tops is None else np.zeros(n)
    highs = np.full(n, y_range[1]) if tops is None else np.asarray(tops, dtype=float)
    faint = {"color": FAINT_COLOR, "width": 1.5, "dash": "dot"}
    return scatter(
        x=np.column_stack([at, at, np.full(n, np.nan)]).ravel(),
        y=np.column_stack([lows, highs, np.full(n, np.nan)]).ravel(),
        name=name,
        mode="lines",
        line=faint if tops is None else {"color": INK, "width": 2.5},
        hoverinfo="skip",
        showlegend=tops is None,
    )


def _short_breaks(feature: Feature) -> str:
    return ", ".join(fmt(b) for b in feature.breakpoints[:3]) + (
        ", ..." if len(feature.breakpoints) > 3 else ""
    )


def _hover(active: ActiveFeature) -> str:
    ties = f"{active.n_ties} tied candidate{'s' * (active.n_ties != 1)}"
    return f"{active.feature.label}<br>z = {active.coef:.4g}<br>{ties}"


# ----------------------------------------------------------------------------------------
# Validation and grids


def _check_result(result: object) -> None:
    if not isinstance(result, FitResult):
        raise ValueError(
            f"expected a FitResult from convexviz.fit(...), got {type(result).__name__}"
        )


def _finite_1d(values: object, name: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a list of numbers") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list of numbers, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _padded(values: NDArray, pad: float, single: float) -> tuple[float, float]:
    lo, hi = float(np.min(values)), float(np.max(values))
    margin = pad * (hi - lo) if hi > lo else single
    lo, hi = lo - margin, hi + margin
    # Round outward to 1/10 to 1/100 of the width, so small moves keep the same range.
    digits = 1 - int(np.floor(np.log10(hi - lo)))
    step = 10.0**-digits
    tidy_lo, tidy_hi = np.floor(lo / step) * step, np.ceil(hi / step) * step
    return round(float(tidy_lo), max(digits, 0)), round(float(tidy_hi), max(digits, 0))


def _plot_grid(
    result: FitResult,
    grid: object,
    breaks: NDArray,
    x_range: tuple[float, float] | None = None,
    compact: bool = False,
) -> NDArray[np.float64]:
    """The given grid (validated), or an even grid over ``x_range`` (default: the data's)
    refined at every breakpoint.

    ``compact`` drops the even points (keeps the ends): enough for curves that are linear
    or constant between the given ``breaks``, and ~5x lighter to send and draw.
    """
    if grid is not None:
        grid = _finite_1d(grid, "grid")
        if grid.size < 2 or np.any(np.diff(grid) <= 0):
            raise ValueError("grid must be increasing with at least 2 points")
        return grid
    base = default_grid(result.x) if x_range is None else np.linspace(*x_range, GRID_SIZE)
    if compact:
        base = base[[0, -1]]
    breaks = breaks[(breaks > base[0]) & (breaks < base[-1])]
    # A point just left of each breakpoint draws jumps (sign/threshold) as vertical lines.
    left = np.nextafter(breaks, -np.inf)
    return np.unique(np.concatenate([base, result.x, breaks, left]))


def _breakpoints(actives: list[ActiveFeature]) -> NDArray[np.float64]:
    points = [b for a in actives for b in a.feature.breakpoints]
    return np.unique(np.array(points, dtype=float))


def figure_json(fig: go.Figure) -> str:
    """The figure as JSON text ``{"data": [...], "layout": {...}}`` for Plotly.js.

    plotly's own encoder (numpy arrays as lists, NaN as ``null``), without re-validating
    figures that :func:`make_figure` assembled unvalidated on purpose.
    """
    return pio.to_json(fig, validate=False)
