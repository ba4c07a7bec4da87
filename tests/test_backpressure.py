"""Back-pressure of the JSON routes and the page: 429 per page, 503 when the pool is full."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from starlette.requests import Request

from convexviz.ui import fitmemo, workers
from convexviz.ui.fairness import ClientLimits
from convexviz.ui.fitmemo import FitMemo, fit_state
from convexviz.ui.preview import json_endpoint
from convexviz.ui.state import DEFAULT_STATE
from convexviz.ui.wording import BUSY_TEXT
from convexviz.ui.workers import ServerBusyError, waiting


def call(endpoint, body: dict) -> tuple[int, dict, dict]:
    """Run ``endpoint`` on a JSON POST, on its own thread and loop: status, headers, body."""
    raw = json.dumps(body).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/x",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(raw))],
        "query_string": b"",
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message):
        sent.append(message)

    async def main():
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)

    box = []
    thread = threading.Thread(target=lambda: box.append(asyncio.run(main())))
    thread.start()
    thread.join()
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, json.loads(sent[1]["body"])


def test_a_full_pool_answers_503_at_once_with_retry_after():
    seen_wait = []

    def answer(request):
        seen_wait.append(workers.may_wait())
        raise ServerBusyError(2.5)

    status, headers, body = call(json_endpoint(answer, ClientLimits()), {"client": "a"})
    assert status == 503 and headers["retry-after"] == "3"
    assert body["busy"] is True and body["retry_ms"] == 2500
    assert seen_wait == [False]  # the route's fits never queue


def test_one_page_beyond_its_share_gets_429_others_are_served():
    release = threading.Event()
    started = threading.Event()

    def answer(request):
        if request.get("slow"):
            started.set()
            release.wait(10)
        return 200, {"ok": request["client"]}

    endpoint = json_endpoint(answer, ClientLimits(in_flight=1))
    first = []
    slow = threading.Thread(
        target=lambda: first.append(call(endpoint, {"client": "a", "slow": 1}))
    )
    slow.start()
    assert started.wait(10)
    status, headers, body = call(endpoint, {"client": "a"})  # same page, one already running
    assert status == 429 and int(headers["retry-after"]) >= 1 and body["busy"] is True
    assert call(endpoint, {"client": "b"})[0] == 200  # another page is not held up
    release.set()
    slow.join()
    assert first[0][0] == 200
    assert call(endpoint, {"client": "a"})[0] == 200  # its share is back


def busy_memo() -> FitMemo:
    def compute(points, architecture, beta):
        raise ServerBusyError(1.0)

    return FitMemo(compute=compute)


def test_a_page_run_that_finds_no_room_says_busy_and_keeps_the_points():
    result, problem = fit_state(DEFAULT_STATE, busy_memo())
    assert result is None and problem == BUSY_TEXT


def test_the_route_gets_the_busy_error_to_answer_503():
    with waiting(0), pytest.raises(ServerBusyError):
        fit_state(DEFAULT_STATE, busy_memo())


def test_the_shared_memo_fits_in_the_worker_pool_unless_switched_off(monkeypatch):
    expected = "pooled__compute" if workers.POOL is not None else "_compute"
    assert fitmemo.SHARED._compute.__name__ == expected
    monkeypatch.setenv(workers.WORKERS_ENV, "0")
    assert workers.pool_from_environment() is None
    monkeypatch.setenv(workers.WORKERS_ENV, "3")
    assert workers.pool_from_environment().workers == 3
    for bad in ("-1", "two"):
        monkeypatch.setenv(workers.WORKERS_ENV, bad)
        with pytest.raises(ValueError, match=workers.WORKERS_ENV):
            workers.pool_from_environment()
