"""The plane page's gradient-descent panel as plain data: requests, figures and words.

The panel (``app.py``, section "plane: gradient descent") trains the two-layer ReLU network
of THEORY_2D §1 with Adam from a few random starts (:mod:`convexviz.plane_training`, in the
background through the 1-D page's :class:`~convexviz.ui.training_run.RunManager`, so the
server-wide cap counts both pages) and shows it beside the certified optimum of
:func:`convexviz.plane.fit_plane`. The certificate bounds every network of any width from
below: a run that ends under ``optimum - duality gap`` is reported as a bug
(:func:`convexviz.ui.training_panel.verdict`, shared with the 1-D page, as are the loss
figure, the table and the progress line).

Pure: no Streamlit (tests/test_app_plane_adam.py, tests/test_plane_training.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..plane import PlaneFit
from ..plane_network import PlaneNetwork
from ..plane_training import (
    DEFAULT_CHUNK,
    DEFAULT_LR,
    DEFAULT_STEPS,
    MAX_WORK,
    PlaneTrainingSetup,
    PlaneTrainingSnapshot,
    train_live,
)
from ..plot_style import INK, figure_layout, make_figure, scatter
from ..training import WIDTH_RANGE
from . import training_panel
from .training_run import Trainer

#: Random starts unless the student asks for another number, and the most offered.
DEFAULT_STARTS = training_panel.DEFAULT_STARTS
MAX_STARTS = training_panel.MAX_STARTS
#: The panel's runs are "starts" and its width "neurons m" (the 1-D page: "runs", "units m").
WORDS = training_panel.RunWords(run="start", width="neurons m")
#: Grid points per side on which the best start's surface is drawn.
SURFACE_GRID = 81

Points3 = tuple[tuple[float, float, float], ...]

INTRO_TEXT = (
    "Ordinary training: Adam (gradient descent) on the same network — m neurons "
    "α relu(w·x + b), weight decay β on w and α, biases free — from a few random starts. "
    "No network of any width can go below the certified optimum; with too few neurons, or "
    "from an unlucky start, Adam gets stuck above it. Lower m to 1 to watch it stall."
)
WIDTH_HELP = (
    "Default: the optimum's number of neurons. Fewer cannot always reach the optimum "
    "(one neuron cannot make XOR); more give Adam room and usually get closer."
)
LOSS_CAPTION = (
    "Each coloured line is one random start: its objective (squared error / 2 + weight "
    "decay) after each Adam step, on a log scale. The black dashed line is the certified "
    "optimum of the convex program: no network of any width can go below it."
)
SURFACE_CAPTION = (
    "The best start's trained network: its output f as colours (red where f > 0, blue "
    "where f < 0, white near 0), the black line where f = 0 (the decision line) and its "
    "neurons' lines w·x + b = 0 dotted. The points are filled with their targets y on the "
    "same colours. Compare it with the certified optimum's picture."
)
#: Diverging colours of the surface and the points: blue (negative), white (0), red.
SURFACE_COLORS = [[0.0, "#2166AC"], [0.5, "#F7F7F7"], [1.0, "#B2182B"]]


@dataclass(frozen=True)
class PlaneRunRequest:
    """What to train on the plane: the data, ``beta`` and Adam's settings.

    A :class:`~convexviz.ui.training_run.Request` of the shared run manager. ``inputs``
    (points and beta) is what the panel compares with the page on every poll: any
    difference means the run is stale.

    Attributes
    ----------
    points : tuple of (x1, x2, y)
        The page's points with their targets (classes +1 / -1 or values).
    beta : float
    width, steps : int
    seeds : tuple of int
    lr : float
    chunk : int
        Steps between two snapshots.
    """

    points: Points3
    beta: float
    width: int
    steps: int
    seeds: tuple[int, ...]
    lr: float = DEFAULT_LR
    chunk: int = DEFAULT_CHUNK

    @property
    def inputs(self) -> tuple[Points3, float]:
        return (self.points, self.beta)

    def setup(self) -> PlaneTrainingSetup:
        """The trainer's settings (``ValueError`` with one line if bad)."""
        return PlaneTrainingSetup(
            beta=self.beta, width=self.width, steps=self.steps, lr=self.lr, seeds=self.seeds
        )

    def data(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(points (N, 2), y (N,))``."""
        array = np.asarray(self.points, dtype=float).reshape(-1, 3)
        return array[:, :2], array[:, 2]

    def check(self) -> None:
        """Bad settings, no points or too much work: ``ValueError`` with one line."""
        setup = self.setup()
        n = len(self.points)
        if n < 1:
            raise ValueError("training needs at least one point")
        if setup.work(n) > MAX_WORK:
            raise ValueError(
                f"too much training for one run ({setup.work(n):.2g} > {MAX_WORK:.0e} "
                "units of work): use fewer neurons, starts or points"
            )

    def snapshots(self, trainer: Trainer | None) -> Iterator[PlaneTrainingSnapshot]:
        """``trainer(points, y, setup, chunk=...)``, by default
        :func:`convexviz.plane_training.train_live`."""
        points, y = self.data()
        train = train_live if trainer is None else trainer
        return train(points, y, self.setup(), chunk=self.chunk)


def as_points(points: object) -> Points3:
    """The page's points, an array (N, 3) of ``(x1, x2, y)`` rows, as a tuple of floats."""
    array = np.asarray(points, dtype=float).reshape(-1, 3)
    return tuple((float(a), float(b), float(c)) for a, b, c in array)


def default_width(fit: PlaneFit) -> int:
    """The optimum's number of neurons (at least 1, at most the trainer's largest width)."""
    return int(min(max(fit.network.width, WIDTH_RANGE[0]), WIDTH_RANGE[1]))


def steps_for(n_points: int, width: int, starts: int) -> int:
    """Adam steps per run: the trainer's default, fewer if the work would exceed its cap."""
    per_step = float(starts * width * max(n_points, 1))
    return int(max(1, min(DEFAULT_STEPS, math.floor(MAX_WORK / per_step))))


def make_request(
    points: object, beta: float, width: int, seed: int, starts: int
) -> PlaneRunRequest:
    """The run the panel's button starts: seeds ``seed .. seed + starts - 1``."""
    data = as_points(points)
    return PlaneRunRequest(
        points=data,
        beta=float(beta),
        width=int(width),
        steps=steps_for(len(data), int(width), int(starts)),
        seeds=tuple(range(int(seed), int(seed) + int(starts))),
    )


def stale_reason(request: PlaneRunRequest, points: object, beta: float) -> str:
    """Why a run no longer matches the page (in words), or ``""`` if it does."""
    if request.points != as_points(points):
        return "the points changed"
    if request.beta != float(beta):
        return "β changed"
    return ""


def loss_figure(snapshot: PlaneTrainingSnapshot, optimum: float):
    """Objective of every start against the Adam step, with the certified optimum's line;
    the legend beside the plot area (the 1-D panel's figure, titled for the plane)."""
    return training_panel.loss_figure(
        snapshot, optimum, title="Training loss of each random start", words=WORDS
    )


def surface_title(snapshot: PlaneTrainingSnapshot) -> str:
    """``The best start's trained network (start 2, seed 1)``."""
    k = snapshot.best_run
    return f"The best start's trained network (start {k + 1}, seed {snapshot.seeds[k]})"


def _box(points: NDArray) -> tuple[NDArray, NDArray]:
    """The points' bounding box, padded by 15 % (at least 0.5 on each side)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.maximum(0.15 * (hi - lo), 0.5)
    return lo - pad, hi + pad


def _neuron_segments(network: PlaneNetwork, lo: NDArray, hi: NDArray) -> tuple[list, list]:
    """The lines ``w . x + b = 0`` clipped to the box, as x and y lists with ``None`` gaps."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for (w1, w2), b in zip(network.weights, network.biases, strict=True):
        if math.hypot(w1, w2) < 1e-12:
            continue
        if abs(w2) >= abs(w1):  # y as a function of x
            x = np.array([lo[0], hi[0]])
            y = -(w1 * x + b) / w2
        else:
            y = np.array([lo[1], hi[1]])
            x = -(w2 * y + b) / w1
        xs += [float(x[0]), float(x[1]), None]
        ys += [float(y[0]), float(y[1]), None]
    return xs, ys


def surface_figure(network: PlaneNetwork, points: object, title: str):
    """A trained network's output ``f`` over the points' box: colours (blue ``f > 0``, red
    ``f < 0``, white at 0), the decision line ``f = 0``, the neurons' lines and the points
    (filled by their target on the same colour scale)."""
    data = np.asarray(points, dtype=float).reshape(-1, 3)
    lo, hi = _box(data[:, :2])
    g1 = np.linspace(lo[0], hi[0], SURFACE_GRID)
    g2 = np.linspace(lo[1], hi[1], SURFACE_GRID)
    mesh = np.stack(np.meshgrid(g1, g2), axis=-1).reshape(-1, 2)
    f = network(mesh).reshape(SURFACE_GRID, SURFACE_GRID)
    scale = float(max(np.abs(f).max(), np.abs(data[:, 2]).max(), 1e-9))
    colors = {"colorscale": SURFACE_COLORS, "zmin": -scale, "zmax": scale}
    rounded = np.round(f, 4)
    surface = {
        "type": "heatmap",
        "x": np.round(g1, 5).tolist(),
        "y": np.round(g2, 5).tolist(),
        "z": rounded.tolist(),
        **colors,
        "colorbar": {"title": {"text": "f"}, "thickness": 16, "len": 0.8},
        "hovertemplate": "x1 %{x:.2f}, x2 %{y:.2f}<br>f %{z:.3f}<extra></extra>",
        "showlegend": False,
    }
    decision = {
        "type": "contour",
        "x": surface["x"],
        "y": surface["y"],
        "z": surface["z"],
        "contours": {"start": 0, "end": 0, "size": 1, "coloring": "lines"},
        "line": {"color": "black", "width": 3},
        "colorscale": [[0, "black"], [1, "black"]],
        "showscale": False,
        "name": "decision line f = 0",
        "showlegend": True,
        "hoverinfo": "skip",
    }
    xs, ys = _neuron_segments(network, lo, hi)
    neurons = scatter(
        x=xs,
        y=ys,
        mode="lines",
        name="neuron lines",
        line={"color": INK, "width": 1.5, "dash": "dot"},
        hoverinfo="skip",
    )
    marks = scatter(
        x=data[:, 0].tolist(),
        y=data[:, 1].tolist(),
        mode="markers",
        name="training points",
        marker={
            "size": 13,
            "color": data[:, 2].tolist(),
            "colorscale": SURFACE_COLORS,
            "cmin": -scale,
            "cmax": scale,
            "line": {"width": 2, "color": "black"},
        },
        hovertemplate="x1 %{x:.2f}, x2 %{y:.2f}<br>y %{marker.color:.3g}<extra></extra>",
    )
    layout = figure_layout(title, (lo[0], hi[0]), (lo[1], hi[1]), "x1", "x2")
    # One unit is as long on both axes (the plane is not squashed): the plot area shrinks to
    # fit instead of the ranges growing past the data.
    layout["xaxis"] = {**layout["xaxis"], "constrain": "domain"}
    layout["yaxis"] = {
        **layout["yaxis"],
        "scaleanchor": "x",
        "scaleratio": 1,
        "constrain": "domain",
    }
    layout["height"] = 560
    # The legend below the plot area (inside it would hide part of the surface), under the
    # x axis's title.
    layout["legend"] = {
        **layout["legend"],
        "orientation": "h",
        "x": 0.0,
        "xanchor": "left",
        "y": -0.2,
        "yanchor": "top",
    }
    layout["margin"] = {**layout["margin"], "b": 150}
    return make_figure([surface, decision, neurons, marks], layout)
