"""One process-wide memo of fits, shared by the page and the canvas's preview requests.

A click reaches the server twice: as a preview request from the canvas (it wants the curve
at once) and as the canvas's snapshot through Streamlit (it updates the session, the URL and
the panels). Both ask for the same fit. :class:`FitMemo` computes it once: the first caller
computes, a concurrent caller with the same key waits for that result ("single flight"),
later callers get it from a small LRU table, bounded both in entries and in bytes (a dragged
point asks for a new fit many times a second, and one deep fit holds up to ~6 MB of arrays).

Results are shared between callers and sessions, so they are treated as read-only values
(``FitResult`` is a frozen dataclass; nothing in the package writes into its arrays). The
keys are the data themselves (points, architecture, beta), nothing user-specific beyond
what the URL shows.

>>> memo = FitMemo(max_entries=2)
>>> from convexviz import Architecture
>>> pts = ((0.0, 0.0), (1.0, 1.0), (2.0, 0.0))
>>> a = memo.fit(pts, Architecture("relu", 2), 0.01)
>>> memo.fit(pts, Architecture("relu", 2), 0.01) is a
True
>>> {k: v for k, v in memo.stats().items() if k != "bytes"}
{'computed': 1, 'hits': 1, 'waited': 0, 'entries': 1}
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

import numpy as np

from ..architecture import Architecture
from ..fit import FitResult, fit
from .state import AppState
from .wording import BUSY_TEXT, fit_problem
from .workers import POOL, ServerBusyError, may_wait, pooled

Points = Sequence[tuple[float, float]]
Key = tuple[tuple[tuple[float, float], ...], Architecture, float]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _compute(points: Points, architecture: Architecture, beta: float) -> FitResult:
    xy = np.array(points, dtype=float).reshape(-1, 2)
    return fit(xy[:, 0], xy[:, 1], architecture, beta)


class SingleFlightMemo(Generic[K, V]):
    """Thread-safe LRU memo of any computation, with single-flight computation.

    The first caller of :meth:`get` for a key computes; a concurrent caller with the same
    key waits for that result; later callers get it from the table. :class:`FitMemo` (the
    1-D fits) and :class:`convexviz.ui.plane_memo.PlaneMemo` (the plane's) are this memo
    with their own keys.

    Parameters
    ----------
    max_entries : int
        Finished results kept (least recently used dropped first).
    max_bytes : int
        Budget for the numpy arrays of the kept results (:func:`array_bytes`); the least
        recently used are dropped until the rest fits (the newest is always kept).

    Notes
    -----
    A ``ValueError`` from the computation is remembered like a result and raised again for
    the same key: the message is a property of the inputs. One marked ``transient`` (a
    deadline, which depends on how busy the machine was) and any other exception are raised
    to the caller that computed and to the callers waiting for it, and are not remembered.
    """

    def __init__(self, max_entries: int = 256, max_bytes: int = 256 * 2**20) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self._max = max_entries
        self._max_bytes = max_bytes
        self._sizes: dict[K, int] = {}
        self._lock = threading.Lock()
        self._done: OrderedDict[K, V | ValueError] = OrderedDict()
        self._running: dict[K, Future] = {}
        self._counts = {"computed": 0, "hits": 0, "waited": 0}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value of ``key``: remembered, awaited, or ``compute()`` (by this caller).

        Raises
        ------
        ValueError
            What ``compute`` raised for this key (now or earlier).
        """
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                self._counts["hits"] += 1
                return _unwrap(self._done[key])
            running = self._running.get(key)
            if running is None:
                running = self._running[key] = Future()
                owner = True
            else:
                self._counts["waited"] += 1
                owner = False
        if not owner:
            return _unwrap(running.result())
        try:
            outcome: V | ValueError = compute()
        except ValueError as error:
            if getattr(error, "transient", False):  # e.g. a deadline: try again next time
                with self._lock:
                    del self._running[key]
                running.set_exception(error)
                raise
            outcome = error
        except BaseException as error:
            with self._lock:
                del self._running[key]
            running.set_exception(error)
            raise
        size = array_bytes(outcome)
        with self._lock:
            del self._running[key]
            self._done[key] = outcome
            self._sizes[key] = size
            self._counts["computed"] += 1
            while len(self._done) > 1 and (
                len(self._done) > self._max or sum(self._sizes.values()) > self._max_bytes
            ):
                old, _ = self._done.popitem(last=False)
                del self._sizes[old]
        running.set_result(outcome)
        return _unwrap(outcome)

    def peek(self, key: K) -> V | None:
        """The finished value of ``key`` if it is kept (a failure or none: ``None``)."""
        with self._lock:
            value = self._done.get(key)
        return None if isinstance(value, ValueError) else value

    def stats(self) -> dict[str, int]:
        """Counts of computed values, cache hits, waits on a running computation; entries and
        bytes kept."""
        with self._lock:
            return {**self._counts, "entries": len(self._done), "bytes": sum(self._sizes.values())}

    def clear(self) -> None:
        """Forget every finished result (running computations finish normally)."""
        with self._lock:
            self._done.clear()
            self._sizes.clear()


class FitMemo(SingleFlightMemo[Key, FitResult]):
    """:class:`SingleFlightMemo` of :func:`convexviz.fit`, keyed by points, architecture, beta.

    Parameters
    ----------
    max_entries, max_bytes : as :class:`SingleFlightMemo`.
    compute : callable, optional
        ``compute(points, architecture, beta) -> FitResult``; the default builds the
        arrays and calls :func:`convexviz.fit`. Tests pass a slow or failing stand-in.

    Notes
    -----
    A ``ValueError`` from the fit (too many points, a dictionary too large, a solver
    failure) is remembered like a result and raised again for the same key.
    """

    def __init__(
        self,
        max_entries: int = 256,
        max_bytes: int = 256 * 2**20,
        compute: Callable[[Points, Architecture, float], FitResult] = _compute,
    ) -> None:
        super().__init__(max_entries, max_bytes)
        self._compute = compute

    def fit(self, points: Points, architecture: Architecture, beta: float) -> FitResult:
        """The fit of ``points`` (pairs ``(x, y)``) with ``architecture`` and ``beta``.

        Raises
        ------
        ValueError
            As :func:`convexviz.fit` does for these inputs.
        """
        key: Key = (tuple((float(x), float(y)) for x, y in points), architecture, float(beta))
        return self.get(key, lambda: self._compute(key[0], architecture, beta))


def array_bytes(value: object, _seen: set[int] | None = None) -> int:
    """Bytes of the numpy arrays reachable from ``value`` (dataclasses, containers, objects).

    Each array is counted once; this is what a fit result costs in memory, within a few
    percent (its pickle is as large).

    >>> array_bytes({"a": np.zeros(10), "b": [np.zeros(5), 3]})
    120
    """
    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return value.nbytes
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, list | tuple | set | frozenset):
        children = list(value)
    elif isinstance(value, dict):
        children = list(value.values())
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        children = list(vars(value).values())
    else:
        return 0
    return sum(array_bytes(child, seen) for child in children)


def _unwrap(outcome: V | ValueError) -> V:
    if isinstance(outcome, ValueError):
        raise ValueError(str(outcome))
    return outcome


#: The memo used by the app and by the preview route (one per server process).
SHARED = FitMemo(compute=pooled(_compute, POOL))


def fit_state(state: AppState, memo: FitMemo = SHARED) -> tuple[FitResult | None, str]:
    """The fit of an app state, or ``None`` and a sentence saying why there is none.

    Raises
    ------
    ServerBusyError
        Only for a caller that must not wait (the preview route, which answers ``503``); a
        page's run that found no room in the fit pool gets :data:`wording.BUSY_TEXT`.
    """
    if problem := fit_problem(state):
        return None, problem
    arch = Architecture(state.activation, state.depth, state.leak, state.branching)
    try:
        return memo.fit(state.points, arch, state.beta), ""
    except ValueError as err:
        return None, f"No fit: {err}"
    except ServerBusyError:
        if not may_wait():
            raise
        return None, BUSY_TEXT
