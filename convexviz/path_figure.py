"""The regularization-path figure (issue 8, item 2; app element key ``beta_path``).

Two panels sharing a log ``beta`` axis: on top, the coefficient ``z_j(beta)`` of every
feature that is ever active on the path (one trace per feature, named by its label,
coloured by its kind); below, the number of neurons ``nnz z(beta)``, a step function
that changes at the knots. The current ``beta`` is a vertical line across both panels.

``z(beta)`` is linear in ``beta`` between knots, which is curved on a log axis: each
segment is drawn through :data:`SAMPLES_PER_SEGMENT` log-spaced points, exact values of
the piecewise-linear path.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from numpy.typing import NDArray

from .dictionary import Dictionary
from .path import RegularizationPath
from .plot_style import (
    AXIS,
    DASHES,
    FAINT_COLOR,
    INK,
    KIND_COLORS,
    LINE_WIDTH,
    NETWORK_COLOR,
    figure_layout,
    make_figure,
    scatter,
)
from .plots import short_feature_name

#: Log-spaced samples per segment (the ends included): enough for a smooth curve.
SAMPLES_PER_SEGMENT = 12

#: Fraction of the figure's height given to the neuron-count panel.
COUNT_PANEL = 0.28

#: Name of the neuron-count trace.
NEURONS_NAME = "neurons"


def sampled_path(path: RegularizationPath) -> tuple[NDArray, NDArray]:
    """Betas (decreasing) and ``z`` at them, ``SAMPLES_PER_SEGMENT`` per segment.

    Returns
    -------
    betas : ndarray of shape (S,)
    z : ndarray of shape (S, M)
        Exact values of the path (each segment's own linear formula).
    """
    betas, rows = [], []
    m = path.z.shape[1]
    for segment in path.segments:
        grid = np.geomspace(segment.beta_hi, segment.beta_lo, SAMPLES_PER_SEGMENT)
        t = (grid - segment.beta_lo) / (segment.beta_hi - segment.beta_lo)
        values = np.zeros((grid.size, m))
        values[:, segment.support] = segment.z_lo + t[:, None] * (segment.z_hi - segment.z_lo)
        betas.append(grid)
        rows.append(values)
    if not rows:
        return path.betas.copy(), path.z.copy()
    return np.concatenate(betas), np.vstack(rows)


def neuron_steps(path: RegularizationPath) -> tuple[NDArray, NDArray]:
    """The step function ``beta -> nnz z(beta)`` as points for a ``line_shape="hv"`` trace.

    Point ``k`` is ``(betas[k], count on the segment below knot k)``; the last point repeats
    the last segment's count. Above ``beta_max`` the count is 0.
    """
    counts = path.n_active
    y = np.append(counts, counts[-1]) if counts.size else np.zeros(1, dtype=int)
    return path.betas.copy(), y


def create_path_figure(
    path: RegularizationPath, dictionary: Dictionary, current_beta: float
) -> go.Figure:
    """The path figure: coefficients and neuron count against ``beta``, ``current_beta`` marked.

    Parameters
    ----------
    path : RegularizationPath
        From :func:`convexviz.path.regularization_path` over ``dictionary``.
    dictionary : Dictionary
        Names (labels) and kinds (colours) of the features.
    current_beta : float
        Drawn as a vertical line (clicking the path in the app sets it).
    """
    betas, z = sampled_path(path)
    traces = []
    per_kind: dict[str, int] = {}
    for j in path.ever_active:
        feature = dictionary.feature(int(j))
        n = per_kind.get(feature.kind, 0)
        per_kind[feature.kind] = n + 1
        traces.append(
            scatter(
                x=betas.tolist(),
                y=z[:, j].tolist(),
                mode="lines",
                name=short_feature_name(feature),  # a long label squeezed the plot area
                legendgroup=feature.kind,
                line={
                    "color": KIND_COLORS.get(feature.kind, INK),
                    "width": LINE_WIDTH * 0.7,
                    "dash": DASHES[n % len(DASHES)],
                },
                hovertemplate=f"{feature.label}<br>beta=%{{x:.4g}}<br>z=%{{y:.4g}}<extra></extra>",
            )
        )
    step_x, step_y = neuron_steps(path)
    traces.append(
        scatter(
            x=step_x.tolist(),
            y=step_y.tolist(),
            mode="lines",
            line_shape="hv",
            name=NEURONS_NAME,
            xaxis="x",
            yaxis="y2",
            line={"color": NETWORK_COLOR, "width": LINE_WIDTH * 0.7},
            hovertemplate="beta=%{x:.4g}<br>%{y} neurons<extra></extra>",
        )
    )
    layout = figure_layout(
        "Regularization path", None, None, "β (log scale)", "coefficient z", None
    )
    low, high = float(path.betas[-1]), float(path.beta_max)
    if high > 0 and low > 0:
        layout["xaxis"].update(type="log", range=[np.log10(low), np.log10(high) + 0.05])
    layout["yaxis"]["domain"] = [COUNT_PANEL + 0.08, 1.0]
    layout["yaxis2"] = dict(
        AXIS,
        domain=[0.0, COUNT_PANEL],
        anchor="x",
        title={"text": "neurons"},
        rangemode="tozero",
    )
    layout["xaxis"]["anchor"] = "y2"
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": float(current_beta),
            "x1": float(current_beta),
            "y0": 0.0,
            "y1": 1.0,
            "line": {"color": FAINT_COLOR, "width": 2, "dash": "dash"},
        }
    ]
    return make_figure(traces, layout)
