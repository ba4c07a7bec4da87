"""Per-client limits of the preview route, against a hand-run clock."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st

from convexviz.ui.fairness import ANONYMOUS, ClientLimits


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_one_request_at_a_time_per_client_others_unaffected():
    limits = ClientLimits(clock=Clock())
    assert limits.acquire("a").allowed
    second = limits.acquire("a")
    assert not second.allowed and second.retry_after_s > 0
    assert limits.acquire("b").allowed  # another student is not slowed by "a"
    limits.release("a")
    assert limits.acquire("a").allowed


def test_a_burst_then_the_steady_rate():
    clock = Clock()
    limits = ClientLimits(rate=10, burst=5, in_flight=100, clock=clock)
    assert all(limits.acquire("a").allowed for _ in range(5))
    refused = limits.acquire("a")
    assert not refused.allowed and abs(refused.retry_after_s - 0.1) < 1e-9
    clock.now += 0.1
    assert limits.acquire("a").allowed and not limits.acquire("a").allowed
    clock.now += 10  # a pause refills the bucket, never beyond the burst
    assert sum(limits.acquire("a").allowed for _ in range(20)) == 5


@given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 0.5)), max_size=200))
def test_no_client_ever_exceeds_burst_plus_rate_times_time(events):
    clock = Clock()
    limits = ClientLimits(rate=4, burst=3, in_flight=10**6, clock=clock)
    admitted = {c: 0 for c in "abc"}
    for client, step in events:
        clock.now += step
        admitted[client] += limits.acquire(client).allowed
    for client in "abc":
        assert admitted[client] <= 3 + 4 * clock.now + 1e-9


def test_memory_is_bounded_and_busy_clients_are_kept():
    limits = ClientLimits(max_clients=3, clock=Clock())
    assert limits.acquire("busy").allowed  # in flight: must not be forgotten
    for k in range(10):
        limits.acquire(f"idle{k}")
        limits.release(f"idle{k}")
    assert len(limits) == 3
    assert not limits.acquire("busy").allowed  # still known, still in flight


def test_requests_without_a_token_share_one_client():
    limits = ClientLimits(clock=Clock())
    assert limits.acquire(ANONYMOUS).allowed
    assert not limits.acquire(ANONYMOUS).allowed


def test_threads_never_admit_more_than_the_in_flight_limit():
    limits = ClientLimits(in_flight=2, burst=1000, rate=1000)
    admitted = []
    barrier = threading.Barrier(16)

    def ask():
        barrier.wait()
        admitted.append(limits.acquire("a").allowed)

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) == 2
