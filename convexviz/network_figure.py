"""The rebuilt network as a node-link diagram (used by :mod:`convexviz.plots`).

Each nonzero Lasso coefficient became one parallel unit (THEORY.md §1 "reconstruction"),
drawn as one row: input ``x`` -> the unit's hidden layers -> the output ``f(x)``.

* Chain units (ReLU, leaky ReLU, abs; THEORY.md §2, §4.4, §5): ``h_l = sigma(w_l h_{l-1} +
  b_l)``; edges carry ``w_l`` and ``alpha``, nodes carry ``b_l``.
* Sign/threshold tree units (§3, §6): one node per unit stands for the whole tree (its
  switch points are written under it; the hover text lists the tree's weights), and the
  output edge carries ``amplitude`` and ``alpha`` (the only penalized weights).
"""

from __future__ import annotations

import plotly.graph_objects as go

from .features import fmt
from .fit import FitResult
from .network import ChainUnit, TreeNode, TreeUnit
from .plot_style import BASE_LAYOUT, INK, KIND_COLORS, MARGIN, make_figure, scatter

NODE_SIZE, EDGE_COLOR, IO_COLOR = 26, "#B0B0B0", INK
LABEL_FONT = {"size": 14}
ROW_HEIGHT_PX, MIN_HEIGHT_PX = 52, 340
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
    edges, nodes, labels = _diagram(units, result.active_features, layers)
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
            hoverinfo="skip",
        ),
    ]
    return make_figure(traces, _layout(result, len(units), layers))


def _diagram(units, actives, layers: int):
    """Coordinates of the edges (with ``None`` breaks), hidden nodes and edge labels."""
    n = len(units)
    mid_y = (n - 1) / 2 if n else 0.0
    edges: tuple[list, list] = ([], [])
    nodes: dict[str, list] = {"x": [], "y": [], "text": [], "hover": [], "color": []}
    labels: dict[str, list] = {"x": [], "y": [], "text": []}

    def edge(start, end, label=""):
        edges[0].extend([start[0], end[0], None])
        edges[1].extend([start[1], end[1], None])
        if label:
            labels["x"].append((start[0] + end[0]) / 2)
            labels["y"].append(start[1])
            labels["text"].append(label)

    for i, unit in enumerate(units):
        row, feature = n - 1 - i, actives[i].feature
        # Fan out from x to a junction on the row; weights sit on the horizontal parts,
        # where rows are a full row height apart and labels cannot collide.
        edge((0.0, mid_y), (FAN, row))
        previous = (FAN, row)
        for layer, (weight, text, extra) in enumerate(_rows(unit), start=1):
            edge(previous, (layer, row), weight)
            nodes["x"].append(layer)
            nodes["y"].append(row)
            nodes["text"].append(text)
            nodes["hover"].append(f"unit {i + 1}, layer {layer}: {feature.label}{extra}")
            nodes["color"].append(KIND_COLORS.get(feature.kind, IO_COLOR))
            previous = (layer, row)
        edge(previous, (layers + 1.0 - FAN, row), _output_label(unit))
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
    switches = ", ".join(fmt(t) for t in _leaf_switches(unit.top))
    return [("", f"{unit.activation} tree: steps at {switches}", f"<br>{_tree_text(unit.top)}")]


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
        margin=dict(MARGIN, l=70, r=150),
        showlegend=False,
        height=max(MIN_HEIGHT_PX, 140 + ROW_HEIGHT_PX * n),
        xaxis=dict(hidden, range=[-0.6, layers + 1.6]),
        yaxis=dict(hidden, range=[-0.9, max(n, 1) - 0.3]),
    )
    if n == 0:
        text = "no hidden units: f(x) = ξ is constant"
        layout["annotations"] = [{"text": text, "x": 0.5, "y": 0.4, "showarrow": False}]
    return layout
