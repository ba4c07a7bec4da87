"""The load benchmark (``benchmarks/load.py``): its clients against a fake server, and a
short smoke run against the real app (not timed: only the counts are checked).

The fake server is a few lines of asyncio that answer each request with a canned HTTP
response, so the benchmark's own HTTP client, its busy retries and the heavy client's
search for the largest accepted fit are checked against answers written here by hand.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.streamlit_server import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import load  # noqa: E402

PARAMS = {"act": "relu", "depth": "2", "beta": "0.001"}


def run_async(coroutine: Coroutine):
    """``asyncio.run`` in a thread of its own: Playwright's sync API (the browser tests'
    session fixtures) may keep an event loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def fit_reply(request: dict) -> dict:
    """A preview answer with a fit of exactly the requested points."""
    curves = {"x": [0.0, 1.0], "fit": [0.0, 1.0], "features": []}  # as the real payload
    return {"points": request["points"], "curves": curves, "ranges": request["ranges"]}


async def serve(handler: Callable[[dict], bytes]) -> tuple[asyncio.Server, str]:
    """A loopback HTTP server answering every POST body (JSON) with ``handler(body)``."""

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = 0
            for line in head.decode().split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":")[1])
            body = await reader.readexactly(length)
            writer.write(handler(json.loads(body) if body else {}))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def response(status: int, body: bytes, *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status} X", *headers]
    if not any(h.lower().startswith("transfer-encoding") for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(body: bytes, size: int = 7) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def test_preview_answers_read_through_gzip_chunks_and_cookies():
    def handler(request: dict) -> bytes:
        body = chunked(gzip.compress(json.dumps(fit_reply(request)).encode()))
        return response(200, body, "Transfer-Encoding: chunked", "Content-Encoding: gzip",
                        "Set-Cookie: CVZ_REPLICA=r2; Path=/")  # fmt: skip

    async def main():
        server, url = await serve(handler)
        http = load.HttpClient(url)
        points = [[0.0, 1.0], [2.0, 3.5]]
        first = await load.ask_preview(http, "/convexviz/preview", points, PARAMS, {"x": [0, 1]})
        second = await load.ask_preview(http, "/convexviz/preview", points, PARAMS, {"x": [0, 1]})
        http.close()
        server.close()
        return first, second, http.cookies

    first, second, cookies = run_async(main())
    assert first.kind == second.kind == "ok"  # the kept-alive connection served both
    assert first.reply["points"] == [[0.0, 1.0], [2.0, 3.5]]
    assert cookies == {"CVZ_REPLICA": "r2"}


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (response(400, b'{"error": "too expensive"}'), "refused"),
        (response(200, b'{"points": [], "curves": [], "message": "no fit"}'), "refused"),
        # a cost limit: the canvas's axes come back, with no curve and the sentence
        (
            response(
                200, b'{"points": [], "curves": {"x": [0], "fit": []}, "message": "too large"}'
            ),
            "refused",
        ),
        (response(500, b"oops"), "error"),
        (response(200, b"not json"), "error"),
        (response(200, b'{"points": [[9, 9]], "curves": {"fit": [1]}}'), "error"),  # other points
        (response(503, b"", "Retry-After: 1"), "busy"),
        (response(429, b"", "Retry-After: 1"), "busy"),
    ],
)
def test_preview_answers_are_classified(answer, kind):
    async def main():
        server, url = await serve(lambda request: answer)
        got = await load.ask_preview(load.HttpClient(url), "/p", [[0.0, 1.0]], PARAMS, {})
        server.close()
        return got

    assert run_async(main()).kind == kind


def test_busy_answers_are_retried_after_retry_after_and_timed_from_the_edit():
    calls = []

    def handler(request: dict) -> bytes:
        calls.append(time.perf_counter())
        if len(calls) <= 2:
            return response(503, b"", "Retry-After: 0.2")
        return response(200, json.dumps(fit_reply(request)).encode())

    async def main():
        server, url = await serve(handler)
        tally = load.Tally()
        started = time.perf_counter()
        reply = await load.preview_until_answered(
            load.HttpClient(url), "/p", [[1.0, 2.0]], PARAMS, {}, tally, started, started + 30
        )
        server.close()
        return reply, tally

    reply, tally = run_async(main())
    assert reply is not None and len(calls) == 3
    assert calls[1] - calls[0] >= 0.19 and calls[2] - calls[1] >= 0.19
    assert tally.busy_answers == 2 and tally.busy == 0 and tally.n_errors == 0
    assert len(tally.latencies_ms) == 1 and tally.latencies_ms[0] >= 400  # both waits


def test_busy_waits_follow_retry_ms_and_requests_carry_the_pages_client_token():
    calls = []

    def handler(request: dict) -> bytes:
        calls.append((time.perf_counter(), request.get("client")))
        if len(calls) == 1:  # retry_ms (0.3 s) wins over Retry-After (5 s), as in sync.js
            return response(503, b'{"busy": true, "retry_ms": 300}', "Retry-After: 5")
        return response(200, json.dumps(fit_reply(request)).encode())

    async def main():
        server, url = await serve(handler)
        tally = load.Tally()
        now = time.perf_counter()
        http = load.HttpClient(url, "ab" * 16)
        await load.preview_until_answered(
            http, "/p", [[1.0, 2.0]], PARAMS, {}, tally, now, now + 30
        )
        server.close()
        return tally

    tally = run_async(main())
    (t0, first), (t1, second) = calls
    assert first == second == "ab" * 16
    assert 0.29 <= t1 - t0 <= 0.45 + 0.5  # 300 ms times 1 to 1.5, plus slack for a busy machine
    assert tally.busy_answers == 1 and len(tally.latencies_ms) == 1


def test_an_edit_still_busy_when_time_is_up_counts_as_busy():
    async def main():
        server, url = await serve(lambda request: response(503, b"", "Retry-After: 1"))
        tally = load.Tally()
        now = time.perf_counter()
        await load.preview_until_answered(
            load.HttpClient(url), "/p", [[1.0, 2.0]], PARAMS, {}, tally, now, now + 1.9
        )
        server.close()
        return tally

    tally = run_async(main())
    assert (tally.busy, tally.busy_answers, tally.latencies_ms, tally.n_errors) == (1, 2, [], 0)


def test_heavy_client_settles_on_the_largest_accepted_point_count():
    sizes = []

    def handler(request: dict) -> bytes:  # accepts at most 5 points, like a cost limit
        sizes.append(len(request["points"]))
        if len(request["points"]) > 5:
            return response(400, b'{"error": "at most 5 points"}')
        return response(200, json.dumps(fit_reply(request)).encode())

    async def main():
        server, url = await serve(handler)
        now = time.perf_counter()
        clock = load.Clock(now, now + 1.0, now + 2.0)
        results = load.Results(students=0, sessions=0, duration_s=1.0)
        fits = [load.HeavyFit(load.Lesson("relu", 4, 0), 9)]
        await load.heavy_client(url, fits, random.Random(0), clock, results)
        server.close()
        return results

    results = run_async(main())
    assert sizes[:5] == [9, 8, 7, 6, 5] and set(sizes[5:]) == {5}
    assert results.tallies["heavy: relu depth 4, 9 points"].refused == 1
    assert results.tallies["heavy: relu depth 4, 6 points"].refused == 1
    accepted = results.tallies["heavy: relu depth 4, 5 points"]
    assert len(accepted.latencies_ms) == len(sizes) - 4 and accepted.n_errors == 0


def test_moves_keep_a_student_on_its_own_points():
    rng = random.Random(3)
    points = load.random_points(rng, 12)
    moved = load.move_some(rng, points)
    changed = sum(a != b for a, b in zip(points, moved, strict=True))
    assert 1 <= changed <= 3 and len(moved) == 12
    assert all(0 <= x <= 10 and round(x, 3) == x for x, _ in moved)


def test_memory_verdict_flags_growth_late_in_the_run():
    mb = 1024 * 1024
    flat = [(t, 300 * mb) for t in range(40)]
    growing = [(t, (300 + 10 * t) * mb) for t in range(40)]
    assert load.memory_verdict(flat)[1] is True
    assert load.memory_verdict(growing)[1] is False
    assert load.memory_verdict([])[1] is None


def parse_table(text: str) -> dict[str, dict[str, str]]:
    """The report's Markdown table: kind -> column -> cell."""
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == len(header), line
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


@pytest.mark.browser  # a live app server, like the browser tests (no browser needed)
def test_smoke_run_against_the_app(server):
    """Three students (one a real Streamlit session) and a light heavy client for 4 s: every
    kind of request is answered, none fails, and the report's table parses."""
    options = "--students 3 --sessions 1 --duration 4 --grace 20 --heavy relu:3:20".split()
    cmd = [sys.executable, "benchmarks/load.py", "--url", server, *options]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    rows = parse_table(done.stdout)
    kinds = [
        "all students (edit -> fit)",
        "preview student",
        "session: page load",
        "session: edit (run)",
        "session: preview",
        "heavy: relu depth 3, 20 points",
    ]
    for kind in kinds:
        assert kind in rows, done.stdout
        assert int(rows[kind]["ok"]) >= 1, done.stdout
        assert rows[kind]["errors"] == rows[kind]["busy"] == "0", done.stdout
        assert int(rows[kind]["requests"]) == int(rows[kind]["ok"]), done.stdout
        assert float(rows[kind]["p50 ms"]) <= float(rows[kind]["max ms"])
    assert rows["session: page load"]["ok"] == "1"
    assert "server alive and healthy at the end: True" in done.stdout
    assert "no errors: 0 -> met" in done.stdout


def test_doctests_of_the_benchmark():
    import doctest

    assert doctest.testmod(load).failed == 0
