"""The fit pool: results as computed in place, bounded in flight, dead workers replaced."""

from __future__ import annotations

import os
import time
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.plane import fit_plane
from convexviz.ui.workers import FitPool, ServerBusyError, default_workers


def sleep_then(value, seconds):
    time.sleep(seconds)
    return value


def die():
    os._exit(3)


@pytest.fixture(scope="module")
def pool():
    p = FitPool(workers=2, queue=1)
    yield p
    p.shutdown()


def test_a_fit_in_a_worker_is_the_fit_made_here(pool):
    x = np.array([0.0, 1, 2, 3, 5])
    y = np.array([0.0, 1, 0, 2, 1])
    here = fit(x, y, Architecture("relu", 3), 1e-3)
    there = pool.run(fit, x, y, Architecture("relu", 3), 1e-3)
    assert there.lasso.objective == here.lasso.objective
    np.testing.assert_array_equal(there.lasso.z, here.lasso.z)
    xy = np.array([[0.0, 0], [1, 0], [0, 1], [1, 1]])
    t = np.array([1.0, -1, -1, 1])
    assert pool.run(fit_plane, xy, t, 0.05).objective == fit_plane(xy, t, 0.05).objective


def test_errors_of_the_fit_reach_the_caller(pool):
    with pytest.raises(ValueError, match="too many points|at most|points"):
        pool.run(fit, np.arange(1000.0), np.zeros(1000), Architecture("relu", 2), 1e-3)


def test_beyond_workers_plus_queue_a_call_is_refused_at_once(pool):
    slow = [pool.submit(sleep_then, k, 1.5) for k in range(pool.capacity)]
    start = time.perf_counter()
    with pytest.raises(ServerBusyError) as refused:
        pool.submit(sleep_then, 99, 0)
    assert time.perf_counter() - start < 0.1 and refused.value.retry_after_s > 0
    assert pool.stats().in_flight == pool.capacity
    assert [f.result() for f in slow] == list(range(pool.capacity))
    assert pool.run(sleep_then, 7, 0) == 7  # room again
    stats = pool.stats()
    assert stats.in_flight == 0 and stats.refused >= 1


def test_a_caller_may_wait_for_room_instead(pool):
    slow = [pool.submit(sleep_then, k, 0.5) for k in range(pool.capacity)]
    start = time.perf_counter()
    assert pool.run(sleep_then, "queued", 0, wait_s=10) == "queued"
    assert 0.3 < time.perf_counter() - start < 5
    assert [f.result() for f in slow] == list(range(pool.capacity))


def test_a_dead_worker_fails_its_call_and_the_pool_recovers():
    pool = FitPool(workers=1, queue=0)
    try:
        with pytest.raises(BrokenProcessPool):
            pool.run(die)
        assert pool.run(sleep_then, "alive", 0) == "alive"
        assert pool.stats().in_flight == 0
    finally:
        pool.shutdown()


def test_default_workers_is_the_cores_this_process_may_use():
    assert 1 <= default_workers() <= (os.cpu_count() or 1)


WORKER_PIDS_SCRIPT = """
import os, sys, time
sys.path.insert(0, {root!r})
from convexviz.ui.workers import FitPool
if __name__ == "__main__":
    pool = FitPool(workers=2, queue=0)
    pids = {{pool.submit(os.getpid).result() for _ in range(8)}}
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(120)
"""


def test_workers_end_when_their_server_is_killed(tmp_path):
    """A server killed outright (SIGKILL) leaves no worker behind holding memory."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "server.py"
    script.write_text(WORKER_PIDS_SCRIPT.format(root=str(Path(__file__).resolve().parents[1])))
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in server.stdout.readline().split()]
    assert pids and all(alive(p) for p in pids)
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in pids), pids


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
