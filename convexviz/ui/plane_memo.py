"""One process-wide memo of plane fits, shared by the plane page and its preview route.

As on the 1-D page (:mod:`convexviz.ui.fitmemo`), a click reaches the server twice (the
preview request and the canvas's snapshot) and both want the same fit: :class:`PlaneMemo`
is the same single-flight LRU, bounded in entries and bytes, keyed by the points and beta.

Warm starts. Column generation (:func:`convexviz.plane.fit_plane`) can start from the
working lines of an earlier fit. When the points differ from an earlier fit's by one edit
(a point added, deleted, moved or relabelled) at the same beta, that fit's
``working_lines`` start the new one. A warm start may change only the *speed* (how many
rounds of column generation run) and, within the certified gap, which of several optimal
networks is shown: the objective is certified by the exact worst line either way, and the
memo's key does not include the warm start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ..plane import PlaneFit, fit_plane
from ..worst_line import worst_line
from .fitmemo import SingleFlightMemo
from .plane_state import PlanePoints, PlaneState
from .wording import BUSY_TEXT
from .workers import POOL, ServerBusyError, may_wait, pooled

PlaneKey = tuple[PlanePoints, float]
#: ``compute(points (N, 2), y (N,), beta, warm_lines or None) -> PlaneFit``.
Compute = Callable[[NDArray[np.float64], NDArray[np.float64], float, NDArray | None], PlaneFit]


def one_edit_apart(a: PlanePoints, b: PlanePoints) -> bool:
    """Whether ``b`` is ``a`` with at most one point added, deleted, moved or relabelled.

    >>> one_edit_apart(((0, 0, 1), (1, 0, -1)), ((0, 0, 1), (1, 0.5, -1)))
    True
    >>> one_edit_apart(((0, 0, 1), (1, 0, -1)), ((2, 2, 1),))
    False
    """
    ca, cb = Counter(a), Counter(b)
    return sum((ca - cb).values()) <= 1 and sum((cb - ca).values()) <= 1


class PlaneMemo(SingleFlightMemo[PlaneKey, PlaneFit]):
    """:class:`~convexviz.ui.fitmemo.SingleFlightMemo` of certified plane fits.

    Parameters
    ----------
    max_entries, max_bytes : as ``SingleFlightMemo`` (a fit at N = 50 holds ~0.1 MB).
    compute : callable, optional
        ``compute(points (N, 2), y (N,), beta, warm_lines) -> PlaneFit``; the default is
        :func:`convexviz.plane.fit_plane`. Tests pass a recording or failing stand-in.
    """

    def __init__(
        self,
        max_entries: int = 256,
        max_bytes: int = 64 * 2**20,
        compute: Compute | None = None,
    ) -> None:
        super().__init__(max_entries, max_bytes)
        self._compute = compute or _fit
        self._recent: list[PlaneKey] = []  # keys of finished fits, newest last (a few)

    def fit(self, points: PlanePoints, beta: float, after: PlanePoints | None = None) -> PlaneFit:
        """The certified fit of ``points`` (triples ``(x1, x2, y)``) at ``beta``.

        ``after``: the points of the fit shown before (the session's); if it is kept and one
        edit away it warms the computation, else the newest kept fit one edit away does.

        Raises
        ------
        ValueError
            As :func:`convexviz.plane.fit_plane` (a ``ProgramFailedError`` too).
        """
        pts = tuple((float(a), float(b), float(c)) for a, b, c in points)
        key: PlaneKey = (pts, float(beta))

        def compute() -> PlaneFit:
            xy = np.array(pts, dtype=float).reshape(-1, 3)
            warm = self._warm_lines(key, after)
            return self._compute(xy[:, :2], xy[:, 2], float(beta), warm)

        result = self.get(key, compute)
        self._remember(key)
        return result

    def _warm_lines(self, key: PlaneKey, after: PlanePoints | None) -> NDArray | None:
        points, beta = key
        candidates = [(tuple(after), beta)] if after is not None else []
        candidates += reversed(self._recent)
        for candidate in candidates:
            if candidate[1] != beta or not one_edit_apart(candidate[0], points):
                continue
            earlier = self.peek(candidate)
            if earlier is not None and len(earlier.working_lines):
                return earlier.working_lines
        return None

    def _remember(self, key: PlaneKey) -> None:
        with self._lock:
            if key in self._recent:
                self._recent.remove(key)
            self._recent = [*self._recent, key][-RECENT_KEYS:]


#: How many recent fits a new one looks at for a warm start (besides the session's own).
RECENT_KEYS = 8


def _fit(points: NDArray, y: NDArray, beta: float, warm: NDArray | None) -> PlaneFit:
    return fit_plane(points, y, beta, warm_lines=warm)


#: The memo of the plane page and its preview route (one per server process); the fits run
#: in the server's pool of worker processes (:mod:`convexviz.ui.workers`).
SHARED = PlaneMemo(compute=pooled(_fit, POOL))


def plane_fit_state(
    state: PlaneState, memo: PlaneMemo = SHARED, after: PlanePoints | None = None
) -> tuple[PlaneFit | None, str]:
    """The fit of a plane state, or ``None`` and a sentence saying why there is none.

    Raises
    ------
    ServerBusyError
        Only for a caller that must not wait (the preview route answers ``503``); a page's
        run that found no room in the fit pool gets :data:`wording.BUSY_TEXT`.
    """
    if not state.points:
        return None, "Click anywhere in the plot to add training points."
    try:
        return memo.fit(state.points, state.beta, after=after), ""
    except ValueError as err:  # ProgramFailedError included: the solver could not finish
        return None, f"No fit for these points: {err}"
    except ServerBusyError:
        if not may_wait():
            raise
        return None, BUSY_TEXT


@lru_cache(maxsize=64)
def _beta_max(points: PlanePoints) -> float:
    xy = np.array(points, dtype=float).reshape(-1, 3)
    r0 = xy[:, 2] - xy[:, 2].mean()
    if not np.any(r0):
        return 0.0
    return float(worst_line(xy[:, :2], r0).magnitude)


def plane_beta_max(points: Sequence[Sequence[float]]) -> float:
    """``beta_max = max over lines |r0 . relu(w . x + b)|`` with ``r0 = y - mean(y)``.

    From ``beta_max`` on the optimal network is the constant ``mean(y)`` (THEORY_2D §4: at
    ``r = r0``, ``M(r0) <= beta`` certifies it); ``0`` when every target is the same.
    Computed exactly by the worst line (``O(N^2 log N)``), memoized per point set.
    """
    return _beta_max(tuple(tuple(float(v) for v in p) for p in points))
