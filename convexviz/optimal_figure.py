"""Every optimal network in one figure: the data, each alternative faint, one in bold.

All alternatives have the same fitted values on the data and the same objective
(:mod:`convexviz.optimal_set`); the figure shows where they differ: between and beyond the
points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import NDArray

from .features import fmt
from .fit import FitResult
from .optimal_set import OptimalNetwork
from .plot_style import (
    DATA_COLOR,
    DATA_MARKER,
    FAINT_COLOR,
    LINE_WIDTH,
    MARGIN,
    NETWORK_COLOR,
    figure_layout,
    make_figure,
    scatter,
)
from .plots import X_AXIS_PX, axis_ranges, default_grid, legend_below, legend_rows

#: Width of the alternatives that are not selected.
FAINT_WIDTH = 2.0


def alternatives_grid(result: FitResult, alternatives: Sequence[OptimalNetwork]) -> NDArray:
    """The plotting grid plus every breakpoint of every alternative (so kinks are exact).

    Each breakpoint is doubled by a point just left of it, which also draws the jumps of
    sign and threshold units as steep steps.
    """
    grid = default_grid(result.x)
    breaks = [
        b
        for alt in alternatives
        for j in alt.raw_columns
        for b in result.dictionary.columns.feature(j).breakpoints
    ]
    lo, hi = grid[0], grid[-1]
    inside = np.array([b for b in breaks if lo < b < hi], dtype=float)
    eps = 1e-9 * max(hi - lo, 1.0)
    return np.unique(np.concatenate([grid, inside, inside - eps]))


def create_alternatives_figure(
    result: FitResult,
    alternatives: Sequence[OptimalNetwork],
    selected: int = 0,
    grid: NDArray[np.float64] | None = None,
) -> go.Figure:
    """The data, every alternative optimal network faint, the ``selected`` one bold.

    Parameters
    ----------
    result : FitResult
        The fit the alternatives belong to (its data and beta).
    alternatives : sequence of OptimalNetwork
        From :func:`convexviz.optimal_set.alternative_optima`.
    selected : int
        Index of the alternative drawn bold (and last, on top).
    grid : ndarray, optional
        Increasing points where the curves are drawn; by default :func:`alternatives_grid`.

    Returns
    -------
    go.Figure
        One line trace per alternative, named by the alternative (``"sparsest"``, ...),
        then the ``"data"`` markers. The selected trace is drawn last (on top) in the
        network colour and full width, the others grey and thin; ``legendrank`` keeps the
        legend in the order given.

    Raises
    ------
    ValueError
        If ``alternatives`` is empty or ``selected`` is out of range.

    Examples
    --------
    >>> from convexviz import Architecture, fit
    >>> from convexviz.optimal_set import alternative_optima
    >>> r = fit([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3], Architecture("relu", 4), 1e-3)
    >>> alts = alternative_optima(r, limit=2)
    >>> [t.name for t in create_alternatives_figure(r, alts, selected=1).data]
    ['sparsest', 'fewest reflections', 'data']
    """
    if not alternatives:
        raise ValueError("no alternatives to draw")
    if not 0 <= selected < len(alternatives):
        raise ValueError(f"selected must be in 0..{len(alternatives) - 1}, got {selected}")
    grid = alternatives_grid(result, alternatives) if grid is None else np.asarray(grid)
    traces = []
    for k, alt in enumerate(alternatives):
        bold = k == selected
        neurons = f"{alt.n_neurons} neuron{'s' * (alt.n_neurons != 1)}"
        traces.append(
            scatter(
                x=grid,
                y=alt.predict(grid),
                name=alt.name,
                mode="lines",
                line={
                    "color": NETWORK_COLOR if bold else FAINT_COLOR,
                    "width": LINE_WIDTH if bold else FAINT_WIDTH,
                },
                opacity=1.0 if bold else 0.7,
                hovertemplate=f"x = %{{x:.3g}}<br>f(x) = %{{y:.4g}}<extra>{alt.name}, "
                f"{neurons}</extra>",
            )
        )
    traces = _selected_last(traces, selected)
    traces.append(
        scatter(
            x=result.x,
            y=result.y,
            name="data",
            mode="markers",
            marker=dict(DATA_MARKER, color=DATA_COLOR),
            hovertemplate="(%{x:.4g}, %{y:.4g})<extra>data</extra>",
        )
    )
    x_range, y_range = axis_ranges(result.x, result.y)
    y_range = _widen(y_range, [t["y"] for t in traces[:-1]])
    n = len(alternatives)
    chosen = alternatives[selected]
    title = (
        f"{n} optimal network{'s' * (n != 1)}, objective {fmt(result.lasso.objective)}, "
        f"shown: {chosen.name}"
    )
    layout = figure_layout(title, x_range, y_range, "x", "y")
    # The legend below the plot (fixed margins): inside it hid points and curves.
    layout = legend_below(layout, legend_rows(traces), MARGIN["t"], X_AXIS_PX)
    layout["legend"] = dict(layout["legend"], traceorder="normal")
    return make_figure(traces, layout)


def _selected_last(traces: list[dict], selected: int) -> list[dict]:
    """Draw the selected curve last (on top) while the legend keeps the given order.

    Plotly orders the legend by ``legendrank`` (default 1000, then drawing order), so the
    traces get ranks ``1, 2, ...`` in the given order (before the data markers) and the
    selected one is moved to the end of the list.
    """
    ranked = [dict(t, legendrank=k + 1) for k, t in enumerate(traces)]
    return [t for k, t in enumerate(ranked) if k != selected] + [ranked[selected]]


def _widen(y_range: tuple[float, float], curves: list[NDArray]) -> tuple[float, float]:
    """The data's y range, widened (by 5 %) to show every curve if one leaves it."""
    lo = min([y_range[0]] + [float(np.min(c)) for c in curves])
    hi = max([y_range[1]] + [float(np.max(c)) for c in curves])
    if (lo, hi) == y_range:
        return y_range
    pad = 0.05 * (hi - lo)
    return (lo - pad if lo < y_range[0] else lo, hi + pad if hi > y_range[1] else hi)
