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
from ..plane_figure import create_plane_figure
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
from ..training import WIDTH_RANGE
from ..worst_line import Certificate, certificate
from . import training_panel
from .training_run import Trainer, check_work

#: Random starts unless the student asks for another number, and the most offered.
DEFAULT_STARTS = training_panel.DEFAULT_STARTS
MAX_STARTS = training_panel.MAX_STARTS
#: The panel's runs are "starts" and its width "neurons m" (the 1-D page: "runs", "units m").
WORDS = training_panel.RunWords(run="start", width="neurons m")

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
    "The best start's trained network, drawn like the certified optimum: its output f as "
    "colours, the decision line f = 0, every neuron's line w·x + b = 0 with an arrow into "
    "the side where it is active and its weight |α|·|w|, and the worst line of its own "
    "certificate (dotted grey)."
)
#: ``M(r) <= beta (1 + CERTIFIED_RTOL)`` counts as "no new neuron helps" (rounding).
CERTIFIED_RTOL = 1e-6


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
        check_work(self.setup().work, len(self.points), "neurons")

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


@dataclass(frozen=True, eq=False)
class TrainedPicture:
    """A trained network with its certificate: what the plane's figure
    (:func:`convexviz.plane_figure.create_plane_figure`) reads of a ``PlaneFit``, so the best
    start is drawn exactly as the certified optimum is.

    Attributes
    ----------
    points : array (N, 2)
    y : array (N,)
    beta : float
    network : PlaneNetwork
    certificate : Certificate
        THEORY_2D §4 for this network: its worst line ``M(r)`` and duality gap. A network
        with ``M(r) > beta`` is not optimal: a new neuron on the worst line lowers its
        objective, and ``objective - optimum <= duality_gap``.
    """

    points: NDArray[np.float64]
    y: NDArray[np.float64]
    beta: float
    network: PlaneNetwork
    certificate: Certificate

    @property
    def objective(self) -> float:
        return self.certificate.primal


def trained_picture(network: PlaneNetwork, points: object, beta: float) -> TrainedPicture:
    """The network on the page's points (array (N, 3) of ``x1, x2, y``) with its certificate."""
    data = np.asarray(points, dtype=float).reshape(-1, 3)
    x, y = data[:, :2], data[:, 2]
    cert = certificate(x, y, network(x), network.penalty(beta), beta)
    return TrainedPicture(x, y, float(beta), network, cert)


def surface_figure(picture: TrainedPicture):
    """The trained network drawn as the plane page draws the certified optimum."""
    data = np.column_stack([picture.points, picture.y])
    return create_plane_figure(picture, data)  # type: ignore[arg-type]  # reads a PlaneFit's


def line_text(w: tuple[float, float], b: float) -> str:
    """``0.71 x₁ − 0.71 x₂ + 0.35`` (the left side of a line's equation, two decimals).

    >>> line_text((0.7071, -0.7071), -0.3536)
    '0.71 x₁ − 0.71 x₂ − 0.35'
    """
    w1, w2 = w

    def term(value: float, name: str) -> str:
        return f" {'−' if value < 0 else '+'} {abs(value):.2f}{name}"

    first = f"{'−' if w1 < 0 else ''}{abs(w1):.2f} x₁"
    return first + term(w2, " x₂") + term(b, "")


def certificate_text(picture: TrainedPicture) -> str:
    """What the trained network's own certificate says, in words."""
    cert, beta = picture.certificate, picture.beta
    line = cert.worst_line
    m = line.magnitude
    gap = max(cert.duality_gap, 0.0)
    if m > beta * (1 + CERTIFIED_RTOL):
        side = line_text(line.w, line.b)
        return (
            f"Its certificate's worst line, {side} = 0 (dotted grey), has M(r) = {m:.3g} > "
            f"β = {beta:.3g}: a new neuron on it, active where {side} > 0, would lower the "
            "objective, so a wider network does better than this one. Its duality gap "
            f"{gap:.3g} bounds how far above the optimum it can be."
        )
    return (
        f"Its certificate's worst line has M(r) = {m:.3g} ≤ β = {beta:.3g}: no new neuron can "
        f"lower the objective. Gradient descent found an optimal network (duality gap "
        f"{gap:.2g})."
    )
