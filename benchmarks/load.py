"""A lecture hall on one server: K students editing once per 2 s, plus one heavy client (issue 10).

Each simulated student has its own data set (random points, a lesson's settings) and, once
every ``--period`` seconds (2 s, each student at its own phase), moves one to three of its
points and waits for the new fit. Two kinds of students:

* **Streamlit sessions** (``--sessions``, 10 by default): what a browser does, over
  Streamlit's websocket (``/_stcore/stream``) with its protobuf messages. A session GETs the
  page of its lesson link (cookies: the balancer's affinity cookie, Streamlit's XSRF cookie),
  opens the websocket, asks for the first script run (``BackMsg.rerun_script`` with the
  link's query string) and waits for ``script_finished`` (the "page load" row: the HTML and
  the first run, not the static files a browser also fetches, which
  ``bench_first_load.py`` measures). Per edit it
  sends what ``canvas.js`` sends: first the preview POST, then, once that answered (or after
  400 ms, ``PREVIEW_WAIT_MS``), the snapshot ``{seq, gen, op, points}`` as the canvas
  component's trigger ``edit``: a fragment rerun (the ``fragment_id`` and element id of key
  ``canvas`` are read from the page's deltas) whose widget state is the component's trigger
  aggregator ``$$STREAMLIT_INTERNAL_KEY_<element id>__events`` with the JSON
  ``[{"event": "edit", "value": snapshot}]`` (the message a real click sends, recorded from
  chromium). The edit's time runs until the ``script_finished`` that follows the canvas
  delta acknowledging it; the edit counts as ok only if that delta's data has
  ``ack == seq``, exactly the sent points, the lesson's settings and a fit (curves). As the
  canvas, a session whose edit was acknowledged and that stays idle for 1.2 s
  (``SETTLED_MS``) then sends the panels' trigger ``refresh`` (the "panels" row: the
  figures below the canvas are rebuilt then). Only the triggers travel in the widget
  states: the other widgets keep their values on the server (checked: the settings in the
  canvas data must stay the lesson's). Unlike a browser, a session claims no cached
  messages, so Streamlit sends every delta in full.
* **Preview students**: the rest; each edit is the canvas's preview request,
  ``POST /convexviz/preview`` with its exact JSON ``{points, params, ranges}``, over a
  kept-alive HTTP/1.1 connection with the browser's headers (JSON body, gzip accepted,
  cookies). Ok means status 200 with a fit of exactly the sent points.

Every request carries the page's random ``client`` token, as the canvas's (the route's
per-page fair share). A busy answer (503 or 429) is what the canvas retries: the student
waits as ``retryWait`` in ``sync.js`` does (the answer's ``retry_ms``, else ``Retry-After``,
times 1 to 1.5 at random, at most 10 s) and asks again; the edit's time includes the
waits, and the busy answers are counted. An edit still busy when the run and its grace
time (``--grace``) are over counts as busy, and so does a session's edit whose run says
the server is busy (``wording.BUSY_TEXT``, no fit); a timeout, another status, a broken
answer or a wrong fit is an error. Edits that fall due while the previous one is in flight
are folded into the next request, timed from the earliest of them (as the canvas does).

**The heavy client** loops, one request at a time, over the most expensive fits the
limits accept (``--heavy``; default abs depth 5, ReLU depth 4, sign depth 5, abs depth 4
and ReLU depth 3, each at its point cap ``convexviz.dictionary.max_points``), with new
random points each time. A refusal (400, or a 200 with a message and no fit: a cost limit)
lowers that fit's point count by one, so the client settles on the largest accepted fit.

Without ``--url`` the app is started with the README's command (``streamlit run app.py``
on a free loopback port, as the browser tests start it), once per student count, and the
RSS of its process tree (workers included) is sampled from ``/proc`` every 0.5 s. With
``--url`` a running server is measured, e.g. the balancer of ``deploy/cluster.sh up 4
8500`` (sessions keep their replica through its cookie); pass ``--pid`` (the replicas'
pids, ``$(cat deploy/.run/replica-*.pid)``) to sample their memory.

Targets (printed with the verdicts; the exit code is 0 either way): 30 students, p95 of
every student edit (preview students: the preview; sessions: the Streamlit run, the slower
path) at most 1 s with no errors; 60 students: no errors, the server alive and healthy at
the end, memory bounded (RSS in the last quarter of the run at most 25 % above its maximum
in the first half). The load generator runs on the same machine and takes CPU from the
server: numbers from a shared machine are indicative only.

    python benchmarks/load.py [--students 30 60] [--sessions 10] [--duration 60] [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import math
import os
import random
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect as ws_connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from convexviz import Architecture  # noqa: E402
from convexviz.dictionary import max_points  # noqa: E402
from convexviz.ui.preview import route_path  # noqa: E402
from convexviz.ui.state import format_points  # noqa: E402
from convexviz.ui.wording import BUSY_TEXT  # noqa: E402
from tests.streamlit_server import free_port, start_streamlit  # noqa: E402

#: A student edits once per this many seconds.
PERIOD_S = 2.0
#: The canvas sends its snapshot once the preview answered, or after this long (sync.js).
PREVIEW_WAIT_S = 0.4
#: An acknowledged edit followed by this long without another one refreshes the panels.
SETTLED_S = 1.2
#: A request (or a Streamlit run) without an answer after this long is an error.
TIMEOUT_S = 60.0
#: The longest wait before asking again after a busy answer (sync.js, ``retryWait``).
MAX_RETRY_WAIT_S = 10.0
#: The axes a student's first request sends (later ones send the ranges of the last answer).
START_RANGES = {"x": [-1.0, 11.0], "y": [-2.0, 4.0]}
#: What a session's edit ends as when the server had no room for its fit.
BUSY = "busy"
#: A Streamlit run that ended normally (a whole page, a fragment).
RUN_DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


@dataclass(frozen=True)
class Lesson:
    """The settings a student works with: activation, depth, point count and beta."""

    activation: str
    depth: int
    n_points: int
    beta: str = "0.001"

    def params(self) -> dict[str, str]:
        """The settings as the URL (and the preview request) writes them."""
        return {"act": self.activation, "depth": str(self.depth), "beta": self.beta}

    def query(self, points: list[list[float]]) -> str:
        """The lesson link's query string for ``points``."""
        pts = format_points(tuple((x, y) for x, y in points))
        return urllib.parse.urlencode({"pts": pts, **self.params()}, safe=":,")


#: The lessons students work on, dealt out in turn (the README's lesson links, own data).
LESSONS = (
    Lesson("relu", 2, 12),
    Lesson("relu", 3, 12),
    Lesson("relu", 4, 8),
    Lesson("abs", 3, 8),
    Lesson("abs", 4, 7),
    Lesson("threshold", 2, 12),
)

#: The heavy client's fits: activation and depth, each at its point cap unless told.
DEFAULT_HEAVY = "abs:5,relu:4,sign:5,abs:4,relu:3"


# ---------------------------------------------------------------- data


def random_points(rng: random.Random, n: int) -> list[list[float]]:
    """``n`` points with distinct ``x`` in [0, 10] and ``y`` near a smooth curve, 3 decimals."""
    xs = sorted(rng.sample(range(10_001), n))
    return [[x / 1000, round(np.sin(x / 1500) + rng.gauss(0, 0.3), 3)] for x in xs]


def move_some(rng: random.Random, points: list[list[float]]) -> list[list[float]]:
    """The points with one to three of them moved a little (a student dragging points)."""
    moved = [list(p) for p in points]
    for i in rng.sample(range(len(points)), min(len(points), rng.randint(1, 3))):
        x = min(10.0, max(0.0, moved[i][0] + rng.gauss(0, 0.4)))
        moved[i] = [round(x, 3), round(moved[i][1] + rng.gauss(0, 0.3), 3)]
    return moved


def client_token(rng: random.Random) -> str:
    """A page's random client token, 32 hex digits as the canvas makes it."""
    return f"{rng.getrandbits(128):032x}"


def same_points(a: object, b: list[list[float]]) -> bool:
    """Whether the server's points ``a`` are exactly the points ``b`` sent, in order."""
    return isinstance(a, list) and [[float(x), float(y)] for x, y in a] == b


# ---------------------------------------------------------------- records


@dataclass
class Tally:
    """What happened to one kind of request: latencies of the ok ones, counts, error reasons."""

    latencies_ms: list[float] = field(default_factory=list)
    busy: int = 0
    busy_answers: int = 0
    folded: int = 0
    refused: int = 0
    errors: Counter = field(default_factory=Counter)

    def ok(self, started: float) -> None:
        self.latencies_ms.append(1000 * (time.perf_counter() - started))

    def error(self, reason: str) -> None:
        self.errors[reason] += 1

    @property
    def n_errors(self) -> int:
        return sum(self.errors.values())

    @property
    def total(self) -> int:
        return len(self.latencies_ms) + self.busy + self.refused + self.n_errors

    def merged(self, other: Tally) -> Tally:
        return Tally(
            self.latencies_ms + other.latencies_ms,
            self.busy + other.busy,
            self.busy_answers + other.busy_answers,
            self.folded + other.folded,
            self.refused + other.refused,
            self.errors + other.errors,
        )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation), None without values."""
    return float(np.percentile(values, q)) if values else None


# ---------------------------------------------------------------- HTTP/1.1 client


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class HttpClient:
    """One browser page's kept-alive HTTP/1.1 connection to the server, with its cookies
    and its canvas's ``client`` token (its fair share of the preview route).

    Just what the benchmark needs on top of asyncio's streams: Content-Length and chunked
    bodies, gzip, ``Set-Cookie`` (the balancer's affinity cookie), one retry on a
    kept-alive connection the server closed meanwhile.
    """

    def __init__(self, base_url: str, client: str = "") -> None:
        self.client = client
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def request(self, method: str, target: str, body: bytes = b"") -> Response:
        for attempt in range(2):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                return await self._exchange(method, target, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if not reused or attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, target: str, body: bytes) -> Response:
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Accept-Encoding: gzip",
            f"Origin: {self.origin}",
            "Connection: keep-alive",
        ]
        if body:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        if self.cookies:
            lines.append(f"Cookie: {self.cookie_header()}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        if not status_line:
            raise ConnectionResetError("connection closed")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                data += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
        elif "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        else:
            data = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        if headers.get("content-encoding", "").lower() == "gzip":
            data = gzip.decompress(data)
        return Response(status, headers, data)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# ---------------------------------------------------------------- the preview route


@dataclass(frozen=True)
class Answer:
    """One preview answer: ``ok`` (a fit of the points), ``busy``, ``refused`` or ``error``."""

    kind: str
    reply: dict | None = None
    retry_after_s: float = 1.0
    reason: str = ""


async def ask_preview(
    http: HttpClient, path: str, points: list[list[float]], params: dict, ranges: dict
) -> Answer:
    """POST the canvas's preview request once and classify the answer.

    A busy answer's wait is the canvas's: its ``retry_ms`` (else ``Retry-After`` seconds)
    times 1 to 1.5 at random, at most :data:`MAX_RETRY_WAIT_S`.
    """
    request = {"points": points, "params": params, "ranges": ranges}
    if http.client:
        request["client"] = http.client
    body = json.dumps(request).encode()
    try:
        response = await asyncio.wait_for(http.request("POST", path, body), TIMEOUT_S)
    except TimeoutError:
        http.close()
        return Answer("error", reason="timeout")
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as err:
        http.close()
        return Answer("error", reason=f"connection: {type(err).__name__}")
    if response.status in (429, 503):
        wait = retry_wait_s(response)
        return Answer("busy", retry_after_s=min(MAX_RETRY_WAIT_S, wait * random.uniform(1, 1.5)))
    if response.status == 400:
        return Answer("refused", reason=response.body[:200].decode(errors="replace"))
    if response.status != 200:
        return Answer("error", reason=f"HTTP {response.status}")
    try:
        reply = json.loads(response.body)
    except ValueError:
        return Answer("error", reason="answer is not JSON")
    if not isinstance(reply, dict):
        return Answer("error", reason="answer is not a JSON object")
    curves = reply.get("curves")
    if reply.get("message") or not isinstance(curves, dict) or not curves.get("fit"):
        # no fit: a limit's sentence (the canvas still gets the data axes, no curve)
        return Answer("refused", reply, reason=str(reply.get("message", ""))[:200])
    if not same_points(reply.get("points"), points):
        return Answer("error", reply, reason="fit of other points")
    return Answer("ok", reply)


def retry_wait_s(response: Response) -> float:
    """Seconds a busy answer asks to wait: ``retry_ms`` of its JSON, else ``Retry-After``."""
    try:
        retry_ms = json.loads(response.body).get("retry_ms")
        if isinstance(retry_ms, int | float) and retry_ms > 0:
            return retry_ms / 1000
    except (ValueError, AttributeError):
        pass
    try:
        return max(0.0, float(response.headers.get("retry-after", "1"))) or 1.0
    except ValueError:
        return 1.0


async def preview_until_answered(
    http: HttpClient, path: str, points: list, params: dict, ranges: dict, tally: Tally,
    started: float, give_up_at: float,
) -> dict | None:  # fmt: skip
    """Ask until a fit (recorded from ``started``), a refusal or an error; retry when busy.

    Returns the reply (for its ranges) or None.
    """
    while True:
        answer = await ask_preview(http, path, points, params, ranges)
        if answer.kind == "ok":
            tally.ok(started)
            return answer.reply
        if answer.kind == "busy":
            tally.busy_answers += 1
            if time.perf_counter() + answer.retry_after_s > give_up_at:
                tally.busy += 1
                return None
            await asyncio.sleep(answer.retry_after_s)
            continue
        if answer.kind == "refused":
            tally.error(f"refused: {answer.reason}")  # students' fits are all accepted
        else:
            tally.error(answer.reason)
        return None


# ---------------------------------------------------------------- a Streamlit session


def context_info(url: str) -> ContextInfo:
    """What chromium reports about itself in every rerun request."""
    return ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US", url=url,
                       is_embedded=False, color_scheme="light")  # fmt: skip


def trigger_id(element_id: str, name: str = "events") -> str:
    """The widget id of a Custom Components v2 element's trigger aggregator."""
    return f"$$STREAMLIT_INTERNAL_KEY_{element_id}__{name}"


def trigger_backmsg(client: ClientState, element_id: str, event: str, value: object) -> bytes:
    """A rerun request carrying one trigger event of a component, as the frontend sends it."""
    payload = json.dumps([{"event": event, "value": value}], separators=(",", ":"))
    state = WidgetState(id=trigger_id(element_id), json_trigger_value=payload)
    msg = BackMsg(rerun_script=client)
    msg.rerun_script.widget_states.widgets.append(state)
    return msg.SerializeToString()


@dataclass
class Watch:
    """A condition on the stream of ForwardMsgs: ``step(msg)`` returns True when met."""

    step: Callable[[ForwardMsg], bool]
    done: asyncio.Future
    problems: list[str] = field(default_factory=list)


class Session:
    """One browser tab on the 1-D page, over Streamlit's websocket.

    A reader task takes every ForwardMsg: it keeps the page's script hash, query string,
    the canvas's element id, fragment and last data, the panels refresher's id and
    fragment, and feeds the watches waiting for a run.
    """

    def __init__(self, base_url: str, http: HttpClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.watches: list[Watch] = []
        self.page_hash = ""
        self.query = ""
        self.canvas_id = self.canvas_fragment = None
        self.panels_id = self.panels_fragment = None
        self.canvas_data: dict = {}
        self.seq = 0

    async def open(self, query: str) -> None:
        """Load the lesson page: its HTML (cookies), the websocket, the first script run."""
        self.query = query
        base_path = urllib.parse.urlsplit(self.base_url).path
        await self.http.request("GET", f"{base_path}/?{query}")
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        headers = {"Cookie": self.http.cookie_header()} if self.http.cookies else None
        self.ws = await ws_connect(ws_url, subprotocols=["streamlit"], origin=self.http.origin,
                                   additional_headers=headers, max_size=None, proxy=None,
                                   ping_interval=None, open_timeout=TIMEOUT_S)  # fmt: skip
        self.reader = asyncio.create_task(self._read())
        done = self.watch(lambda m: m.WhichOneof("type") == "script_finished")
        await self.ws.send(BackMsg(rerun_script=self.client_state()).SerializeToString())
        await self.wait(done)
        if self.canvas_id is None:
            raise RuntimeError("the page has no canvas (key 'canvas')")

    def client_state(self, fragment: str = "") -> ClientState:
        return ClientState(
            query_string=self.query,
            page_script_hash=self.page_hash,
            fragment_id=fragment,
            context_info=context_info(self.base_url + "/"),
        )

    def watch(self, step: Callable[[ForwardMsg], bool]) -> Watch:
        w = Watch(step, asyncio.get_running_loop().create_future())
        self.watches.append(w)
        return w

    async def wait(self, w: Watch) -> None:
        """Wait for a watch; raise on a timeout, a closed socket or an error on the page."""
        try:
            await asyncio.wait_for(asyncio.shield(w.done), TIMEOUT_S)
        finally:
            if w in self.watches:
                self.watches.remove(w)
        if w.problems:
            raise RuntimeError(w.problems[0])

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg.FromString(raw)
                problem = self._take(msg)
                for w in list(self.watches):
                    if problem:
                        w.problems.append(problem)
                    if not w.done.done() and w.step(msg):
                        w.done.set_result(time.perf_counter())
        except Exception as err:  # noqa: BLE001 - every watch learns why the stream ended
            reason = f"websocket: {type(err).__name__}"
        else:
            reason = "websocket closed"
        for w in self.watches:
            if not w.done.done():
                w.problems.append(reason)
                w.done.set_result(time.perf_counter())

    def _take(self, msg: ForwardMsg) -> str:
        """Keep what later requests need from ``msg``; a problem it shows, or ``""``."""
        kind = msg.WhichOneof("type")
        if kind == "navigation":  # the page shown (st.navigation); later runs name it
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "script_finished" and msg.script_finished not in RUN_DONE:
            if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return f"script finished with status {msg.script_finished}"
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                return f"exception on the page: {element.exception.message[:120]}"
            if which == "bidi_component":
                bidi = element.bidi_component
                if bidi.component_name.endswith("convexviz_canvas"):
                    self.canvas_id, self.canvas_fragment = bidi.id, msg.delta.fragment_id
                    self.canvas_data = json.loads(bidi.json) if bidi.json else {}
                elif bidi.component_name.endswith("convexviz_refresh"):
                    self.panels_id, self.panels_fragment = bidi.id, msg.delta.fragment_id
        return ""

    async def edit(self, points: list, params: dict) -> str:
        """Send the canvas's snapshot of ``points``; ``""`` once acknowledged with its fit,
        :data:`BUSY` if the run found no room for the fit (``wording.BUSY_TEXT``), else why not.

        Done at the first ``script_finished`` after the canvas delta acknowledging it. A
        run of the panels may end first; a second run ending without that delta means the
        edit was lost.
        """
        self.seq += 1
        seq, acked, finished = self.seq, [], []

        def step(msg: ForwardMsg) -> bool:
            kind = msg.WhichOneof("type")
            if kind == "delta" and self.canvas_data.get("ack", 0) >= seq and not acked:
                acked.append(dict(self.canvas_data))
            if kind == "script_finished":
                finished.append(msg.script_finished)
            return kind == "script_finished" and (bool(acked) or len(finished) >= 2)

        w = self.watch(step)
        snapshot = {"seq": seq, "gen": self.canvas_data.get("gen"), "op": "move",
                    "points": points}  # fmt: skip
        state = self.client_state(self.canvas_fragment)
        await self.ws.send(trigger_backmsg(state, self.canvas_id, "edit", snapshot))
        await self.wait(w)
        if not acked:
            return "runs finished without acknowledging the edit"
        data = acked[0]
        if data.get("ack") != seq:
            return f"acknowledged {data.get('ack')} instead of {seq}"
        if not same_points(data.get("points"), points):
            return "the session's points are not the sent ones"
        if (data.get("preview") or {}).get("params") != params:
            return "the session's settings changed"
        if not data.get("curves"):
            return BUSY if data.get("message") == BUSY_TEXT else f"no fit: {data.get('message')}"
        return ""

    async def refresh_panels(self) -> None:
        """The panels refresher's trigger ``refresh`` ({ack, gen}); wait for their run."""
        seen = []

        def step(msg: ForwardMsg) -> bool:
            if msg.WhichOneof("type") == "delta" and msg.delta.fragment_id == self.panels_fragment:
                seen.append(True)
            return msg.WhichOneof("type") == "script_finished" and bool(seen)

        w = self.watch(step)
        detail = {"ack": self.canvas_data.get("ack"), "gen": self.canvas_data.get("gen")}
        state = self.client_state(self.panels_fragment)
        await self.ws.send(trigger_backmsg(state, self.panels_id, "refresh", detail))
        await self.wait(w)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)
        self.http.close()


# ---------------------------------------------------------------- the clients


@dataclass
class Results:
    """Everything one run measured."""

    students: int
    sessions: int
    duration_s: float
    period_s: float = PERIOD_S
    heavy: bool = True
    tallies: dict[str, Tally] = field(default_factory=dict)
    rss: list[tuple[float, int]] = field(default_factory=list)
    alive: bool | None = None
    server: str = ""
    client_cpu_s: float = 0.0
    wall_s: float = 0.0

    def tally(self, name: str) -> Tally:
        return self.tallies.setdefault(name, Tally())


@dataclass(frozen=True)
class Clock:
    """The measured window: edits are due in ``[start, end)``; answers wait until ``grace``."""

    start: float
    end: float
    grace: float


def next_due(due: float, sent_at: float, period: float) -> tuple[float, int]:
    """The next edit's time after the request for the edit ``due`` went out at ``sent_at``,
    and how many more edits that request carried.

    A request goes out at its edit's time, or when the previous answer came if that was
    later (at most one request in flight, as the canvas). Edits that fell due meanwhile are
    in the points it sends: they are folded into it, and it is timed from the earliest.

    >>> next_due(4.0, 4.01, 2.0), next_due(6.0, 11.5, 2.0)
    ((6.0, 0), (12.0, 2))
    """
    folded = max(0, math.floor((sent_at - due) / period))
    return due + (folded + 1) * period, folded


async def preview_student(
    base_url: str, lesson: Lesson, rng: random.Random, clock: Clock, period: float, tally: Tally
) -> None:
    """A student whose edits are preview requests only (the canvas's fast path)."""
    http = HttpClient(base_url, client_token(rng))
    path = route_path(urllib.parse.urlsplit(base_url).path)
    points, ranges = random_points(rng, lesson.n_points), START_RANGES
    due = clock.start + rng.uniform(0, period)
    try:
        while due < clock.end:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sent_at = time.perf_counter()
            points = move_some(rng, points)
            reply = await preview_until_answered(
                http, path, points, lesson.params(), ranges, tally, due, clock.grace
            )
            if reply is not None:
                ranges = reply.get("ranges", ranges)
            due, folded = next_due(due, sent_at, period)
            tally.folded += folded
    finally:
        http.close()


async def session_student(
    base_url: str, lesson: Lesson, rng: random.Random, window: asyncio.Future, period: float,
    results: Results,
) -> None:  # fmt: skip
    """A student in a real Streamlit session: page load, then preview + snapshot per edit.

    ``window`` gives the :class:`Clock` once every session has loaded its page.
    """
    load, edits = results.tally("session: page load"), results.tally("session: edit (run)")
    previews, panels = results.tally("session: preview"), results.tally("session: panels")
    http = HttpClient(base_url, client_token(rng))
    session = Session(base_url, http)
    points = random_points(rng, lesson.n_points)
    started = time.perf_counter()
    try:
        await session.open(lesson.query(points))
        load.ok(started)
    except Exception as err:  # noqa: BLE001 - any failure to load is an error of this row
        load.error(f"{type(err).__name__}: {err}"[:120])
        await session.close()
        return
    clock = await window
    path = route_path(urllib.parse.urlsplit(base_url).path)
    ranges = session.canvas_data.get("ranges", START_RANGES)
    due = clock.start + rng.uniform(0, period)
    refreshes: list[asyncio.Task] = []
    try:
        while due < clock.end:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sent_at = time.perf_counter()
            points = move_some(rng, points)
            preview = asyncio.create_task(preview_until_answered(
                http=http, path=path, points=points, params=lesson.params(),
                ranges=ranges, tally=previews, started=due, give_up_at=clock.grace))  # fmt: skip
            await asyncio.wait({preview}, timeout=PREVIEW_WAIT_S)
            try:
                problem = await session.edit(points, lesson.params())
            except Exception as err:  # noqa: BLE001 - a lost run or socket is an error of this row
                edits.error(f"{type(err).__name__}: {err}"[:120])
                break  # the session is unusable after a lost run
            if problem == BUSY:
                edits.busy += 1
            elif problem:
                edits.error(problem)
            else:
                edits.ok(due)
            acked_at = time.perf_counter()
            reply = await preview
            if reply is not None:
                ranges = reply.get("ranges", ranges)
            due, folded = next_due(due, sent_at, period)
            edits.folded += folded
            if not problem and acked_at + SETTLED_S < due and session.panels_id:
                later = refresh_later(session, acked_at + SETTLED_S, panels)
                refreshes.append(asyncio.create_task(later))
    finally:
        await asyncio.gather(*refreshes, return_exceptions=True)
        await session.close()


async def refresh_later(session: Session, at: float, tally: Tally) -> None:
    """The panels' refresh once the student has paused, timed from sending it."""
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    started = time.perf_counter()
    try:
        await session.refresh_panels()
        tally.ok(started)
    except Exception as err:  # noqa: BLE001 - a lost run or socket is an error of this row
        tally.error(f"{type(err).__name__}: {err}"[:120])


@dataclass
class HeavyFit:
    """One expensive fit of the heavy client; ``n_points`` falls by one on each refusal."""

    lesson: Lesson
    n_points: int

    @property
    def name(self) -> str:
        return f"heavy: {self.lesson.activation} depth {self.lesson.depth}, {self.n_points} points"


def parse_heavy(text: str) -> list[HeavyFit]:
    """``"abs:5,relu:4:20"`` -> heavy fits (activation:depth[:points], points default: cap).

    >>> [h.name for h in parse_heavy("abs:5,relu:2:20")]
    ['heavy: abs depth 5, 13 points', 'heavy: relu depth 2, 20 points']
    """
    fits = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        act, depth, *n = item.split(":")
        cap = max_points(Architecture(act, int(depth)))
        fits.append(HeavyFit(Lesson(act, int(depth), 0), int(n[0]) if n else cap))
    return fits


async def heavy_client(
    base_url: str, fits: list[HeavyFit], rng: random.Random, clock: Clock, results: Results
) -> None:
    """One request at a time, in turn over ``fits``, new random points each time."""
    http = HttpClient(base_url, client_token(rng))
    path = route_path(urllib.parse.urlsplit(base_url).path)
    await asyncio.sleep(max(0.0, clock.start - time.perf_counter()))
    turn = 0
    try:
        while fits and time.perf_counter() < clock.end:
            fit = fits[turn % len(fits)]
            turn += 1
            tally = results.tally(fit.name)
            points = random_points(rng, fit.n_points)
            started = time.perf_counter()
            while True:
                answer = await ask_preview(http, path, points, fit.lesson.params(), START_RANGES)
                if answer.kind != "busy" or time.perf_counter() > clock.grace:
                    break
                tally.busy_answers += 1
                await asyncio.sleep(answer.retry_after_s)
            if answer.kind == "ok":
                tally.ok(started)
            elif answer.kind == "refused":
                tally.refused += 1
                fit.n_points = max(2, fit.n_points - 1)
            elif answer.kind == "busy":
                tally.busy += 1
            else:
                tally.error(answer.reason)
    finally:
        http.close()


# ---------------------------------------------------------------- server and memory


def tree_rss_bytes(roots: Sequence[int]) -> int | None:
    """Resident memory of the processes ``roots`` and all their descendants (``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    total, stack, found = 0, list(roots), False
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
            found = True
        except OSError:
            continue
        stack.extend(children.get(pid, []))
    return total if found else None


async def sample_rss(pids: Sequence[int], results: Results, stop: asyncio.Event) -> None:
    """Every 0.5 s until ``stop``: the RSS of the server's process tree."""
    t0 = time.perf_counter()
    while not stop.is_set():
        rss = await asyncio.to_thread(tree_rss_bytes, pids)
        if rss is not None:
            results.rss.append((time.perf_counter() - t0, rss))
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            pass


async def healthy(base_url: str) -> bool:
    """Whether the server answers its health check."""
    http = HttpClient(base_url)
    try:
        path = urllib.parse.urlsplit(base_url).path.rstrip("/") + "/_stcore/health"
        return (await asyncio.wait_for(http.request("GET", path), 10)).status == 200
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
        return False
    finally:
        http.close()


# ---------------------------------------------------------------- a run


async def run(args: argparse.Namespace, base_url: str, students: int, pids: Sequence[int]):
    """Join the sessions, run the window of edits, wait out the grace time: the Results."""
    sessions = min(args.sessions, students)
    heavy = parse_heavy(args.heavy)
    results = Results(students, sessions, args.duration, args.period, bool(heavy), server=base_url)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pids, results, stop)) if pids else None
    window = asyncio.get_running_loop().create_future()
    tasks, joined = [], []
    for i in range(sessions):
        rng = random.Random(f"{args.seed}-session-{i}")
        lesson = LESSONS[i % len(LESSONS)]
        joined.append(asyncio.create_task(session_student(
            base_url, lesson, rng, window, args.period, results)))  # fmt: skip
    # Every session loads its page at once (the class opens the link), then the clock starts.
    load = results.tally("session: page load")
    while load.total < sessions and not all(task.done() for task in joined):
        await asyncio.sleep(0.05)
    start = time.perf_counter() + 0.5
    clock = Clock(start, start + args.duration, start + args.duration + args.grace)
    window.set_result(clock)
    for i in range(sessions, students):
        rng = random.Random(f"{args.seed}-student-{i}")
        tasks.append(asyncio.create_task(preview_student(
            base_url, LESSONS[i % len(LESSONS)], rng, clock, args.period,
            results.tally("preview student"))))  # fmt: skip
    if heavy:
        rng = random.Random(f"{args.seed}-heavy")
        tasks.append(asyncio.create_task(heavy_client(base_url, heavy, rng, clock, results)))
    await asyncio.gather(*tasks, *joined)
    results.client_cpu_s = time.process_time() - cpu0
    results.wall_s = time.perf_counter() - wall0
    results.alive = await healthy(base_url)
    stop.set()
    if sampler is not None:
        await sampler
    return results


# ---------------------------------------------------------------- the report


def row(name: str, t: Tally) -> str:
    """One table row: counts and latencies (ms) of one kind of request."""

    def ms(q: float) -> str:
        value = percentile(t.latencies_ms, q)
        return "-" if value is None else f"{value:.0f}"

    cells = [name, t.total, len(t.latencies_ms), t.busy, t.busy_answers, t.refused,
             t.n_errors, t.folded, ms(50), ms(95), ms(100)]  # fmt: skip
    return "| " + " | ".join(map(str, cells)) + " |"


TABLE_HEADER = ("| kind | requests | ok | busy | busy answers | refused | errors | "
                "folded | p50 ms | p95 ms | max ms |")  # fmt: skip

#: What the columns count, printed under the table.
TABLE_LEGEND = (
    "requests: edits sent (or page loads, panel refreshes, heavy fits); ok: answered with "
    "the right fit, timed from the edit (busy retries included); busy: still busy (503/429) "
    "when time was up, or a session's run saying the server is busy; busy answers: 503/429 "
    "answers, each retried after Retry-After; "
    "refused: 400 or no fit (a limit); folded: edits that fell due while a request was in "
    "flight and went with the next one (timed from the earliest)."
)


def all_students(results: Results) -> Tally:
    """Every student edit: preview students' previews and the sessions' Streamlit runs."""
    empty = Tally()
    return results.tallies.get("preview student", empty).merged(
        results.tallies.get("session: edit (run)", empty)
    )


def memory_verdict(rss: list[tuple[float, int]]) -> tuple[str, bool | None]:
    """RSS summary and whether it stayed bounded (last quarter <= 1.25 x first half's max)."""
    if not rss:
        return "server RSS: not measured (pass --pid with --url)", None
    t_end = rss[-1][0]
    first = max((r for t, r in rss if t <= t_end / 2), default=rss[0][1])
    last = max((r for t, r in rss if t >= 0.75 * t_end), default=rss[-1][1])
    mb = 1024 * 1024
    bounded = last <= 1.25 * first
    text = (
        f"server RSS (process tree, {len(rss)} samples): start {rss[0][1] / mb:.0f} MB, "
        f"max {max(r for _, r in rss) / mb:.0f} MB, end {rss[-1][1] / mb:.0f} MB; max in "
        f"the first half {first / mb:.0f} MB, in the last quarter {last / mb:.0f} MB"
    )
    return text, bounded


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "MISSED")


def report(results: Results) -> str:
    """The run's table, memory, error reasons and targets as Markdown-friendly text."""
    n_preview = results.students - results.sessions
    lines = [
        f"## {results.students} students ({results.sessions} in Streamlit sessions, "
        f"{n_preview} sending previews){' + 1 heavy client' if results.heavy else ''}, "
        f"{results.duration_s:g} s, one edit per {results.period_s:g} s each",
        f"server: {results.server}",
        "",
        TABLE_HEADER,
        "|---" * TABLE_HEADER.count(" | ") + "|---|",
    ]
    everyone = all_students(results)
    lines.append(row("all students (edit -> fit)", everyone))
    for name in sorted(results.tallies, key=lambda n: (n.startswith("heavy"), n)):
        lines.append(row(name, results.tallies[name]))
    memory, bounded = memory_verdict(results.rss)
    alive = f"server alive and healthy at the end: {results.alive}"
    client = (
        f"this load generator used {results.client_cpu_s:.1f} s of CPU in "
        f"{results.wall_s:.0f} s (taken from the server when both share a machine)"
    )
    lines += ["", TABLE_LEGEND, "", memory, alive, client]
    reasons = Counter()
    for name, t in results.tallies.items():
        for reason, n in t.errors.items():
            reasons[f"{name}: {reason}"] += n
    if reasons:
        lines.append("errors: " + "; ".join(f"{r} x{n}" for r, n in reasons.most_common(8)))
    p95 = percentile(everyone.latencies_ms, 95)
    errors = sum(t.n_errors for t in results.tallies.values())
    lines.append("")
    if results.students <= 30:
        fast = p95 is not None and p95 <= 1000
        shown = "-" if p95 is None else f"{p95:.0f}"
        lines.append(
            f"target ({results.students} students): p95 of every student edit <= 1000 ms: "
            f"{shown} ms -> {verdict(fast)}; no errors: {errors} -> {verdict(errors == 0)}"
        )
    else:
        lines.append(f"target ({results.students} students): no errors: {errors} -> "
                     f"{verdict(errors == 0)}; no crash -> {verdict(results.alive)}; "
                     f"memory bounded -> {verdict(bounded)}")  # fmt: skip
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--students",
        type=int,
        nargs="+",
        default=[30],
        help="students per run (several: one run each, e.g. 30 60)",
    )
    parser.add_argument(
        "--sessions", type=int, default=10, help="how many of them are real Streamlit sessions"
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of edits")
    parser.add_argument(
        "--grace", type=float, default=30.0, help="seconds after the window for answers still due"
    )
    parser.add_argument("--period", type=float, default=PERIOD_S, help="seconds between edits")
    parser.add_argument(
        "--heavy",
        default=DEFAULT_HEAVY,
        help="the heavy client's fits, act:depth[:points],... ('' for none)",
    )
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument(
        "--pid",
        type=int,
        nargs="*",
        default=[],
        help="with --url: server processes whose memory to sample",
    )
    parser.add_argument("--seed", default="0")
    args = parser.parse_args(argv)
    print(f"# convexviz load benchmark ({time.strftime('%Y-%m-%d %H:%M:%S')}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    for students in args.students:
        if args.url:
            results = asyncio.run(run(args, args.url.rstrip("/"), students, args.pid))
        else:
            results = run_on_own_server(args, students)
        print()
        print(report(results), flush=True)


def run_on_own_server(args: argparse.Namespace, students: int) -> Results:
    """Start ``streamlit run app.py`` on a free loopback port, run, stop it."""
    port = free_port()
    proc = start_streamlit("app.py", port)
    if proc is None:
        raise SystemExit("streamlit did not become healthy within 60 s")
    try:
        base = f"http://127.0.0.1:{port}"
        results = asyncio.run(run(args, base, students, [proc.pid]))
        results.server = f"{base} (streamlit run app.py, started here)"
        results.alive = results.alive and proc.poll() is None
        return results
    finally:
        proc.kill()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
