"""The Lasso dictionary of a 1-D network: candidate features and the matrix ``A``.

``build_dictionary(x_train, architecture)`` returns a :class:`Dictionary`:

* ``columns`` -- every raw candidate feature of THEORY.md for that architecture
  (vectorized parameters, see :mod:`.columns`);
* classes of candidates that coincide *on the training inputs* up to a constant and a
  sign. Such columns are interchangeable for the Lasso (the free offset ``xi`` absorbs
  constants, the sign goes into ``z``), so the optimum does not change when only one
  member per class is kept; but they differ *between* data points, which is why optimal
  networks are not unique. Every member is kept, so the app can show the ties;
* ``A`` of shape ``(N, M)``: one *representative* per class evaluated at ``x_train``.
  The representative is chosen by a fixed rule: the simplest kind first
  (``ramp < vee < step < capped_ramp < midpoint < reflection < multistep``), then the
  first candidate in the builder's order.

Columns that are constant on the data are dropped (they are absorbed by ``xi``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .. import theory
from ..architecture import Architecture
from ..features import Feature
from ..limits import MAX_ABS_VALUE, MAX_ABS_VALUE_TEXT, MAX_POINTS
from .abs_chain import abs3_columns
from .columns import ChainColumns, Columns, PatternColumns
from .narrow_relu import narrow_relu_columns
from .two_layer import ramp_columns, step_columns

#: At most this many raw candidate columns (memory and time guard).
MAX_RAW_COLUMNS = 400_000

__all__ = [
    "MAX_RAW_COLUMNS",
    "ChainColumns",
    "Dictionary",
    "PatternColumns",
    "build_dictionary",
    "deduplicate",
    "raw_size_estimate",
    "validate_inputs",
]


@dataclass(frozen=True, eq=False)
class Dictionary:
    """Candidate features of one architecture on one set of training inputs.

    Attributes
    ----------
    x_train : ndarray of shape (n_samples,)
    architecture : Architecture
    columns : ChainColumns or PatternColumns
        All raw candidates (``raw_size`` of them).
    representatives : ndarray of shape (size,)
        Raw index of the representative of each class.
    class_of : ndarray of shape (raw_size,)
        Class of every raw candidate, ``-1`` for candidates constant on the data.
    class_sign : ndarray of shape (raw_size,)
        ``+-1``: on the data, candidate = sign * representative + constant.
    A : ndarray of shape (n_samples, size)
        Representatives evaluated at ``x_train``.
    """

    x_train: NDArray[np.float64]
    architecture: Architecture
    columns: Columns
    representatives: NDArray[np.int_]
    class_of: NDArray[np.int_]
    class_sign: NDArray[np.float64]
    A: NDArray[np.float64]

    @property
    def note(self) -> str:
        """The theory behind this dictionary, with status labels (from :mod:`.theory`)."""
        return " ".join(theory.notes(self.architecture.activation, self.architecture.depth))

    @property
    def raw_size(self) -> int:
        return self.columns.size

    @property
    def size(self) -> int:
        return int(self.representatives.size)

    def feature(self, i: int) -> Feature:
        """The representative feature of class ``i``."""
        return self.columns.feature(int(self.representatives[i]))

    def members(self, i: int) -> NDArray[np.int_]:
        """Raw indices of every candidate in class ``i`` (the ties of its representative)."""
        return np.nonzero(self.class_of == i)[0]

    def evaluate(
        self, x: NDArray[np.float64], classes: NDArray[np.int_] | None = None
    ) -> NDArray[np.float64]:
        """Representatives (all, or the given classes) at ``x``: shape ``(len(x), k)``."""
        raw = self.representatives if classes is None else self.representatives[classes]
        return self.columns.evaluate(np.asarray(x, dtype=float), raw)

    def raw_blocks(self, block: int = 50_000):
        """Yield the raw candidates at ``x_train`` in blocks of columns (for certificates)."""
        for start in range(0, self.raw_size, block):
            idx = np.arange(start, min(start + block, self.raw_size))
            yield self.columns.evaluate(self.x_train, idx)


def validate_inputs(x: object, y: object | None = None) -> tuple[NDArray, NDArray | None]:
    """Check training data and return float arrays.

    Raises
    ------
    ValueError
        Non-numeric, non-finite, empty, mismatched or too many points.
    """
    try:
        x_arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("x must be a list of numbers") from None
    if x_arr.ndim != 1:
        raise ValueError(f"x must be one-dimensional, got shape {x_arr.shape}")
    if x_arr.size == 0:
        raise ValueError("no training points: add at least one point")
    if x_arr.size > MAX_POINTS:
        raise ValueError(f"too many points ({x_arr.size}); at most {MAX_POINTS} are allowed")
    if not np.all(np.isfinite(x_arr)):
        raise ValueError("x contains NaN or infinite values")
    if np.max(np.abs(x_arr)) > MAX_ABS_VALUE:
        raise ValueError(f"x values must be within +-{MAX_ABS_VALUE_TEXT} (rescale the data)")
    y_arr = None
    if y is not None:
        try:
            y_arr = np.asarray(y, dtype=float)
        except (TypeError, ValueError):
            raise ValueError("y must be a list of numbers") from None
        if y_arr.shape != x_arr.shape:
            raise ValueError(f"x and y differ in length ({x_arr.size} vs {y_arr.size})")
        if not np.all(np.isfinite(y_arr)):
            raise ValueError("y contains NaN or infinite values")
        if np.max(np.abs(y_arr)) > MAX_ABS_VALUE:
            raise ValueError(f"y values must be within +-{MAX_ABS_VALUE_TEXT} (rescale the data)")
    return x_arr, y_arr


def raw_size_estimate(n: int, architecture: Architecture) -> int:
    """Number of raw candidates for ``n`` distinct inputs (before any filtering)."""
    act, depth = architecture.activation, architecture.depth
    if act in ("sign", "threshold"):
        from .sign_tree import pattern_count

        return pattern_count(n, architecture.max_switches)
    if depth == 2 or act == "leaky_relu":
        return 2 * n
    if act == "relu":
        return 4 * n**2 if depth == 3 else 16 * n**3
    if depth == 3:
        return n**2 + n * (n - 1) // 2
    from .abs_deep import abs_raw_size_estimate

    return abs_raw_size_estimate(n, depth)


def _raw_columns(x: NDArray[np.float64], arch: Architecture) -> Columns:
    act, depth = arch.activation, arch.depth
    if act in ("sign", "threshold"):
        if depth == 2:
            return step_columns(x, act)
        from .sign_tree import sign_tree_columns

        return sign_tree_columns(x, arch)
    if depth == 2:
        return ramp_columns(x, act, arch.leak)
    if act == "relu":  # depth >= 5: the depth-4 columns (convexviz.theory says why)
        return narrow_relu_columns(x, depth)
    if depth == 3:
        return abs3_columns(x)
    from .abs_deep import abs_deep_columns

    return abs_deep_columns(x, depth)


def build_dictionary(x_train: object, architecture: Architecture) -> Dictionary:
    """Build the de-duplicated Lasso dictionary of ``architecture`` on ``x_train``.

    Parameters
    ----------
    x_train : array_like of shape (n_samples,)
        Training inputs; repeats are allowed (they give repeated rows).
    architecture : Architecture

    Returns
    -------
    Dictionary

    Raises
    ------
    ValueError
        Bad inputs, or a dictionary larger than :data:`MAX_RAW_COLUMNS` (the message says
        how many points the architecture allows).

    Examples
    --------
    >>> from convexviz import Architecture, build_dictionary
    >>> d = build_dictionary([0, 4, 5, 7, 10, 11], Architecture("relu", 3))
    >>> d.raw_size, d.size
    (144, 15)
    """
    x, _ = validate_inputs(x_train)
    n = np.unique(x).size
    estimate = raw_size_estimate(n, architecture)
    if estimate > MAX_RAW_COLUMNS:
        allowed = max_points(architecture)
        raise ValueError(
            f"{architecture.activation} depth {architecture.depth} with {n} distinct points "
            f"needs {estimate:,} candidate features (limit {MAX_RAW_COLUMNS:,}); use at most "
            f"{allowed} points or a smaller depth"
        )
    columns = _raw_columns(x, architecture)
    values = columns.evaluate(x)
    representatives, class_of, class_sign = deduplicate(x, values, columns.kinds)
    return Dictionary(
        x_train=x,
        architecture=architecture,
        columns=columns,
        representatives=representatives,
        class_of=class_of,
        class_sign=class_sign,
        A=values[:, representatives],
    )


def max_points(architecture: Architecture) -> int:
    """Largest number of distinct points whose raw dictionary fits the size limit."""
    n = 1
    while n < MAX_POINTS and raw_size_estimate(n + 1, architecture) <= MAX_RAW_COLUMNS:
        n += 1
    return n


def deduplicate(
    x: NDArray[np.float64], values: NDArray[np.float64], kinds: NDArray[np.int_]
) -> tuple[NDArray[np.int_], NDArray[np.int_], NDArray[np.float64]]:
    """Group columns equal on the data up to an additive constant and a sign.

    Each column ``v`` is normalized to ``v - v[first]`` (``first`` = smallest input), its
    sign flipped so that its first clearly nonzero entry is positive, and quantized on a
    grid of ``1e-9`` times the largest value; equal quantized columns form a class.

    Returns
    -------
    representatives : ndarray of shape (n_classes,)
        Column index of each class representative: lowest ``kinds`` code, then lowest index.
    class_of : ndarray of shape (n_columns,)
        Class of each column, ``-1`` for columns constant on the data.
    class_sign : ndarray of shape (n_columns,)
        ``+-1`` with ``column = sign * representative + const`` on the data.
    """
    order_x = np.argsort(x, kind="stable")
    v = values[order_x] - values[order_x[0]]
    scale = 1e-9 * max(1.0, float(np.max(np.abs(v))) if v.size else 1.0)
    q = np.round(v / scale).astype(np.int64)
    nonzero = q != 0
    has_nonzero = nonzero.any(axis=0)
    first = np.argmax(nonzero, axis=0)
    sign = np.where(q[first, np.arange(q.shape[1])] < 0, -1, 1)
    q = q * sign
    # 128-bit row hash of each quantized column, then group equal hashes.
    rng = np.random.default_rng(20240318)
    weights = rng.integers(1, 2**62, size=(2, q.shape[0]), dtype=np.int64).astype(np.uint64)
    qu = q.astype(np.uint64)
    keys = np.stack([weights[0] @ qu, weights[1] @ qu], axis=1)
    priority = np.lexsort((np.arange(q.shape[1]), kinds))
    candidates = priority[has_nonzero[priority]]
    packed = np.ascontiguousarray(keys[candidates]).view(np.dtype((np.void, 16))).ravel()
    _, first_pos, inverse = np.unique(packed, return_index=True, return_inverse=True)
    # np.unique sorts by key; renumber classes in order of their representative's priority.
    rank = np.argsort(np.argsort(first_pos, kind="stable"), kind="stable")
    class_of = np.full(q.shape[1], -1, dtype=np.int64)
    class_of[candidates] = rank[inverse.ravel()]
    representatives = candidates[np.sort(first_pos)]
    if representatives.size == 0:  # every column is constant on the data (one distinct x)
        return representatives, class_of, np.ones(q.shape[1])
    rep_sign = sign[representatives]
    class_sign = np.where(class_of >= 0, sign * rep_sign[np.maximum(class_of, 0)], 1.0)
    return representatives, class_of, class_sign.astype(float)
