"""Training points: presets, seeded random data, and parsing of typed or uploaded points.

Presets ``opt``, ``zshape`` and ``bounce`` are the reference notebooks' examples
(THEORY.md §8); the others are teaching shapes. All parsers are strict: they never
evaluate their input and raise ``ValueError`` with a message naming the bad entry.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from .limits import MAX_POINTS

Points = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Preset:
    """A named data set with the depth/activation/beta it is meant to be shown with."""

    name: str
    title: str
    points: Points
    activation: str = "relu"
    depth: int = 3
    beta: float = 1e-3
    description: str = ""


def _pairs(xs: list[float], ys: list[float]) -> Points:
    return tuple((float(a), float(b)) for a, b in zip(xs, ys, strict=True))


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "opt",
            "Paper: 'opt'",
            _pairs([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3]),
            "relu",
            4,
            1e-3,
            "As beta -> 0, depth 4 can interpolate with one neuron, ramp(5, 8), whose break "
            "at 8 is 0 mirrored about 4; depth 3 needs two (THEORY.md §8).",
        ),
        Preset(
            "zshape",
            "Paper: 'zshape'",
            _pairs([0, 2, 6, 7], [0, 0, 3, 3]),
            "relu",
            3,
            1e-3,
            "One capped ramp from 2 to 6 fits exactly.",
        ),
        Preset(
            "bounce",
            "Paper: 'bounce'",
            _pairs([0, 2, 6, 7], [0, 0, 3, 7]),
            "relu",
            3,
            1e-3,
            "Depth does not help here: every depth has the same optimal l1 norm 4.",
        ),
        Preset(
            "vee",
            "V shape",
            _pairs([-3, -2, -1, 0, 1, 2, 3], [3, 2, 1, 0, 1, 2, 3]),
            "relu",
            2,
            1e-2,
            "A single kink at 0.",
        ),
        Preset(
            "step",
            "Step",
            _pairs([-3, -2, -1, -0.5, 0.5, 1, 2, 3], [0, 0, 0, 0, 1, 1, 1, 1]),
            "threshold",
            2,
            1e-2,
            "Sign and threshold nets fit jumps with one step.",
        ),
        Preset(
            "sine",
            "Sine",
            _pairs(
                [round(-3 + 6 * k / 11, 4) for k in range(12)],
                [round(math.sin(-3 + 6 * k / 11), 4) for k in range(12)],
            ),
            "relu",
            3,
            1e-2,
            "Smooth data need several features.",
        ),
        Preset(
            "noisy_line",
            "Noisy line",
            _pairs(
                [-3, -2.2, -1.5, -0.7, 0, 0.8, 1.4, 2.1, 3],
                [-1.4, -0.9, -0.8, -0.2, 0.1, 0.3, 0.8, 0.9, 1.6],
            ),
            "relu",
            2,
            0.3,
            "Large beta keeps the fit simple: a line and a kink or two.",
        ),
        Preset(
            "abs_reflection",
            "Needs a reflection (abs)",
            _pairs([0, 1, 3, 4], [1, 0, 2, 1]),
            "abs",
            3,
            1e-3,
            "Depth 3 fits it with one reflection neuron ||x - 1| - 2|: its break at -1 is 3 "
            "mirrored at 1. Depth 2 needs three neurons; without the reflection family the "
            "depth-3 optimum is 50% higher.",
        ),
        Preset(
            "zigzag",
            "Zigzag: depth helps (abs)",
            _pairs([0, 1, 2, 3, 4, 5, 6], [0, 1, 0, 1, 0, 1, 0]),
            "abs",
            4,
            1e-3,
            "One depth-4 neuron |||x - 3| - 2| - 1| fits it; depth 3 needs five neurons and "
            "pays twice the objective, depth 2 five times (THEORY_DEEP_ABS.md: depth strictly "
            "lowers the optimum of abs nets).",
        ),
    )
}


def random_points(n: int, seed: int, noise: float = 0.3) -> Points:
    """``n`` points with sorted uniform ``x`` in ``[-3, 3]`` and ``y = sin(x) + noise``."""
    if not 1 <= n <= MAX_POINTS:
        raise ValueError(f"number of random points must be between 1 and {MAX_POINTS}")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, size=n))
    y = np.sin(x) + noise * rng.normal(size=n)
    return _pairs(list(np.round(x, 3)), list(np.round(y, 3)))


def parse_number(text: str, where: str) -> float:
    """``text`` as a finite float; ``ValueError`` naming ``where`` otherwise (never evaluated)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {text.strip()!r} is not a finite number")
    return value


def parse_points(text: str, pair_sep: str | None = None, coord_sep: str = ",") -> Points:
    """Parse ``"x,y x,y ..."`` (pairs separated by whitespace or ``pair_sep``).

    Raises
    ------
    ValueError
        On a malformed pair, a non-number, NaN/inf, or more than ``MAX_POINTS`` points.
    """
    chunks = text.split(pair_sep) if pair_sep else text.split()
    chunks = [c.strip() for c in chunks if c.strip()]
    if len(chunks) > MAX_POINTS:
        raise ValueError(f"too many points ({len(chunks)}); at most {MAX_POINTS} are allowed")
    points = []
    for k, chunk in enumerate(chunks, start=1):
        parts = chunk.split(coord_sep)
        if len(parts) != 2:
            raise ValueError(f"point {k}: expected 'x{coord_sep}y', got {chunk!r}")
        where = f"point {k}"
        points.append((parse_number(parts[0], where), parse_number(parts[1], where)))
    return tuple(points)


def parse_csv(text: str) -> Points:
    """Parse CSV text with two columns ``x, y`` (an optional header row is skipped)."""
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    if rows and not is_numeric_row(rows[0]):
        header = [c.strip().lower() for c in rows[0]]
        if header[:2] != ["x", "y"]:
            raise ValueError(f"CSV header must be 'x,y', got {','.join(rows[0])!r}")
        rows = rows[1:]
    if not rows:
        raise ValueError("CSV has no data rows")
    if len(rows) > MAX_POINTS:
        raise ValueError(f"too many points ({len(rows)}); at most {MAX_POINTS} are allowed")
    points = []
    for k, row in enumerate(rows, start=1):
        cells = [c for c in row if c.strip()]
        if len(cells) != 2:
            raise ValueError(f"CSV row {k}: expected 2 columns x,y, got {len(cells)}")
        where = f"CSV row {k}"
        points.append((parse_number(cells[0], where), parse_number(cells[1], where)))
    return tuple(points)


def is_numeric_row(row: list[str]) -> bool:
    """True when every non-empty cell of a CSV row is a number (then it is not a header)."""
    try:
        [float(c) for c in row if c.strip()]
    except ValueError:
        return False
    return True
