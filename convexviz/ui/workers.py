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

import atexit
import contextlib
import contextvars
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

#: Modules the fork server imports once, so that every worker starts with them loaded.
PRELOAD = ["convexviz.fit", "convexviz.plane", "convexviz.ui.fitmemo", "convexviz.ui.plane_memo"]
#: How long a page's own run waits for room in the pool before it says "busy" (seconds).
PAGE_WAIT_S = 10.0
#: Environment variable: the number of worker processes; ``0`` fits in the server process.
WORKERS_ENV = "CONVEXVIZ_FIT_WORKERS"

#: How long the current caller waits for room (the preview route sets 0 with :func:`waiting`).
_WAIT_S: contextvars.ContextVar[float] = contextvars.ContextVar("fit_wait_s", default=PAGE_WAIT_S)


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


#: How often a worker looks whether the server that started it is still there (seconds).
PARENT_POLL_S = 1.0


def exit_with(server_pid: int, poll_s: float = PARENT_POLL_S) -> None:
    """Worker initializer: end this worker when the server process ``server_pid`` is gone.

    A server killed outright (SIGKILL, out of memory, a replica taken down) cannot stop its
    pool; its workers would wait for work forever, holding their memory (and, through them,
    the fork server). A daemon thread checks every ``poll_s`` seconds.
    """

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # alive, someone else's (a reused pid): keep going
                pass

    threading.Thread(target=watch, name="exit-with-server", daemon=True).start()


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
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=context,
                    initializer=exit_with,
                    initargs=(os.getpid(), PARENT_POLL_S),
                )
                atexit.register(self.shutdown)  # stop the workers before the interpreter
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


@contextlib.contextmanager
def waiting(seconds: float) -> Iterator[None]:
    """Within this block, pooled computations wait at most ``seconds`` for room (the preview
    route: 0, refused at once; a page's run: :data:`PAGE_WAIT_S`)."""
    token = _WAIT_S.set(seconds)
    try:
        yield
    finally:
        _WAIT_S.reset(token)


def may_wait() -> bool:
    """True when the current caller waits for room (a page's run), False when it must be
    refused at once (the preview route, inside ``waiting(0)``)."""
    return _WAIT_S.get() > 0


def pooled(fn: Callable[..., Any], pool: FitPool | None) -> Callable[..., Any]:
    """``fn`` run in ``pool`` (waiting as :func:`waiting` says), or in place if ``pool`` is
    None. ``fn`` must be a module-level function (it travels by pickle)."""
    if pool is None:
        return fn

    def in_pool(*args: Any) -> Any:
        return pool.run(fn, *args, wait_s=_WAIT_S.get())

    in_pool.__name__ = f"pooled_{fn.__name__}"
    in_pool.__doc__ = f"``{fn.__name__}`` in a worker process of the fit pool."
    return in_pool


def pool_from_environment() -> FitPool | None:
    """The server's pool: :data:`WORKERS_ENV` workers (default one per core), or None (fits
    in the server process) when it is ``0``."""
    text = os.environ.get(WORKERS_ENV, "").strip()
    if not text:
        return FitPool()
    try:
        workers = int(text)
    except ValueError:
        raise ValueError(f"{WORKERS_ENV} must be a whole number, got {text!r}") from None
    if workers < 0:
        raise ValueError(f"{WORKERS_ENV} must be 0 or more, got {workers}")
    return FitPool(workers) if workers else None


#: The server's pool of fit processes (started on the first fit; see pool_from_environment).
POOL = pool_from_environment()
