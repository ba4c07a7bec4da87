"""The plane canvas's preview route: a click's new fit without a Streamlit rerun.

The same approach as the 1-D canvas (:mod:`convexviz.ui.preview`): after each edit the plane
canvas POSTs the points it shows to ``PLANE_PREVIEW_PATH`` and draws the answer as soon as it
comes, while the snapshot still goes through Streamlit (the source of truth for the session,
the URL and the numbers beside the canvas). Both build their reply with
:func:`convexviz.ui.canvas.plane_payload.plane_canvas_payload` from the shared plane memo.

A request is JSON::

    {"points": [[x1, x2, y], ...],
     "params": {"beta": "0.05"},                  # as in the URL
     "ranges": {"x": [x0, x1], "y": [y0, y1]}}    # the axes shown now

and its answer the canvas's data without ``ack``/``gen``/``preview`` (it changes nothing on
the server). Everything is validated as strictly as a link: ``beta`` through the plane URL
codec, the points through :func:`~convexviz.ui.plane_state.sanitize_plane_points` (at most
``MAX_PLANE_POINTS``), the ranges as finite increasing pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .canvas import protocol
from .canvas.plane_payload import plane_canvas_payload, plane_ranges
from .plane_memo import SHARED, PlaneMemo
from .plane_state import decode_plane, sanitize_plane_points
from .preview import MAX_REQUEST_BYTES, _ranges, json_endpoint, parse_json_object  # noqa: F401

#: The route the plane canvas POSTs to (registered by ``app.py`` next to the 1-D one).
PLANE_PREVIEW_PATH = "/convexviz/preview/plane"

#: URL keys a plane fit depends on besides the points.
SETTINGS_KEYS = ("beta",)


def plane_route_path(base_url_path: str = "") -> str:
    """The plane preview route under Streamlit's ``server.baseUrlPath``.

    >>> plane_route_path(""), plane_route_path("/lessons/")
    ('/convexviz/preview/plane', '/lessons/convexviz/preview/plane')
    """
    base = base_url_path.strip("/")
    return f"/{base}{PLANE_PREVIEW_PATH}" if base else PLANE_PREVIEW_PATH


def answer(body: bytes, memo: PlaneMemo = SHARED) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body for a plane preview request's raw body:
    :func:`convexviz.ui.preview.parse_json_object`, then :func:`answer_object`."""
    status, request = parse_json_object(body)
    return (status, request) if status != 200 else answer_object(request, memo)


def answer_object(
    request: Mapping[str, Any], memo: PlaneMemo = SHARED
) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body for a plane preview request read as a JSON object.

    ``400`` with ``{"error": ...}`` for an invalid or missing ``beta``; otherwise ``200``
    and the canvas's data (no points, or a fit the solver could not make, is a ``200``
    whose ``message`` says why).
    """
    params = request.get("params")
    if not isinstance(params, Mapping) or not all(isinstance(v, str) for v in params.values()):
        return 400, {"error": "params must map URL keys to text"}
    if "beta" not in params:
        return 400, {"error": "params must hold beta"}
    state, notices = decode_plane({k: params[k] for k in SETTINGS_KEYS})
    if notices:
        return 400, {"error": "; ".join(notices)}
    points = sanitize_plane_points(request.get("points"))
    state = replace(state, points=points)
    ranges = plane_ranges(_ranges(request.get("ranges")), points)
    canvas = protocol.CanvasState(points)
    payload, _, _ = plane_canvas_payload(state, canvas, ranges, memo, url="")
    for key in ("ack", "gen", "preview", "point_traces", "label"):
        del payload[key]
    return 200, payload


#: The route's handler (registered by ``app.py`` with ``methods=["GET", "POST"]``): the
#: shared gate of every JSON route (method, content type, size, depth), then answer_object.
endpoint = json_endpoint(answer_object)
