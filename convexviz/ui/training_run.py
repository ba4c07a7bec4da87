"""Background Adam runs for the app's gradient-descent panels, one per owner at most.

Training takes seconds; a Streamlit page must not wait for it. :class:`RunManager` starts
each batch of runs in a daemon thread that keeps only the latest snapshot (an
:class:`~convexviz.training.AdamSnapshot`); the panel polls it. A run is described by a
:class:`Request`: :class:`RunRequest` for the 1-D page (:func:`convexviz.training.train_live`),
``PlaneRunRequest`` (``convexviz.ui.plane_training_panel``) for the plane. An owner (one
session's panel on one page) has at most one active run (starting another cancels the old
one), and the whole server, both pages together, at most ``max_active`` at once: beyond that
:meth:`RunManager.start` raises :class:`BusyError` ("busy, try again"), so a class of 60
students on one machine cannot start 60 runs.

Pure Python and threading; no Streamlit (tests/test_training_run.py).

>>> manager = RunManager(max_active=1)
>>> request = RunRequest(points=((0.0, 0.0), (1.0, 1.0), (2.0, 0.0)), activation="relu",
...                      depth=2, beta=0.1, width=4, steps=200, seeds=(0, 1))
>>> run = manager.start("session-1", request)
>>> run.join(30)
True
>>> run.status, run.latest().step
('done', 200)
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..limits import DEFAULT_LEAK
from ..training import (
    DEFAULT_CHUNK,
    DEFAULT_LR,
    MAX_WORK,
    AdamSnapshot,
    TrainingSetup,
    train_live,
)

Points = tuple[tuple[float, float], ...]

#: Runs allowed at once on one server (each keeps a core busy for a few seconds).
DEFAULT_MAX_ACTIVE = 3
#: Pause after every snapshot: lets the server's other threads (a click's preview, page
#: runs) take the interpreter between two chunks of steps.
YIELD_S = 0.002

RUNNING, DONE, STOPPED, CANCELLED, FAILED = "running", "done", "stopped", "cancelled", "failed"


class BusyError(RuntimeError):
    """Too many runs on this server right now; the message says to try again."""


#: ``trainer(*data, setup, chunk=...)`` yielding snapshots (the 1-D one also takes ``grid``).
Trainer = Callable[..., Iterator[AdamSnapshot]]


class Request(Protocol):
    """What :class:`RunManager` needs of a run's description (a frozen dataclass)."""

    def check(self) -> None:
        """Raise ``ValueError`` (one line) if it cannot be trained; runs in the caller."""

    def snapshots(self, trainer: Trainer | None) -> Iterator[AdamSnapshot]:
        """The training's snapshots, from ``trainer`` (a test's stand-in) or, if ``None``,
        the request's own trainer."""


@dataclass(frozen=True)
class RunRequest:
    """What to train: the data, the network (the fit's settings) and Adam's settings.

    ``inputs`` (points, activation, depth, beta, leak) is what the panel compares with
    the current app state on every poll: any difference means the run is stale.
    ``grid``: where every snapshot evaluates the networks (the canvas's x values).
    """

    points: Points
    activation: str
    depth: int
    beta: float
    width: int
    steps: int
    seeds: tuple[int, ...]
    leak: float = DEFAULT_LEAK
    lr: float = DEFAULT_LR
    grid: tuple[float, ...] = ()
    chunk: int = DEFAULT_CHUNK

    @property
    def inputs(self) -> tuple:
        return (self.points, self.activation, self.depth, self.beta, self.leak)

    def setup(self) -> TrainingSetup:
        """The trainer's settings (raises ``ValueError`` with a one-line message if bad)."""
        return TrainingSetup(
            activation=self.activation,
            depth=self.depth,
            beta=self.beta,
            width=self.width,
            steps=self.steps,
            lr=self.lr,
            seeds=self.seeds,
            leak=self.leak,
        )

    def check(self) -> None:
        """Bad settings, no points or too much work: ``ValueError`` with one line."""
        check_work(self.setup().work, len(self.points), "units")

    def snapshots(self, trainer: Trainer | None) -> Iterator[AdamSnapshot]:
        """``trainer(x, y, setup, chunk=..., grid=...)``, by default
        :func:`convexviz.training.train_live`."""
        xy = np.asarray(self.points, dtype=float).reshape(-1, 2)
        grid = np.asarray(self.grid, dtype=float) if self.grid else None
        train = train_live if trainer is None else trainer
        return train(xy[:, 0], xy[:, 1], self.setup(), chunk=self.chunk, grid=grid)


@dataclass(eq=False)
class TrainingRun:
    """One batch of runs in a background thread. Read it with :meth:`latest`, :attr:`status`.

    ``status``: ``running``, then ``done`` (every step taken), ``stopped`` (the student
    pressed Stop), ``cancelled`` (the inputs changed; ``reason`` says how) or ``failed``
    (``error`` holds the message).
    """

    request: Request
    status: str = RUNNING
    error: str = ""
    reason: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _latest: AdamSnapshot | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _wanted: str = STOPPED

    @property
    def active(self) -> bool:
        return self.status == RUNNING

    def latest(self) -> AdamSnapshot | None:
        """The newest snapshot (``None`` before the first)."""
        with self._lock:
            return self._latest

    def stop(self) -> None:
        """Ask the run to end after its current chunk; it keeps what it reached."""
        self._end(STOPPED, "")

    def cancel(self, reason: str) -> None:
        """Like :meth:`stop`, for a run whose inputs changed (``reason`` in words)."""
        self._end(CANCELLED, reason)

    def _end(self, status: str, reason: str) -> None:
        with self._lock:
            if self.status != RUNNING or self._stop.is_set():
                return
            self._wanted, self.reason = status, reason
            self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; ``True`` once it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.active

    def _run(self, trainer: Trainer | None, on_exit: Callable[[TrainingRun], None]) -> None:
        status, error = DONE, ""
        try:
            for snapshot in self.request.snapshots(trainer):
                with self._lock:
                    self._latest = snapshot
                if self._stop.is_set() and not snapshot.done:
                    status = self._wanted
                    break
                time.sleep(YIELD_S)
        except Exception as err:  # noqa: BLE001 - shown to the student, never lost
            status = FAILED
            error = str(err) if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"
        finally:
            with self._lock:
                self.status, self.error = status, error
                self.finished = time.monotonic()
            on_exit(self)


#: Owners whose latest run the manager remembers (a finished run holds a few curves).
MAX_REMEMBERED = 500


class RunManager:
    """Starts runs in background threads: one per owner (session), ``max_active`` in all.

    Parameters
    ----------
    max_active : int
        Runs allowed at once on the server.
    trainer : callable, optional
        Used for every request instead of the request's own trainer (see
        :meth:`Request.snapshots`): tests pass slow or failing stand-ins.
    """

    def __init__(self, max_active: int = DEFAULT_MAX_ACTIVE, trainer: Trainer | None = None):
        if max_active < 1:
            raise ValueError(f"max_active must be at least 1, got {max_active}")
        self.max_active = max_active
        self._trainer = trainer
        self._lock = threading.Lock()
        self._active: dict[str, TrainingRun] = {}
        # Each owner's latest run, finished or not, so that a session keeps only its owner
        # id (session state must pickle); the oldest owners are forgotten first.
        self._latest: OrderedDict[str, TrainingRun] = OrderedDict()

    def start(self, owner: str, request: Request) -> TrainingRun:
        """Start ``request`` for ``owner``, cancelling the owner's active run first.

        Raises
        ------
        ValueError
            Bad settings (the trainer's one-line message), before any thread starts.
        BusyError
            ``max_active`` runs of other owners are active.
        """
        request.check()  # bad settings fail here, in the caller's thread
        with self._lock:
            old = self._active.get(owner)
            if old is not None:
                old.cancel("a new run was started")
            others = sum(1 for o, run in self._active.items() if o != owner)
            if others >= self.max_active:
                raise BusyError(
                    f"The server is busy: {others} training runs are going on; "
                    "try again in a few seconds."
                )
            run = TrainingRun(request)
            self._active[owner] = run
            self._latest[owner] = run
            self._latest.move_to_end(owner)
            while len(self._latest) > MAX_REMEMBERED:
                self._latest.popitem(last=False)
        thread = threading.Thread(
            target=run._run,
            args=(self._trainer, lambda r: self._release(owner, r)),
            name=f"convexviz-train-{owner[:8]}",
            daemon=True,
        )
        run._thread = thread
        thread.start()
        return run

    def _release(self, owner: str, run: TrainingRun) -> None:
        with self._lock:
            if self._active.get(owner) is run:
                del self._active[owner]

    def latest(self, owner: str) -> TrainingRun | None:
        """The owner's latest run (active or ended), or ``None`` if there is none (or it was
        forgotten: at most ``MAX_REMEMBERED`` owners are remembered)."""
        with self._lock:
            return self._latest.get(owner)

    def active_count(self) -> int:
        """Runs still training (a cancelled run counts until its thread notices)."""
        with self._lock:
            return len(self._active)

    def stop(self, owner: str) -> None:
        """Stop the owner's active run, if any."""
        with self._lock:
            run = self._active.get(owner)
        if run is not None:
            run.stop()


#: The manager of the app (one per server process).
SHARED = RunManager()


def check_work(work: Callable[[int], float], n_points: int, units: str) -> None:
    """Refuse a run on no points or of more than :data:`MAX_WORK` (``work(n)``, the
    trainer's own estimate) with a one-line ``ValueError``; ``units`` is what the student
    should use fewer of ("units", "neurons")."""
    if n_points < 1:
        raise ValueError("training needs at least one point")
    if (amount := work(n_points)) > MAX_WORK:
        raise ValueError(
            f"too much training for one run ({amount:.2g} > {MAX_WORK:.0e} units of work): "
            f"use fewer {units}, starts or points"
        )
