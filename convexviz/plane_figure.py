"""The plane's figure (THEORY_2D §7): the fitted surface, the decision line, every neuron's line.

What a student sees, drawn from a :class:`convexviz.plane.PlaneFit`:

* the fitted surface ``f`` as a heatmap over the shown square, with the decision line ``f = 0``
  (two classes) as a black contour;
* each neuron's line ``w . x + b = 0``, coloured by the sign of its output weight ``alpha``,
  thicker for a larger weight ``|alpha| |w|`` (the neuron's share of the penalty), with an
  arrow into the side where the neuron is active (``w . x + b > 0``, the direction ``w``) and
  the weight written at the arrow's head; training points a neuron's line passes through get
  a ring;
* the certificate's worst line (THEORY_2D §4), dotted grey: at the optimum ``M(r) <= beta``, so
  even the best new neuron would not lower the objective.

The click canvas draws the training points itself (from :data:`POINT_STYLE`, with the same rule
as :func:`points_trace`) so that a click shows at once; :func:`create_plane_figure` puts
everything in one static figure. Margins are fixed (:data:`PLOT_MARGIN`, legend and colour bar
outside the plot area), so a click converts to data through the plot area alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import NDArray

from .datasets2d import is_classes
from .plane import PlaneFit
from .plot_style import AXIS, BASE_LAYOUT, LEGEND, make_figure, scatter

Ranges = Mapping[str, Sequence[float]]

#: Heatmap resolution per axis (61 x 61 evaluations of ``f``: well under a millisecond).
GRID_SIZE = 61
#: Fixed margins (px): axis titles left and below, the colour bar right, a thin top; the
#: legend adds one row of LEGEND_ROW_PX per entry under the x axis (:func:`plane_layout`).
PLOT_MARGIN = {"l": 64, "r": 96, "t": 16, "b": 56}
LEGEND_ROW_PX, LEGEND_PAD_PX = 22, 8
#: The most legend entries: decision line, two neuron signs, rings, worst line, two classes.
MAX_LEGEND_ROWS = 7
#: Height of the plot area (px); it is square (equal scales), as wide as it is high.
PLOT_HEIGHT_PX = 460

POSITIVE_COLOR, NEGATIVE_COLOR = "#D55E00", "#0072B2"  # Okabe-Ito vermillion / blue
#: The training points: two classes (a shape and a colour each, readable in grey scale too)
#: or values on the surface's colour scale. The canvas's JS draws with this dict.
POINT_STYLE = {
    "size": 13,
    "outline": {"width": 1.5, "color": "white"},
    "classes": {
        "1": {"color": POSITIVE_COLOR, "symbol": "circle", "name": "class +1"},
        "-1": {"color": NEGATIVE_COLOR, "symbol": "square", "name": "class −1"},
    },
    "values": {"colorscale": "Viridis", "name": "training points (colour = y)"},
}
#: The surface: negative f blue, positive f vermillion, pale so that lines and points stand out.
CLASS_COLORSCALE = [[0.0, "#4F8FC9"], [0.5, "#FFFFFF"], [1.0, "#E8894D"]]
SURFACE_OPACITY = 0.6
DECISION_LINE = {"color": "#000000", "width": 3}
WORST_LINE = {"color": "#6E6E6E", "width": 2.5, "dash": "dot"}
#: Neuron lines: width from NEURON_WIDTH_PX[0] (smallest weight) to [1] (largest).
NEURON_WIDTH_PX = (1.5, 4.5)
#: An active-side arrow is this fraction of the shown span long.
ARROW_FRACTION = 0.07
#: Weight labels only for the neurons of at least this fraction of the largest weight, at most
#: LABELLED_NEURONS of them (the rest keep their arrow; every weight is in the hover).
LABEL_MIN_FRACTION, LABELLED_NEURONS = 0.1, 10
#: A training point within this fraction of the span of a neuron's line counts as on it.
ON_LINE_RTOL = 1e-6


def square_ranges(points: NDArray, pad: float = 0.15, min_span: float = 2.0) -> dict:
    """Equal x1 and x2 ranges around the points: their bounding box's larger side, padded by
    ``pad`` of it on each side, at least ``min_span`` wide, centred on the box.

    >>> r = square_ranges(np.array([[0.0, 0.0], [2.0, 1.0]]))
    >>> [round(v, 9) for v in r["x"] + r["y"]]
    [-0.3, 2.3, -0.8, 1.8]
    """
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    else:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = max(float((hi - lo).max()) * (1 + 2 * pad), min_span)
    centre = (lo + hi) / 2
    return {
        axis: [float(c - span / 2), float(c + span / 2)]
        for axis, c in zip(("x", "y"), centre, strict=True)
    }


def value_range(y: NDArray) -> tuple[float, float]:
    """Colour range of values: the labels' range (or ``y +- 1`` if they are all equal).

    The canvas's JS uses the same rule for its points.
    """
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return -1.0, 1.0
    lo, hi = float(y.min()), float(y.max())
    return (lo - 1, hi + 1) if hi - lo <= 0 else (lo, hi)


def clip_line(w: Sequence[float], b: float, ranges: Ranges) -> NDArray | None:
    """The segment of the line ``w . x + b = 0`` inside the box ``ranges``, as two end points
    (array (2, 2)), or None if the line misses the box.

    >>> clip_line((1.0, 0.0), -0.5, {"x": [0, 1], "y": [0, 2]}).tolist()
    [[0.5, 0.0], [0.5, 2.0]]
    """
    (x0, x1), (y0, y1) = ranges["x"], ranges["y"]
    w1, w2 = float(w[0]), float(w[1])
    hits = []
    if abs(w2) > 1e-300:  # crossings of the vertical sides x = x0, x1
        hits += [(x, -(w1 * x + b) / w2) for x in (x0, x1)]
    if abs(w1) > 1e-300:  # crossings of the horizontal sides y = y0, y1
        hits += [(-(w2 * y + b) / w1, y) for y in (y0, y1)]
    span = max(x1 - x0, y1 - y0)
    eps = 1e-12 * span
    inside = [(x, y) for x, y in hits if x0 - eps <= x <= x1 + eps and y0 - eps <= y <= y1 + eps]
    if len(inside) < 2:
        return None
    pts = np.array(inside)
    # the two crossings farthest apart (a corner crossing can appear twice)
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    i, j = np.unravel_index(np.argmax(d), d.shape)
    if d[i, j] <= eps:
        return None
    return np.clip(pts[[i, j]], [x0, y0], [x1, y1])


def surface(fit: PlaneFit, ranges: Ranges, n: int = GRID_SIZE) -> tuple[NDArray, NDArray, NDArray]:
    """``(gx, gy, f)``: the network on an ``n x n`` grid over ``ranges`` (``f[i, j]`` at
    ``(gx[j], gy[i])``), evaluated once for the heatmap and the decision line."""
    gx, gy = np.linspace(*ranges["x"], n), np.linspace(*ranges["y"], n)
    xx, yy = np.meshgrid(gx, gy)
    f = fit.network(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    return gx, gy, f


def surface_trace(fit: PlaneFit, ranges: Ranges, grid: tuple | None = None) -> dict:
    """The heatmap of ``f`` over ``ranges`` (classes: a diverging scale centred at ``f = 0``;
    values: the labels' colour scale, so that a point's colour against the surface shows its
    error). ``grid``: :func:`surface` if already computed."""
    gx, gy, f = surface(fit, ranges) if grid is None else grid
    common = {
        "type": "heatmap",
        "x": gx,
        "y": gy,
        "z": f,
        "opacity": SURFACE_OPACITY,
        "zsmooth": "best",
        "hovertemplate": "x₁ %{x:.3g}, x₂ %{y:.3g}<br>f = %{z:.3g}<extra></extra>",
        "colorbar": {"title": {"text": "f(x)", "side": "top"}, "thickness": 14, "x": 1.02},
        "name": "f(x)",
        "showlegend": False,
    }
    if is_classes(fit.y):
        bound = max(1.0, float(np.abs(f).max()))
        return dict(common, colorscale=CLASS_COLORSCALE, zmin=-bound, zmax=bound)
    lo, hi = value_range(fit.y)
    return dict(common, colorscale=POINT_STYLE["values"]["colorscale"], zmin=lo, zmax=hi)


def decision_trace(fit: PlaneFit, ranges: Ranges, grid: tuple | None = None) -> dict:
    """The decision line ``f = 0`` as a single contour line (empty if ``f`` keeps one sign);
    ``grid``: :func:`surface` if already computed."""
    gx, gy, f = surface(fit, ranges) if grid is None else grid
    return {
        "type": "contour",
        "x": gx,
        "y": gy,
        "z": f,
        "contours": {"start": 0, "end": 0, "size": 1, "coloring": "lines"},
        "line": DECISION_LINE,
        "colorscale": [[0, DECISION_LINE["color"]], [1, DECISION_LINE["color"]]],
        "showscale": False,
        "hoverinfo": "skip",
        "name": "decision line f = 0",
        "showlegend": True,
    }


def neuron_weights(fit: PlaneFit) -> NDArray[np.float64]:
    """Each neuron's weight ``|alpha_j| |w_j|`` (its output scaled by its input's size)."""
    net = fit.network
    return np.abs(net.alphas) * np.linalg.norm(net.weights, axis=1)


def points_on_lines(fit: PlaneFit) -> NDArray[np.bool_]:
    """Array (m, N): training point ``n`` lies on neuron ``j``'s line (within
    :data:`ON_LINE_RTOL` of the points' span, measured along the unit normal)."""
    net, x = fit.network, fit.points
    norms = np.linalg.norm(net.weights, axis=1)
    if len(norms) == 0:
        return np.zeros((0, len(x)), dtype=bool)
    span = max(float(np.ptp(x, axis=0).max()), 1e-12)
    distance = np.abs(x @ net.weights.T + net.biases) / np.maximum(norms, 1e-300)
    return (distance <= ON_LINE_RTOL * span).T


#: Where along a clipped line its arrow may start (fractions of the segment).
ARROW_SPOTS = np.linspace(0.2, 0.8, 7)


def _arrow_spot(
    segment: NDArray, normal: NDArray, taken: list[NDArray], points: NDArray
) -> tuple[NDArray, NDArray]:
    """Where a clipped line's arrow starts and ends: of :data:`ARROW_SPOTS`, the spot whose
    arrow keeps farthest from the arrows already placed (``taken``, their bases) and whose
    head (where the weight label goes) keeps farthest from the training points (N, 2)."""
    bases = segment[0] + ARROW_SPOTS[:, None] * (segment[1] - segment[0])
    heads = bases + normal
    room = np.full(len(bases), np.inf)
    if taken:
        room = np.linalg.norm(bases[:, None] - np.array(taken)[None], axis=-1).min(axis=1)
    if len(points):
        near = np.linalg.norm(heads[:, None] - points[None], axis=-1).min(axis=1)
        room = np.minimum(room, near)
    k = len(bases) // 2 if np.isinf(room).all() else int(np.argmax(room))
    return bases[k], heads[k]


def neuron_traces(fit: PlaneFit, ranges: Ranges) -> tuple[list[dict], list[dict]]:
    """One trace per neuron's line (legend: one entry per sign of ``alpha``), the rings on the
    training points the lines pass through, and the arrows and weight labels (annotations).

    Neurons are drawn from the largest weight down; a label goes to each of the first
    :data:`LABELLED_NEURONS` with at least :data:`LABEL_MIN_FRACTION` of the largest weight.
    """
    net = fit.network
    weights = neuron_weights(fit)
    top = float(weights.max()) if len(weights) else 1.0
    span = max(ranges["x"][1] - ranges["x"][0], ranges["y"][1] - ranges["y"][0])
    traces, notes, legend_done, taken = [], [], set(), []
    for j in np.argsort(-weights):
        segment = clip_line(net.weights[j], net.biases[j], ranges)
        if segment is None:
            continue
        positive = net.alphas[j] > 0
        color = POSITIVE_COLOR if positive else NEGATIVE_COLOR
        width = NEURON_WIDTH_PX[0] + (NEURON_WIDTH_PX[1] - NEURON_WIDTH_PX[0]) * weights[j] / top
        name = "neuron, α > 0 (adds)" if positive else "neuron, α < 0 (subtracts)"
        w1, w2 = net.weights[j]
        traces.append(
            scatter(
                x=segment[:, 0],
                y=segment[:, 1],
                mode="lines",
                line={"color": color, "width": round(float(width), 2)},
                name=name,
                legendgroup=name,
                showlegend=name not in legend_done,
                hovertemplate=(
                    f"neuron {j + 1}: {w1:.3g} x₁ + {w2:.3g} x₂ + {net.biases[j]:.3g} = 0"
                    f"<br>α = {net.alphas[j]:.3g}, weight |α||w| = {weights[j]:.3g}<extra></extra>"
                ),
            )
        )
        legend_done.add(name)
        normal = ARROW_FRACTION * span * net.weights[j] / np.linalg.norm(net.weights[j])
        base, head = _arrow_spot(segment, normal, taken, fit.points)
        taken.append(base)
        notes.append(_arrow(base, head, color))
        if weights[j] >= LABEL_MIN_FRACTION * top and len(taken) <= LABELLED_NEURONS:
            notes.append(_weight_label(head, net.weights[j], weights[j], color, ranges))
    on = points_on_lines(fit)
    ringed = on.any(axis=0) if on.size else np.zeros(len(fit.points), dtype=bool)
    if ringed.any():
        traces.append(
            scatter(
                x=fit.points[ringed, 0],
                y=fit.points[ringed, 1],
                mode="markers",
                marker={
                    "size": 24,
                    "symbol": "circle-open",
                    "color": "#222222",
                    "line": {"width": 2},
                },
                name="point on a neuron's line",
                hoverinfo="skip",
            )
        )
    return traces, notes


def _arrow(base: NDArray, head: NDArray, color: str) -> dict:
    return {
        "x": float(head[0]),
        "y": float(head[1]),
        "ax": float(base[0]),
        "ay": float(base[1]),
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "text": "",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 1.2,
        "arrowwidth": 2,
        "arrowcolor": color,
    }


def _weight_label(head: NDArray, w: NDArray, weight: float, color: str, ranges: Ranges) -> dict:
    """The weight ``|alpha||w|`` just beyond the arrow's head, kept inside the box."""
    (x0, x1), (y0, y1) = ranges["x"], ranges["y"]
    return {
        "x": float(np.clip(head[0], x0, x1)),
        "y": float(np.clip(head[1], y0, y1)),
        "xref": "x",
        "yref": "y",
        "text": f"{weight:.2g}",
        "showarrow": False,
        "xanchor": "left" if w[0] >= 0 else "right",
        "yanchor": "bottom" if w[1] >= 0 else "top",
        "font": {"size": 14, "color": color},
        "bgcolor": "rgba(255, 255, 255, 0.75)",
        "borderpad": 1,
    }


def worst_line_trace(fit: PlaneFit, ranges: Ranges) -> dict | None:
    """The certificate's worst line (dotted grey), or None if it misses the box."""
    line = fit.certificate.worst_line
    segment = clip_line(line.w, line.b, ranges)
    if segment is None:
        return None
    m = line.magnitude
    return scatter(
        x=segment[:, 0],
        y=segment[:, 1],
        mode="lines",
        line=WORST_LINE,
        name="worst line (certificate)",
        hovertemplate=(
            f"worst line: M(r) = {m:.4g} vs β = {fit.beta:.4g}<br>"
            "no new neuron can lower the objective when M(r) ≤ β<extra></extra>"
        ),
    )


def fit_picture(fit: PlaneFit, ranges: Ranges) -> tuple[list[dict], list[dict]]:
    """Everything about the fit except the training points, each piece computed once:
    the traces (surface, decision line for classes, neuron lines with rings, worst line;
    plain dicts) and the annotations (the neurons' active-side arrows and weight labels)."""
    grid = surface(fit, ranges)
    traces = [surface_trace(fit, ranges, grid)]
    if is_classes(fit.y):
        traces.append(decision_trace(fit, ranges, grid))
    neurons, notes = neuron_traces(fit, ranges)
    traces += neurons
    if (worst := worst_line_trace(fit, ranges)) is not None:
        traces.append(worst)
    return traces, notes


def fit_traces(fit: PlaneFit, ranges: Ranges) -> list[dict]:
    """The traces of :func:`fit_picture`."""
    return fit_picture(fit, ranges)[0]


def fit_annotations(fit: PlaneFit, ranges: Ranges) -> list[dict]:
    """The annotations of :func:`fit_picture`: the neurons' arrows and weight labels."""
    return neuron_traces(fit, ranges)[1]


def points_trace(points: NDArray, classes: bool | None = None) -> list[dict]:
    """The training points (array (N, 3) of ``x1, x2, y``): one trace per class, or one trace
    coloured by ``y`` on the values' scale (:func:`value_range`)."""
    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    classes = is_classes(pts[:, 2]) if classes is None else classes
    outline = POINT_STYLE["outline"]
    if classes:
        traces = []
        for label, style in POINT_STYLE["classes"].items():
            mine = pts[pts[:, 2] == float(label)]
            traces.append(
                scatter(
                    x=mine[:, 0],
                    y=mine[:, 1],
                    mode="markers",
                    name=style["name"],
                    marker={
                        "size": POINT_STYLE["size"],
                        "color": style["color"],
                        "symbol": style["symbol"],
                        "line": outline,
                    },
                    hovertemplate="(%{x:.3g}, %{y:.3g}) " + style["name"] + "<extra></extra>",
                )
            )
        return traces
    lo, hi = value_range(pts[:, 2])
    return [
        scatter(
            x=pts[:, 0],
            y=pts[:, 1],
            mode="markers",
            name=POINT_STYLE["values"]["name"],
            marker={
                "size": POINT_STYLE["size"],
                "color": pts[:, 2],
                "colorscale": POINT_STYLE["values"]["colorscale"],
                "cmin": lo,
                "cmax": hi,
                "line": {"width": 1.5, "color": "#222222"},
            },
            customdata=pts[:, 2],
            hovertemplate="(%{x:.3g}, %{y:.3g}) y = %{customdata:.3g}<extra></extra>",
        )
    ]


def plane_layout(ranges: Ranges, legend_rows: int = MAX_LEGEND_ROWS) -> dict:
    """Axes fixed to ``ranges`` with equal scales, fixed margins (:data:`PLOT_MARGIN`, no
    autoexpand), a square plot area :data:`PLOT_HEIGHT_PX` high, the legend one entry per row
    under the x axis with room for ``legend_rows`` rows, no title (the page says what it is)."""
    bottom = PLOT_MARGIN["b"] + legend_rows * LEGEND_ROW_PX + LEGEND_PAD_PX
    legend = dict(
        LEGEND,
        orientation="v",
        x=0.0,
        xanchor="left",
        y=-PLOT_MARGIN["b"] / PLOT_HEIGHT_PX,
        yanchor="top",
        bgcolor="rgba(0, 0, 0, 0)",
        borderwidth=0,
        tracegroupgap=0,
        font={"size": 14},
    )
    axis = dict(AXIS, zeroline=False, constrain="domain")
    return dict(
        BASE_LAYOUT,
        height=PLOT_MARGIN["t"] + PLOT_HEIGHT_PX + bottom,
        margin=dict(PLOT_MARGIN, b=bottom, autoexpand=False),
        legend=legend,
        showlegend=legend_rows > 0,
        xaxis=dict(axis, range=list(ranges["x"]), title={"text": "x₁"}),
        yaxis=dict(axis, range=list(ranges["y"]), title={"text": "x₂"}, scaleanchor="x"),
        annotations=[],
        dragmode=False,
    )


def legend_rows(traces: list[dict]) -> int:
    """Legend entries of ``traces`` (those not hidden with ``showlegend=False``)."""
    return sum(t.get("showlegend", True) is not False for t in traces)


def create_plane_figure(
    fit: PlaneFit | None, points: NDArray, ranges: Ranges | None = None
) -> go.Figure:
    """The whole picture in one static figure: :func:`fit_picture` (if there is a fit), the
    training points on top, in :func:`plane_layout`."""
    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    ranges = square_ranges(pts[:, :2]) if ranges is None else ranges
    fitted, notes = fit_picture(fit, ranges) if fit is not None else ([], [])
    traces = fitted + points_trace(pts)
    layout = plane_layout(ranges, legend_rows(traces))
    layout["annotations"] = notes
    return make_figure(traces, layout)
