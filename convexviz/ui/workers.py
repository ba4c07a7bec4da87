"""A bounded pool of worker *processes* for the fits, with back-pressure instead of a long queue.

Streamlit runs every session's script and the preview route in one Python process: threads
share one interpreter lock, so on a 2-core machine two students' fits take turns on one core,
and a long fit stalls everyone's page (the websocket replies are Python too). :class:`FitPool`
runs the fits in ``workers`` separate processes instead, and lets at most ``workers + queue``
of them be in flight: one more is refused at once with :class:`ServerBusyError` (the preview route
answers ``503`` with ``Retry-After``; the canvas keeps the edit and asks again), so the wait of
an accepted fit stays bounded and memory with it.

The processes start from a ``forkserver`` that has imported the math once (a fork of the
threaded Streamlit server itself would copy its locks mid-use), so a new worker is ready in
milliseconds, not after the seconds of a fresh import.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

#: Modules the fork server imports once, so that every worker starts with them loaded.
PRELOAD = ["convexviz.fit", "convexviz.plane"]


class ServerBusyError(RuntimeError):
    """Every worker is busy and the queue is full: ask again after ``retry_after_s``."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"the server is busy; try again in {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class PoolStats:
    """In flight (running or queued), the bound, refused so far, finished so far."""

    in_flight: int
    capacity: int
    refused: int
    finished: int


def default_workers() -> int:
    """One worker per core this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class FitPool:
    """``workers`` processes, at most ``workers + queue`` calls in flight.

    Parameters
    ----------
    workers : int
        Worker processes (default: :func:`default_workers`).
    queue : int
        Calls that may wait for a free worker; beyond, :meth:`submit` raises
        :class:`ServerBusyError` at once.
    retry_after_s : float
        What a refused caller is told to wait.
    start_method : str
        ``"forkserver"`` (default, see the module's docstring) or ``"spawn"``.
    """

    def __init__(
        self,
        workers: int | None = None,
        queue: int = 4,
        retry_after_s: float = 1.0,
        start_method: str = "forkserver",
    ) -> None:
        self.workers = workers or default_workers()
        self.capacity = self.workers + queue
        self.retry_after_s = retry_after_s
        self._start_method = start_method
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # notified whenever a call finishes
        self._executor: ProcessPoolExecutor | None = None
        self._in_flight = self._refused = self._finished = 0

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context(self._start_method)
                if self._start_method == "forkserver":
                    context.set_forkserver_preload(PRELOAD)
                self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
            return self._executor

    def submit(self, fn: Callable[..., Any], *args: Any, wait_s: float = 0.0) -> Future:
        """Run ``fn(*args)`` in a worker; :class:`ServerBusyError` when the pool is full.

        ``wait_s`` : how long to wait for room (a page's own run may queue a little; the
        preview route asks with 0 and is refused at once). ``fn`` and its arguments and
        result travel by pickle (module-level functions, plain data). A pool whose worker
        died (killed, out of memory) is replaced for later calls.
        """
        with self._room:
            if not self._room.wait_for(lambda: self._in_flight < self.capacity, wait_s):
                self._refused += 1
                raise ServerBusyError(self.retry_after_s)
            self._in_flight += 1
        try:
            future = self._submit_once(fn, args)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _submit_once(self, fn: Callable[..., Any], args: tuple) -> Future:
        """Submit, replacing a pool broken by a dead worker once."""
        try:
            return self._pool().submit(fn, *args)
        except BrokenProcessPool:
            self._replace_broken()
            return self._pool().submit(fn, *args)

    def run(
        self, fn: Callable[..., Any], *args: Any, wait_s: float = 0.0, timeout: float | None = None
    ) -> Any:
        """:meth:`submit` and wait for the result (its exception is raised here)."""
        future = self.submit(fn, *args, wait_s=wait_s)
        try:
            return future.result(timeout)
        except BrokenProcessPool:
            self._replace_broken()
            raise

    def _done(self, _future: Future | None) -> None:
        with self._room:
            self._in_flight -= 1
            self._finished += _future is not None
            self._room.notify()

    def _replace_broken(self) -> None:
        with self._lock:
            broken, self._executor = self._executor, None
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)

    def stats(self) -> PoolStats:
        with self._lock:
            return PoolStats(self._in_flight, self.capacity, self._refused, self._finished)

    def shutdown(self) -> None:
        """Stop the workers (tests; the server's pool lives as long as the server)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
