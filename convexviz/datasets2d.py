"""Training points in the plane: presets, seeded random data, and parsing of typed or CSV points.

A point is ``(x1, x2, y)``: a location in the plane and its label, ``+1`` / ``-1`` for two
classes or any number for regression. The presets are teaching shapes for THEORY_2D §7; the
``line`` preset puts 1-D data on a line, where the plane's optimum *is* the 1-D ReLU depth-2
optimum (see :func:`line_coordinates`). All parsers are strict: they never evaluate their
input and raise ``ValueError`` with a message naming the bad entry.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .datasets import is_numeric_row, parse_number
from .limits import MAX_ABS_VALUE, MAX_ABS_VALUE_TEXT, MAX_PLANE_POINTS

PlanePoints = tuple[tuple[float, float, float], ...]

#: Default regularization of the plane presets (THEORY_2D §6 uses it for its reference values).
DEFAULT_PLANE_BETA = 0.05


@dataclass(frozen=True)
class PlanePreset:
    """A named data set in the plane with the ``beta`` it is meant to be shown with."""

    name: str
    title: str
    points: PlanePoints
    beta: float = DEFAULT_PLANE_BETA
    description: str = ""

    @property
    def classes(self) -> bool:
        """True when every label is ``+1`` or ``-1`` (two classes, not regression)."""
        return is_classes([p[2] for p in self.points])


def is_classes(y: object) -> bool:
    """True when there are labels and every one is ``+1`` or ``-1`` (two classes, not values).

    >>> is_classes([1, -1, 1]), is_classes([1, 0.5]), is_classes([])
    (True, False, False)
    """
    y = np.asarray(y, dtype=float).ravel()
    return len(y) > 0 and bool(np.isin(y, (-1.0, 1.0)).all())


def _labelled(xy: NDArray, y: NDArray) -> PlanePoints:
    xy, y = np.round(xy, 3), np.round(y, 3)
    return tuple((float(a), float(b), float(c)) for (a, b), c in zip(xy, y, strict=True))


def _class_of(values: NDArray) -> NDArray:
    """``+1`` where ``values >= 0``, ``-1`` elsewhere (``sign`` without a zero class)."""
    return np.where(values >= 0, 1.0, -1.0)


def xor_points() -> PlanePoints:
    """Three points per quadrant, labelled ``sign(x1 x2)``: no line separates the classes."""
    base = np.array([[1.0, 1.0], [1.6, 0.7], [0.7, 1.5]])
    quadrants = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=float)
    xy = np.concatenate([base * q for q in quadrants])
    return _labelled(xy, _class_of(xy[:, 0] * xy[:, 1]))


def disc_points() -> PlanePoints:
    """Five points inside the unit disc (``+1``) and ten on a ring of radius 2 (``-1``)."""
    inner_angles = 2 * np.pi * np.arange(5) / 5 + 0.3
    inner = 0.6 * np.column_stack([np.cos(inner_angles), np.sin(inner_angles)])
    outer_angles = 2 * np.pi * np.arange(10) / 10
    outer = 2.0 * np.column_stack([np.cos(outer_angles), np.sin(outer_angles)])
    xy = np.concatenate([inner, outer])
    return _labelled(xy, np.r_[np.ones(5), -np.ones(10)])


def spiral_points(per_arm: int = 8) -> PlanePoints:
    """Two interleaved spiral arms (``+1`` and ``-1``), ``per_arm`` points each."""
    t = np.linspace(0.5, 3.2, per_arm)
    arm = np.column_stack([t * np.cos(1.6 * t), t * np.sin(1.6 * t)]) * 0.75
    xy = np.concatenate([arm, -arm])
    return _labelled(xy, np.r_[np.ones(per_arm), -np.ones(per_arm)])


def moons_points(per_moon: int = 8) -> PlanePoints:
    """Two interlocking half circles (``+1`` upper, ``-1`` lower), ``per_moon`` points each."""
    t = np.linspace(0, np.pi, per_moon)
    upper = np.column_stack([np.cos(t), np.sin(t)]) * 1.5 + [-0.75, -0.25]
    lower = np.column_stack([-np.cos(t), -np.sin(t)]) * 1.5 + [0.75, 0.25]
    xy = np.concatenate([upper, lower])
    return _labelled(xy, np.r_[np.ones(per_moon), -np.ones(per_moon)])


def separable_points() -> PlanePoints:
    """Two clusters that the line ``x1 + x2 = 0`` separates (``+1`` above, ``-1`` below)."""
    above = np.array([[0.8, 1.2], [1.5, 0.4], [1.1, 1.9], [2.0, 1.3], [0.3, 1.8], [1.7, 2.2]])
    below = np.array([[-0.9, -0.6], [-0.2, -1.4], [-1.8, -0.3], [-1.2, -1.7], [-2.1, -1.3]])
    xy = np.concatenate([above, below])
    return _labelled(xy, _class_of(xy[:, 0] + xy[:, 1]))


#: The 1-D data the ``line`` preset lays on a line (the 1-D page's ``zshape``-like steps).
LINE_DATA_1D = ((0.0, 0.0), (1.0, 0.0), (2.0, 1.0), (3.0, 2.5), (4.0, 3.0), (5.0, 2.0))
#: Where the ``line`` preset's line starts and its unit direction.
LINE_ORIGIN = (-2.0, -1.5)
LINE_DIRECTION = (0.8, 0.6)


def line_points(
    data: tuple[tuple[float, float], ...] = LINE_DATA_1D,
    origin: tuple[float, float] = LINE_ORIGIN,
    direction: tuple[float, float] = LINE_DIRECTION,
) -> PlanePoints:
    """1-D points ``(t, y)`` laid on the line ``origin + t * direction`` (``|direction| = 1``)."""
    t = np.array([p[0] for p in data])
    xy = np.asarray(origin) + t[:, None] * np.asarray(direction)
    return _labelled(xy, np.array([p[1] for p in data]))


def line_coordinates(points: NDArray) -> NDArray[np.float64] | None:
    """Positions along the line when all ``points`` (N, 2) lie on one line, else None.

    The plane network restricted to a line is a 1-D ReLU network of the arclength ``t``, and
    a neuron's penalty ``|w|^2`` is smallest with ``w`` along the line, so for collinear points
    the plane's optimum equals the 1-D two-layer ReLU optimum on ``(t_n, y_n)`` with the same
    ``beta`` (tested in ``tests/test_plane.py``). ``t`` is measured from the first point along
    the principal direction.

    >>> line_coordinates(np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
    array([ 0.,  5., 10.])
    >>> line_coordinates(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])) is None
    True
    """
    points = np.asarray(points, dtype=float)
    if len(points) < 2:
        return None
    centred = points - points.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    scale = max(1.0, float(np.abs(points).max()))
    if s[0] <= 1e-12 * scale or (len(s) > 1 and s[1] > 1e-9 * scale):
        return None
    direction = vt[0] if vt[0][np.argmax(np.abs(vt[0]))] > 0 else -vt[0]
    t = (points - points[0]) @ direction
    return t + 0.0  # no -0.0


PLANE_PRESETS: dict[str, PlanePreset] = {
    p.name: p
    for p in (
        PlanePreset(
            "xor",
            "XOR",
            xor_points(),
            description="Opposite quadrants share a class: no single line separates them, "
            "two or more neurons must cooperate.",
        ),
        PlanePreset(
            "disc",
            "Disc inside a ring",
            disc_points(),
            description="A class inside a ring of the other: the network builds a polygon "
            "around the inner points from several neuron lines.",
        ),
        PlanePreset(
            "spiral",
            "Two spirals",
            spiral_points(),
            description="Interleaved arms: many patterns, many neurons at small beta.",
        ),
        PlanePreset(
            "moons",
            "Two moons",
            moons_points(),
            description="Two interlocking half circles: a bent decision line.",
        ),
        PlanePreset(
            "separable",
            "Linearly separable",
            separable_points(),
            description="One line separates the classes; few neurons suffice.",
        ),
        PlanePreset(
            "line",
            "Points on one line",
            line_points(),
            description="1-D data laid on a line: every neuron's line crosses it, and the "
            "optimum is exactly the 1-D two-layer ReLU optimum of the same data and beta.",
        ),
    )
}


def random_plane_points(n: int, seed: int) -> PlanePoints:
    """``n`` points uniform in ``[-2, 2]^2`` labelled ``sign(x1 x2)`` (THEORY_2D §6's XOR shape,
    as two classes without its noise), from ``numpy.random.default_rng(seed)``."""
    if not 1 <= n <= MAX_PLANE_POINTS:
        raise ValueError(f"number of random points must be between 1 and {MAX_PLANE_POINTS}")
    xy = np.random.default_rng(seed).uniform(-2, 2, size=(n, 2))
    return _labelled(xy, _class_of(xy[:, 0] * xy[:, 1]))


def _number(text: str, where: str) -> float:
    """A finite number of size at most ``MAX_ABS_VALUE`` (see ``datasets.parse_number``)."""
    value = parse_number(text, where)
    if abs(value) > MAX_ABS_VALUE:
        raise ValueError(f"{where}: {text.strip()!r} is larger than {MAX_ABS_VALUE_TEXT}")
    return value


def _rows(cells_per_row: list[list[str]], what: str) -> PlanePoints:
    if not cells_per_row:
        raise ValueError("no training points given")
    if len(cells_per_row) > MAX_PLANE_POINTS:
        raise ValueError(
            f"too many points ({len(cells_per_row)}); at most {MAX_PLANE_POINTS} in the plane"
        )
    rows = []
    for k, cells in enumerate(cells_per_row, start=1):
        if len(cells) != 3:
            raise ValueError(f"{what} {k}: expected 3 fields x1,x2,y, got {len(cells)}")
        x1, x2, y = (_number(c, f"{what} {k}") for c in cells)
        rows.append((x1, x2, y))
    return tuple(rows)


def parse_plane_points(
    text: str, point_sep: str | None = None, field_sep: str = ","
) -> PlanePoints:
    """Parse ``"x1,x2,y x1,x2,y ..."`` (points separated by whitespace or ``point_sep``).

    Raises
    ------
    ValueError
        On a point without exactly three fields, a non-number, NaN/inf, a value beyond
        ``MAX_ABS_VALUE``, no points, or more than ``MAX_PLANE_POINTS`` points.

    >>> parse_plane_points("0,0,1 1,2,-1")
    ((0.0, 0.0, 1.0), (1.0, 2.0, -1.0))
    """
    chunks = text.split(point_sep) if point_sep else text.split()
    chunks = [c.strip() for c in chunks if c.strip()]
    return _rows([c.split(field_sep) for c in chunks], "point")


def parse_plane_csv(text: str) -> PlanePoints:
    """Parse CSV text with three columns ``x1, x2, y`` (an optional header row is skipped)."""
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    if rows and not is_numeric_row(rows[0]):
        header = [c.strip().lower() for c in rows[0]]
        if header != ["x1", "x2", "y"]:
            raise ValueError(f"CSV header must be 'x1,x2,y', got {','.join(rows[0])!r}")
        rows = rows[1:]
    if not rows:
        raise ValueError("CSV has no data rows")
    return _rows([[c for c in row if c.strip()] for row in rows], "CSV row")
