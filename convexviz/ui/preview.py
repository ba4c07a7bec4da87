"""The preview route: a click's new fit for the canvas without a Streamlit rerun.

A click must redraw the fit at once. Streamlit's round trip (trigger event, callback,
fragment rerun, deltas back to the browser) alone costs ~140 ms on a loaded 2-core machine,
more while the page is busy drawing its panels. So the canvas also POSTs the points it now
shows to a small route of the same server (``PREVIEW_PATH``) and draws the answer as soon
as it comes; the snapshot still goes through Streamlit, which stays the source of truth for
the session, the URL and the panels. Both paths build their reply with
:func:`convexviz.ui.canvas.payload.canvas_payload` from the same shared fit
(:mod:`convexviz.ui.fitmemo`), and both carry the same ``key``, so the canvas skips a redraw
it has already made.

A preview request is JSON::

    {"points": [[x, y], ...],
     "params": {"act": "relu", "depth": "3", "beta": "0.001"},   # as in the URL
     "ranges": {"x": [x0, x1], "y": [y0, y1]}}                    # the axes shown now

and its answer is ``{points, curves, ranges, key, message}`` as in the snapshot reply
(``protocol.build_payload``) without ``ack``/``gen``: it changes nothing on the server.
Everything is validated as strictly as a URL: settings through ``state.decode``, points
through ``protocol.sanitize_points``, ranges as finite increasing pairs.

Reading a request safely (for every JSON route of the app, this one and the plane's):
:func:`read_json_request` is the one gate. It refuses, before any work, a method other
than POST (405), a body that is not ``application/json`` (415: a page on another site can
send a form without asking, never JSON), a body over :data:`MAX_REQUEST_BYTES` (400,
from ``Content-Length`` or while reading), text that is not UTF-8, JSON nested deeper
than :data:`MAX_JSON_DEPTH` (400, found by a linear scan, :func:`json_depth`, before the
recursive parser runs), invalid JSON and anything but an object at the top (400). Every
refusal is ``{"error": sentence}``. :func:`json_endpoint` wraps a route's
``answer_object(obj) -> (status, body)`` with it::

    plane_endpoint = json_endpoint(answer_plane)     # in the plane route's module
    Route(path, plane_endpoint, methods=["GET", "POST"])

``answer_object`` must answer any JSON object with 200 or 400 and a sentence, never raise
(huge integers arrive as floats, ``inf`` beyond the float range, so ``float()`` never
overflows).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from .canvas import protocol
from .canvas.payload import SETTINGS_KEYS, canvas_payload
from .fairness import ANONYMOUS, ClientLimits, retry_after_header
from .fitmemo import SHARED, FitMemo
from .state import decode
from .workers import ServerBusyError, waiting

#: The route the canvas POSTs to (registered by ``app.py`` on Streamlit's server).
PREVIEW_PATH = "/convexviz/preview"


def route_path(base_url_path: str = "") -> str:
    """The preview route under Streamlit's ``server.baseUrlPath`` (as the page's own URLs).

    >>> route_path(""), route_path("/lessons/")
    ('/convexviz/preview', '/lessons/convexviz/preview')
    """
    base = base_url_path.strip("/")
    return f"/{base}{PREVIEW_PATH}" if base else PREVIEW_PATH


#: Larger request bodies are refused (200 points as JSON take ~10 kB).
MAX_REQUEST_BYTES = 64_000

#: Deeper JSON is refused before it is parsed. A preview request is 3 deep
#: (``{"points": [[x, y]]}``); the limit leaves room for other routes' requests and stays
#: far below the depth at which Python's recursive JSON parser would overflow.
MAX_JSON_DEPTH = 8

#: The only media type a JSON route accepts. A page on another site can POST a form
#: (``text/plain``, ``application/x-www-form-urlencoded``, ``multipart/form-data``) without
#: asking first; a JSON body needs a CORS preflight, which this server never grants.
JSON_MEDIA_TYPE = "application/json"

#: An error answer: HTTP status and ``{"error": sentence}``.
Refusal = tuple[int, dict[str, str]]


def refusal(status: int, error: str) -> Refusal:
    """``(status, {"error": error})``, the body of every refused request."""
    return status, {"error": error}


_ESCAPED_PAIR = re.compile(rb"\\.", re.DOTALL)
_NOT_A_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))


def json_depth(body: bytes) -> int:
    r"""The deepest nesting of ``[`` and ``{`` in UTF-8 JSON text, in linear time.

    Escaped pairs (a backslash and the character after it) are removed, the text is cut
    at its quotes and only the pieces outside strings are kept (the even ones); the depth
    is the largest prefix sum of +1 per opening and -1 per closing bracket. For valid JSON
    this is the exact depth; for invalid text it is at least the depth a left-to-right
    parser reaches before its first error (up to there both read strings alike), so a
    parser given text of small depth never recurses deeply. No recursion and no
    backtracking regular expression: cheap on any body.

    >>> json_depth(b'{"points": [[0, 1], [2, 3]]}'), json_depth(rb'["a\"[[", {"b": 1}]')
    (3, 2)
    >>> json_depth(b"[" * 50_000)
    50000
    """
    outside = b"".join(_ESCAPED_PAIR.sub(b"", body).split(b'"')[::2])
    brackets = np.frombuffer(outside.translate(None, _NOT_A_BRACKET), dtype=np.uint8)
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    return int(np.cumsum(steps).max(initial=0))


def _json_int(text: str) -> int | float:
    """A JSON integer: exact up to 15 digits, else a float (``inf`` beyond its range).

    Python reads any integer exactly, so ``1`` followed by 400 zeros would later overflow
    ``float()``; as a float it is simply ``inf`` and is refused or dropped like one.
    """
    return int(text) if len(text.lstrip("-")) <= 15 else float(text)


def parse_json_object(
    body: bytes, *, max_bytes: int = MAX_REQUEST_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> tuple[int, dict[str, Any]]:
    """Read a request body that must be a JSON object: ``(200, object)`` or a refusal.

    Checked in order, each before any work the next one needs: at most ``max_bytes``
    bytes; UTF-8 text (RFC 8259); nesting at most ``max_depth`` (:func:`json_depth`,
    before parsing); valid JSON (integers beyond 15 digits are read as floats, NaN and
    Infinity are accepted as Python's ``json`` does: later checks drop non-finite values);
    an object at the top. Every refusal is ``400`` with a sentence saying what is wrong.

    >>> parse_json_object(b'{"a": [1, 2.5]}')
    (200, {'a': [1, 2.5]})
    >>> parse_json_object(b'[[[[[[[[[[]]]]]]]]]]')
    (400, {'error': 'request is nested deeper than 8 levels'})
    """
    if len(body) > max_bytes:
        return refusal(400, f"request larger than {max_bytes} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return refusal(400, "request is not JSON (not UTF-8 text)")
    if json_depth(body) > max_depth:
        return refusal(400, f"request is nested deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_int=_json_int)
    except ValueError as err:  # JSONDecodeError is a ValueError
        return refusal(400, f"request is not JSON ({err})")
    if not isinstance(value, dict):
        return refusal(400, "request is not a JSON object")
    return 200, value


def _media_type(content_type: str | None) -> str:
    """``"application/json"`` from ``"Application/JSON; charset=utf-8"``; ``""`` if none."""
    return (content_type or "").split(";", 1)[0].strip().lower()


async def read_json_request(
    request: Request, *, max_bytes: int = MAX_REQUEST_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> tuple[int, dict[str, Any]]:
    """Validate an HTTP request to a JSON route: ``(200, object)`` or a refusal.

    The one gate of every JSON route of the app (this preview and the plane's), so that
    all of them refuse alike and cheaply, before any fit:

    - ``405`` unless the method is POST;
    - ``415`` unless the ``Content-Type`` is ``application/json`` (parameters such as
      ``charset=utf-8`` allowed): see :data:`JSON_MEDIA_TYPE` for why this matters;
    - ``400`` if the declared ``Content-Length`` exceeds ``max_bytes`` (nothing is read),
      or if the body read so far does (reading stops at the first chunk beyond);
    - then :func:`parse_json_object` (UTF-8, depth, JSON, an object at the top).

    Refusals are ``(status, {"error": sentence})``; :func:`json_endpoint` turns them into
    responses. What is inside the object is for the route's own function to check.
    """
    if request.method != "POST":
        return refusal(405, "use POST")
    if _media_type(request.headers.get("content-type")) != JSON_MEDIA_TYPE:
        return refusal(415, f"send the request as {JSON_MEDIA_TYPE}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return refusal(400, f"request larger than {max_bytes} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            break
    return parse_json_object(body, max_bytes=max_bytes, max_depth=max_depth)


#: Fair shares of the JSON routes, per page (one server-wide table, :mod:`.fairness`).
LIMITS = ClientLimits()
#: The longest client token accepted (the canvas sends 32 hex digits).
MAX_TOKEN_CHARS = 64
TOO_MANY_TEXT = "too many requests from this page at once; the canvas asks again shortly"
BUSY_ROUTE_TEXT = "the server is busy; the canvas keeps the edit and asks again shortly"


def client_token(request: Mapping[str, Any]) -> str:
    """The page's random ``client`` token of a request, or :data:`ANONYMOUS`.

    >>> client_token({"client": "ab12"}), client_token({"client": 7}), client_token({})
    ('ab12', '', '')
    """
    token = request.get("client")
    if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_CHARS:
        return token
    return ANONYMOUS


def _busy(status: int, text: str, retry_after_s: float) -> JSONResponse:
    """A refusal the canvas retries: ``Retry-After`` in seconds, ``retry_ms`` for scripts."""
    body = {"error": text, "busy": True, "retry_ms": round(1000 * retry_after_s)}
    headers = {"Retry-After": retry_after_header(retry_after_s)}
    return JSONResponse(body, status_code=status, headers=headers)


def json_endpoint(
    answer_object: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]],
    limits: ClientLimits = LIMITS,
) -> Callable[[Request], Awaitable[JSONResponse]]:
    """A Starlette endpoint: :func:`read_json_request`, then ``answer_object`` off the loop.

    ``answer_object(request_object) -> (status, body)`` runs in Starlette's thread pool (a
    fit must not block the server's event loop) and must not raise on any JSON object
    except :class:`ServerBusyError`. Back-pressure, answered at once with ``Retry-After``:
    a page (its ``client`` token, :func:`client_token`) beyond its fair share of ``limits``
    gets ``429``; a request for which the fit pool has no room gets ``503`` (fits never
    queue here; :func:`convexviz.ui.workers.waiting`).
    Register the endpoint with ``methods=["GET", "POST"]``: a GET is then refused with 405
    here instead of being answered with the page by Streamlit's catch-all route.
    """

    async def endpoint(request: Request) -> JSONResponse:
        status, content = await read_json_request(request)
        if status != 200:
            headers = {"Allow": "POST"} if status == 405 else None
            return JSONResponse(content, status_code=status, headers=headers)
        client = client_token(content)
        decision = limits.acquire(client)
        if not decision.allowed:
            return _busy(429, TOO_MANY_TEXT, decision.retry_after_s)
        try:
            with waiting(0):  # a preview never queues: the canvas asks again later
                status, content = await run_in_threadpool(answer_object, content)
        except ServerBusyError as busy:
            return _busy(503, BUSY_ROUTE_TEXT, busy.retry_after_s)
        finally:
            limits.release(client)
        return JSONResponse(content, status_code=status)

    endpoint.__doc__ = f"JSON route answered by ``{answer_object.__name__}``."
    return endpoint


def answer(body: bytes, memo: FitMemo = SHARED) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body for a preview request's raw body.

    :func:`parse_json_object`, then :func:`answer_object`.
    """
    status, request = parse_json_object(body)
    return (status, request) if status != 200 else answer_object(request, memo)


def answer_object(
    request: Mapping[str, Any], memo: FitMemo = SHARED
) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body for a preview request already read as a JSON object.

    ``400`` with ``{"error": ...}`` for invalid settings; otherwise ``200`` and the canvas
    data (a fit that cannot be made, for example with one point, is a ``200`` whose
    ``message`` says why, as on the page). Points that are not finite, moderate ``[x, y]``
    number pairs are dropped (``protocol.sanitize_points``), as in a snapshot; the answer's
    ``points`` are the ones used.
    """
    params = request.get("params")
    if not isinstance(params, Mapping) or not all(isinstance(v, str) for v in params.values()):
        return refusal(400, "params must map URL keys to text")
    state, notices = decode({k: params[k] for k in SETTINGS_KEYS if k in params})
    if notices:
        return refusal(400, "; ".join(notices))
    points = protocol.sanitize_points(request.get("points"))
    state = replace(state, points=points)
    fresh = protocol.fresh_ranges(points)
    ranges = protocol.stable_ranges(_ranges(request.get("ranges")), points, fresh)
    payload, _, _ = canvas_payload(state, protocol.CanvasState(points), ranges, memo, url="")
    del payload["ack"], payload["gen"], payload["preview"], payload["style"]
    return 200, payload


def _ranges(raw: object) -> protocol.Ranges | None:
    """``{"x": [x0, x1], "y": [y0, y1]}`` with finite, moderate, increasing pairs, or None."""
    if not isinstance(raw, Mapping):
        return None
    limit = 10 * protocol.MAX_ABS_VALUE
    ranges = {}
    for axis in ("x", "y"):
        pair = raw.get(axis)
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return None
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair):
            return None
        if not all(-limit <= v <= limit for v in pair):  # before float(): no overflow
            return None
        lo, hi = float(pair[0]), float(pair[1])
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            return None
        ranges[axis] = [lo, hi]
    return ranges


#: The preview route's handler (registered by ``app.py`` with ``methods=["GET", "POST"]``).
endpoint = json_endpoint(answer_object)
