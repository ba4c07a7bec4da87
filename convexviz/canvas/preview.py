"""What the canvas draws, and the preview request that gets it without a Streamlit rerun.

A click must redraw the fit at once. Streamlit's round trip (trigger event, callback,
fragment rerun, deltas back to the browser) alone costs ~140 ms on a loaded 2-core machine,
more while the page is busy drawing its panels. So the canvas also POSTs the points it now
shows to a small route of the same server (``PREVIEW_PATH``) and draws the answer as soon
as it comes; the snapshot still goes through Streamlit, which stays the source of truth for
the session, the URL and the panels. Both paths build their reply with
:func:`canvas_payload` from the same shared fit (:mod:`convexviz.fitcache`), and both carry
the same ``key``, so the canvas skips a redraw it has already made.

A preview request is JSON::

    {"points": [[x, y], ...],
     "params": {"act": "relu", "depth": "3", "beta": "0.001"},   # as in the URL
     "ranges": {"x": [x0, x1], "y": [y0, y1]}}                    # the axes shown now

and its answer is ``{points, curves, ranges, key, message}`` as in the snapshot reply
(``protocol.build_payload``) without ``ack``/``gen``: it changes nothing on the server.
Everything is validated as strictly as a URL: settings through ``urlstate.decode``, points
through ``protocol.sanitize_points``, ranges as finite increasing pairs.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .. import appview, urlstate
from ..architecture import Architecture
from ..fit import FitResult
from ..fitcache import SHARED, FitMemo
from . import protocol

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

#: URL keys that describe the network (everything a fit depends on besides the points).
SETTINGS_KEYS = ("act", "depth", "beta", "leak", "br")


def fit_state(state: urlstate.AppState, memo: FitMemo = SHARED) -> tuple[FitResult | None, str]:
    """The fit of an app state, or ``None`` and a sentence saying why there is none."""
    if problem := appview.fit_problem(state):
        return None, problem
    arch = Architecture(state.activation, state.depth, state.leak, state.branching)
    try:
        return memo.fit(state.points, arch, state.beta), ""
    except ValueError as err:
        return None, f"No fit: {err}"


def settings_params(state: urlstate.AppState) -> dict[str, str]:
    """The network settings of ``state`` as URL text (``act``, ``depth``, ``beta``, ...)."""
    params = urlstate.encode(replace(state, points=()))  # no need to format the points
    return {k: params[k] for k in SETTINGS_KEYS if k in params}


def payload_key(state: urlstate.AppState, ranges: Mapping[str, Any]) -> str:
    """A short fingerprint of what the canvas draws: points, settings and axes."""
    text = json.dumps(
        [state.points, settings_params(state), ranges["x"], ranges["y"]], separators=(",", ":")
    )
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def canvas_payload(
    state: urlstate.AppState,
    canvas: protocol.CanvasState,
    ranges: protocol.Ranges,
    memo: FitMemo = SHARED,
    url: str = PREVIEW_PATH,
) -> tuple[dict[str, Any], FitResult | None, str]:
    """The canvas's data for ``state``, with the fit (or why there is none).

    Returns
    -------
    payload : dict
        ``protocol.payload_for_fit`` plus ``key`` (:func:`payload_key`) and ``preview``:
        ``{"url": url, "params": settings_params(state)}``, what the canvas needs to ask
        for the next preview itself (``url``: :func:`route_path` of the server's base).
    result : FitResult or None
    problem : str
        Empty when there is a fit.
    """
    result, problem = fit_state(state, memo)
    payload = protocol.payload_for_fit(canvas, ranges, result, "" if result else problem)
    payload["key"] = payload_key(state, ranges)
    payload["preview"] = {"url": url, "params": settings_params(state)}
    return payload, result, problem


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
    state, notices = urlstate.decode({k: params[k] for k in SETTINGS_KEYS if k in params})
    if notices:
        return 400, {"error": "; ".join(notices)}
    points = protocol.sanitize_points(request.get("points"))
    state = replace(state, points=points)
    fresh = protocol.fresh_ranges(points)
    ranges = protocol.stable_ranges(_ranges(request.get("ranges")), points, fresh)
    payload, _, _ = canvas_payload(state, protocol.CanvasState(points), ranges, memo)
    del payload["ack"], payload["gen"], payload["preview"]
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
