"""The rebuilt network as a node-link diagram (used by :mod:`convexviz.plots`).

Each nonzero Lasso coefficient became one parallel unit (THEORY.md §1 "reconstruction"),
drawn as one row: input ``x`` -> the unit's hidden layers -> the output ``f(x)``.

* Chain units (ReLU, leaky ReLU, abs; THEORY.md §2, §4.4, §5): ``h_l = sigma(w_l h_{l-1} +
  b_l)``; edges carry ``w_l`` and ``alpha``, nodes carry ``b_l``.
* Sign/threshold tree units (§3, §6): one node per unit stands for the whole tree (its
  switch points are written under it; the hover text lists the tree's weights), and the
  output edge carries ``amplitude`` and ``alpha`` (the only penalized weights).

Legible at any size: the margins are fixed here (Plotly may not grow them), the texts are
never clipped at the plot area, each row has a fixed height in pixels, and weight labels
sit above the nodes, one layer apart.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from .features import fmt
from .fit import FitResult
from .network import ChainUnit, TreeNode, TreeUnit
from .plot_style import BASE_LAYOUT, INK, KIND_COLORS, make_figure, scatter

NODE_SIZE, EDGE_COLOR, IO_COLOR = 26, "#B0B0B0", INK
#: A tree node lists at most this many switch points (all of them on hover).
MAX_NODE_SWITCHES = 3
LABEL_FONT = {"size": 14}
#: One row per unit: a weight label above its line, the node, a bias label below it.
ROW_HEIGHT_PX, MIN_HEIGHT_PX = 66, 340
#: Weight labels sit this high above their line, clear of the nodes (radius 13 px), so a
#: label may be as wide as the space between two layers.
LABEL_LIFT_PX = 15
#: Margins: the title on top; the output's text (``f(x)``, ``ξ = ...``) on the right.
NETWORK_MARGIN = {"l": 50, "r": 150, "t": 60, "b": 20, "autoexpand": False}
#: The x axis spans input (0) to output (layers + 1) plus this much (in layers) on each
#: side; the texts beside the input and output nodes reach into the margins.
LAYERS_LEFT, LAYERS_RIGHT = 0.3, 0.3
#: The y axis spans the rows plus this much (in rows) below and above.
ROWS_BELOW, ROWS_ABOVE = 0.9, 0.7
#: Width (in layer columns) of the fans from the input and into the output.
FAN = 0.3


def create_network_figure(result: FitResult) -> go.Figure:
    """Node-link diagram of ``result.network``: one row per unit, weights on the edges.

    Returns
    -------
    go.Figure
        Traces ``"edges"``, ``"input"``, ``"hidden"`` (one marker per hidden node; its
        text is the bias ``b = ...``, or the tree's steps), ``"output"`` (its text gives
        ``xi``) and ``"weights"`` (edge labels ``w = ...``, ``α = ...``, ``a = ...``).
        Unit ``i`` (``result.network.units[i]``, which is ``result.active_features[i]``)
        is row ``i`` from the top.
    """
    if not isinstance(result, FitResult):
        raise ValueError(
            f"expected a FitResult from convexviz.fit(...), got {type(result).__name__}"
        )
    units = result.network.units
    layers = max((_n_layers(u) for u in units), default=1)
    lift = LABEL_LIFT_PX / _row_px(len(units))
    edges, nodes, labels = _diagram(units, result.active_features, layers, lift)
    mid_y = (len(units) - 1) / 2 if units else 0.0
    traces = [
        scatter(
            x=edges[0],
            y=edges[1],
            name="edges",
            mode="lines",
            hoverinfo="skip",
            line={"color": EDGE_COLOR, "width": 2},
        ),
        _io_node(0.0, mid_y, "input", "x ", "the input x"),
        scatter(
            x=nodes["x"],
            y=nodes["y"],
            name="hidden",
            mode="markers+text",
            text=nodes["text"],
            textposition="bottom center",
            textfont=LABEL_FONT,
            cliponaxis=False,  # texts may reach into the margins, never be cut there
            hovertext=nodes["hover"],
            hoverinfo="text",
            marker={"size": NODE_SIZE, "color": nodes["color"], "line": {"width": 1.5}},
        ),
        _io_node(
            layers + 1.0,
            mid_y,
            "output",
            f" f(x)<br> ξ = {fmt(result.network.bias)}",
            "the output: sum of the units plus the offset ξ",
        ),
        scatter(
            x=labels["x"],
            y=labels["y"],
            name="weights",
            mode="text",
            text=labels["text"],
            textposition="top center",
            textfont=LABEL_FONT,
            cliponaxis=False,
            hoverinfo="skip",
        ),
    ]
    return make_figure(traces, _layout(result, len(units), layers))


def _y_span(n: int) -> float:
    """Length of the y axis, in rows, for ``n`` units."""
    return max(n, 1) - 1 + ROWS_BELOW + ROWS_ABOVE


def _plot_height_px(n: int) -> int:
    """Height of the plot area for ``n`` units: :data:`ROW_HEIGHT_PX` per row, at least
    what fills :data:`MIN_HEIGHT_PX`."""
    margins = NETWORK_MARGIN["t"] + NETWORK_MARGIN["b"]
    return max(MIN_HEIGHT_PX - margins, math.ceil(ROW_HEIGHT_PX * _y_span(n)))


def _row_px(n: int) -> float:
    """Pixels per row of the y axis for ``n`` units (at least :data:`ROW_HEIGHT_PX`)."""
    return _plot_height_px(n) / _y_span(n)


def _diagram(units, actives, layers: int, lift: float):
    """Coordinates of the edges (with ``None`` breaks), hidden nodes and edge labels
    (``lift`` rows above their edge)."""
    n = len(units)
    mid_y = (n - 1) / 2 if n else 0.0
    edges: tuple[list, list] = ([], [])
    nodes: dict[str, list] = {"x": [], "y": [], "text": [], "hover": [], "color": []}
    labels: dict[str, list] = {"x": [], "y": [], "text": []}

    def edge(start, end, label="", label_x=0.0):
        edges[0].extend([start[0], end[0], None])
        edges[1].extend([start[1], end[1], None])
        if label:
            labels["x"].append(label_x)
            labels["y"].append(start[1] + lift)
            labels["text"].append(label)

    for i, unit in enumerate(units):
        row, feature = n - 1 - i, actives[i].feature
        # Fan out from x to a junction on the row; weights sit above the horizontal parts,
        # where rows are a full row height apart, halfway between two layers (one layer
        # apart, so labels as wide as a layer cannot collide).
        edge((0.0, mid_y), (FAN, row))
        previous = (FAN, row)
        for layer, (weight, text, extra) in enumerate(_rows(unit), start=1):
            edge(previous, (layer, row), weight, label_x=layer - 0.5)
            nodes["x"].append(layer)
            nodes["y"].append(row)
            nodes["text"].append(text)
            nodes["hover"].append(f"unit {i + 1}, layer {layer}: {feature.label}{extra}")
            nodes["color"].append(KIND_COLORS.get(feature.kind, IO_COLOR))
            previous = (layer, row)
        edge(previous, (layers + 1.0 - FAN, row), _output_label(unit), previous[0] + 0.5)
        edge((layers + 1.0 - FAN, row), (layers + 1.0, mid_y))
    return edges, nodes, labels


def _n_layers(unit: ChainUnit | TreeUnit) -> int:
    return len(unit.weights) if isinstance(unit, ChainUnit) else 1


def _rows(unit: ChainUnit | TreeUnit) -> list[tuple[str, str, str]]:
    """Per hidden node: (label of the incoming edge, text under the node, hover extra)."""
    if isinstance(unit, ChainUnit):
        return [
            (f"w = {fmt(w)}", f"b = {fmt(b)}", f"<br>w = {w:.6g}, b = {b:.6g}")
            for w, b in zip(unit.weights, unit.biases, strict=True)
        ]
    switches = [fmt(t) for t in _leaf_switches(unit.top)]
    shown = ", ".join(switches[:MAX_NODE_SWITCHES]) + (
        ", …" if len(switches) > MAX_NODE_SWITCHES else ""
    )
    extra = f"<br>steps at {', '.join(switches)}<br>{_tree_text(unit.top)}"
    return [("", f"{unit.activation} tree: steps at {shown}", extra)]


def _output_label(unit: ChainUnit | TreeUnit) -> str:
    if isinstance(unit, TreeUnit):
        return f"a = {fmt(unit.amplitude)}, α = {fmt(unit.alpha)}"
    return f"α = {fmt(unit.alpha)}"


def _leaf_switches(node: TreeNode) -> list[float]:
    if not node.children:
        return [-node.bias / node.weights[0]]
    used = [c for w, c in zip(node.weights, node.children, strict=True) if w != 0]
    return sorted({t for child in used for t in _leaf_switches(child)})


def _tree_text(node: TreeNode) -> str:
    if not node.children:
        return f"step(x {'-' if node.bias <= 0 else '+'} {fmt(abs(node.bias))})"
    parts = [
        f"{fmt(w)}·{_tree_text(c)}" for w, c in zip(node.weights, node.children, strict=True) if w
    ]
    return f"σ({' + '.join(parts)} + {fmt(node.bias)})"


def _io_node(x: float, y: float, name: str, text: str, hover: str) -> go.Scatter:
    return scatter(
        x=[x],
        y=[y],
        name=name,
        mode="markers+text",
        text=[text],
        textposition="middle left" if name == "input" else "middle right",
        textfont={"size": 18},
        cliponaxis=False,
        hovertext=[hover],
        hoverinfo="text",
        marker={"size": NODE_SIZE + 6, "color": "white", "line": {"width": 3, "color": IO_COLOR}},
    )


def _layout(result: FitResult, n: int, layers: int) -> dict:
    title = f"Rebuilt network ({result.architecture.title}): {n} unit{'s' * (n != 1)}"
    hidden = {"visible": False}
    layout = dict(
        BASE_LAYOUT,
        title={"text": title, "x": 0.01, "xanchor": "left"},
        margin=NETWORK_MARGIN,
        showlegend=False,
        height=_plot_height_px(n) + NETWORK_MARGIN["t"] + NETWORK_MARGIN["b"],
        xaxis=dict(hidden, range=[-LAYERS_LEFT, layers + 1 + LAYERS_RIGHT]),
        yaxis=dict(hidden, range=[-ROWS_BELOW, -ROWS_BELOW + _y_span(n)]),
    )
    if n == 0:
        text = "no hidden units: f(x) = ξ is constant"
        layout["annotations"] = [{"text": text, "x": 0.5, "y": 0.4, "showarrow": False}]
    return layout
