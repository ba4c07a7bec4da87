"""Fair shares of the preview route: no client can crowd out the others.

A dragged point asks for a preview many times a second; a script could ask far more often.
:class:`ClientLimits` gives every client (the page of one student, named by the random
``client`` token its canvas sends, never by network address: a lecture hall reaches the server
through one NAT address) at most ``in_flight`` requests being answered at a time and a token
bucket of ``burst`` requests refilled at ``rate`` per second. A request beyond either is
refused at once (the route answers ``429`` with ``Retry-After``; the canvas keeps the edit and
asks again with the points it then shows). Requests without a token share one bucket.

Pure bookkeeping with an injectable clock; thread-safe; bounded in memory (idle clients are
forgotten, at most ``max_clients`` kept).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

#: The key of requests that carry no client token.
ANONYMOUS = ""


@dataclass
class _Client:
    tokens: float
    stamp: float
    in_flight: int = 0


@dataclass(frozen=True)
class Decision:
    """``allowed``, or the seconds to wait before asking again (``retry_after_s``)."""

    allowed: bool
    retry_after_s: float = 0.0


class ClientLimits:
    """Per-client concurrency and rate limits (see the module's docstring).

    Parameters
    ----------
    rate : float
        Requests per second a client may keep up.
    burst : int
        Requests a client may send at once after a pause.
    in_flight : int
        Requests of one client answered at the same time.
    max_clients : int
        Clients remembered; the least recently seen are forgotten first.
    clock : callable
        Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        rate: float = 10.0,
        burst: int = 10,
        in_flight: int = 1,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self.in_flight = rate, burst, in_flight
        self.max_clients, self.clock = max_clients, clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, client: str) -> Decision:
        """Admit one request of ``client`` (then call :meth:`release` when it is answered)."""
        now = self.clock()
        with self._lock:
            state = self._client(client, now)
            state.tokens = min(self.burst, state.tokens + (now - state.stamp) * self.rate)
            state.stamp = now
            if state.in_flight >= self.in_flight:
                return Decision(False, 1.0 / self.rate)
            if state.tokens < 1.0:
                return Decision(False, (1.0 - state.tokens) / self.rate)
            state.tokens -= 1.0
            state.in_flight += 1
            return Decision(True)

    def release(self, client: str) -> None:
        """The request of ``client`` admitted by :meth:`acquire` is answered."""
        with self._lock:
            state = self._clients.get(client)
            if state is not None and state.in_flight > 0:
                state.in_flight -= 1

    def _client(self, client: str, now: float) -> _Client:
        state = self._clients.get(client)
        if state is None:
            state = self._clients[client] = _Client(tokens=float(self.burst), stamp=now)
            while len(self._clients) > self.max_clients:
                self._forget_one()
        self._clients.move_to_end(client)
        return state

    def _forget_one(self) -> None:
        """Drop the least recently seen client that has nothing in flight."""
        for key, state in self._clients.items():
            if state.in_flight == 0:
                del self._clients[key]
                return
        self._clients.popitem(last=False)

    def __len__(self) -> int:
        return len(self._clients)


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` in whole seconds (HTTP allows no fractions), at least 1.

    >>> retry_after_header(0.05), retry_after_header(2.2)
    ('1', '3')
    """
    return str(max(1, math.ceil(seconds)))
