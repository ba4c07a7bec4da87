"""Shared look of every convexviz figure: readable on a projector, colour-blind safe.

Large fonts, the Okabe & Ito (2008) palette with one colour per feature kind, a lean
white template (plotly's ``plotly_white`` costs ~20 ms per figure to apply and ~10 ms
to serialize), and by default the legend *inside* the plot area: an outside legend that
Plotly places itself shifts the axes, and clicks on the canvas would land off (DESIGN.md
§3). The panel figures move it below the plot area with margins they compute
(:mod:`convexviz.plots`).
"""

from __future__ import annotations

import plotly.graph_objects as go

OKABE_ITO = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
DATA_COLOR, NETWORK_COLOR, FAINT_COLOR, INK = "#000000", "#0072B2", "#9A9A9A", "#444444"

#: One colour per feature kind (``convexviz.features.KINDS``).
KIND_COLORS = {
    "ramp": "#0072B2",
    "vee": "#56B4E9",
    "step": "#E69F00",
    "capped_ramp": "#009E73",
    "midpoint": "#CC79A7",
    "reflection": "#D55E00",
    "multistep": "#8C6D00",  # darkened Okabe-Ito yellow: plain yellow is unreadable on white
}
#: Line styles that tell apart several features of the same kind.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
FONT = {"size": 18, "family": "Arial, Helvetica, sans-serif", "color": "#222222"}
LEGEND = {
    "x": 0.01,
    "y": 0.99,
    "xanchor": "left",
    "yanchor": "top",
    "bgcolor": "rgba(255, 255, 255, 0.8)",
    "bordercolor": "#CCCCCC",
    "borderwidth": 1,
    "font": {"size": 15},
}
MARGIN = {"l": 80, "r": 20, "t": 60, "b": 70}
DATA_MARKER = {"size": 12, "color": DATA_COLOR, "line": {"width": 1.5, "color": "white"}}
LINE_WIDTH = 3.5

AXIS = {
    "gridcolor": "#E6E6E6",
    "zerolinecolor": "#B5B5B5",
    "zerolinewidth": 1.5,
    "showline": True,
    "linecolor": INK,
    "ticks": "outside",
    # Fixed margins instead: automargin makes Plotly.js lay a figure out twice (features
    # figure 250 -> 150 ms in headless chromium, every panel refresh).
    "automargin": False,
}
#: Layout shared by every figure. Built from plain settings on the tiny ``"none"`` template:
#: applying ``plotly_white`` costs ~20 ms per figure and ~10 ms more to serialize.
BASE_LAYOUT = {
    "template": {"data": {}, "layout": {}},  # the empty template ("none"), in dict form
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "colorway": list(OKABE_ITO),
    "font": FONT,
    "legend": LEGEND,
    "margin": MARGIN,
    "hovermode": "closest",
    "hoverlabel": {"font": {"size": 16}},
}


def kind_text(kind: str) -> str:
    """The on-screen words of a feature kind: ``capped_ramp`` -> ``capped ramp``."""
    return kind.replace("_", " ")


def figure_layout(
    title: str,
    x_range: tuple[float, float] | None,
    y_range: tuple[float, float] | None,
    x_title: str,
    y_title: str,
    annotations: list[dict] | None = None,
) -> dict:
    """The shared layout as a plain dict: title, fonts, legend inside, fixed axis ranges.

    Building a figure in one call, ``go.Figure(traces, layout)``, is several times faster
    than ``update_layout`` on an existing figure.
    """
    layout = dict(BASE_LAYOUT, title={"text": title, "x": 0.01, "xanchor": "left"})
    layout["xaxis"] = dict(AXIS, title={"text": x_title})
    layout["yaxis"] = dict(AXIS, title={"text": y_title})
    if x_range is not None:
        layout["xaxis"]["range"] = list(x_range)
    if y_range is not None:
        layout["yaxis"]["range"] = list(y_range)
    layout["annotations"] = list(annotations or [])
    return layout


def scatter(**properties: object) -> dict:
    """A scatter trace as a plain dict (see :func:`make_figure`)."""
    return {"type": "scatter", **properties}


def make_figure(traces: list[dict], layout: dict) -> go.Figure:
    """Assemble a figure without plotly's per-property validation.

    Validation costs about 2 ms per trace (65 ms for a features figure with 35 traces,
    against 5 ms without), on every click. Our traces are generated here, never user input,
    and the tests rebuild every figure *with* validation, so a bad property still fails.
    """
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


# ---------------------------------------------------------------- the click canvas

#: Margins of the click canvas (px): the figures' sides and bottom, and a thin top, since the
#: canvas has no title and its legend sits above the chart, outside the plot area.
CANVAS_MARGIN = {**MARGIN, "t": 14}
#: Active features on the canvas: thin, dotted and faint, so the fit and the points stand out.
CANVAS_FEATURE_LINE = {"width": 1.5, "dash": "dot", "opacity": 0.45}
#: Networks trained by gradient descent (the gradient-descent panel), behind everything else.
CANVAS_TRAINED_LINE = {"color": FAINT_COLOR, "width": 2.0, "opacity": 0.6}


def canvas_style() -> dict:
    """What the click canvas draws with (``convexviz/ui/canvas/canvas.js``), as plain JSON.

    Sent in the canvas's payload, so the canvas and the figures share one source of colours
    (:data:`KIND_COLORS`, the data marker, the network's line), fonts and margins. Feature
    kinds missing from ``kind_colors`` are drawn in ``other_color``. A fresh dict each call.
    """
    return {
        "font": dict(FONT),
        "paper_bgcolor": BASE_LAYOUT["paper_bgcolor"],
        "plot_bgcolor": BASE_LAYOUT["plot_bgcolor"],
        "margin": dict(CANVAS_MARGIN),
        "axis": dict(AXIS),
        "kind_colors": dict(KIND_COLORS),
        "other_color": DATA_COLOR,
        "feature_line": dict(CANVAS_FEATURE_LINE),
        "fit_line": {"color": NETWORK_COLOR, "width": LINE_WIDTH},
        "trained_line": dict(CANVAS_TRAINED_LINE),
        "data_marker": {**DATA_MARKER, "line": dict(DATA_MARKER["line"])},
        "legend": {
            "bgcolor": LEGEND["bgcolor"],
            "bordercolor": LEGEND["bordercolor"],
            "borderwidth": LEGEND["borderwidth"],
            "font": {**FONT, **LEGEND["font"]},
        },
    }
