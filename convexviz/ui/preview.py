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
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from .canvas import protocol
from .canvas.payload import SETTINGS_KEYS, canvas_payload
from .fitmemo import SHARED, FitMemo
from .state import decode

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


def answer(body: bytes, memo: FitMemo = SHARED) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body for a preview request's raw body.

    ``400`` with ``{"error": ...}`` for a body that is too large, not JSON, or holds an
    invalid setting; otherwise ``200`` and the canvas data (a fit that cannot be made, for
    example with one point, is a ``200`` whose ``message`` says why, as on the page).
    """
    if len(body) > MAX_REQUEST_BYTES:
        return 400, {"error": f"request larger than {MAX_REQUEST_BYTES} bytes"}
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        return 400, {"error": "request is not JSON"}
    if not isinstance(request, Mapping):
        return 400, {"error": "request is not a JSON object"}
    params = request.get("params")
    if not isinstance(params, Mapping) or not all(isinstance(v, str) for v in params.values()):
        return 400, {"error": "params must map URL keys to text"}
    state, notices = decode({k: params[k] for k in SETTINGS_KEYS if k in params})
    if notices:
        return 400, {"error": "; ".join(notices)}
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
    ranges = {}
    for axis in ("x", "y"):
        pair = raw.get(axis)
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return None
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair):
            return None
        lo, hi = float(pair[0]), float(pair[1])
        limit = 10 * protocol.MAX_ABS_VALUE
        if not (math.isfinite(lo) and math.isfinite(hi) and -limit <= lo < hi <= limit):
            return None
        ranges[axis] = [lo, hi]
    return ranges


async def endpoint(request: Request) -> JSONResponse:
    """The route's handler: read at most ``MAX_REQUEST_BYTES`` of the body, then :func:`answer`.

    The route also takes GET, only to refuse it: otherwise Streamlit's catch-all for the
    page would answer a GET with the page itself.
    """
    if request.method != "POST":
        return JSONResponse({"error": "use POST"}, status_code=405, headers={"Allow": "POST"})
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            break
    status, content = await run_in_threadpool(answer, body)
    return JSONResponse(content, status_code=status)
