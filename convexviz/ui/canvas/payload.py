"""What the canvas draws: the canvas's data for an app state, shared by page and preview.

Both the page (through Streamlit) and the preview route (:mod:`convexviz.ui.preview`) build
the canvas's reply with :func:`canvas_payload` from the same shared fit
(:mod:`convexviz.ui.fitmemo`), and both carry the same ``key``, so the canvas skips a
redraw it has already made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ...fit import FitResult
from ...plot_style import canvas_style
from ..fitmemo import SHARED, FitMemo, fit_state
from ..state import AppState, encode
from ..wording import PREVIEW_BUSY_TEXT, PREVIEW_SOLVING_TEXT
from . import protocol

#: URL keys that describe the network (everything a fit depends on besides the points).
SETTINGS_KEYS = ("act", "depth", "beta", "leak", "br")


def settings_params(state: AppState) -> dict[str, str]:
    """The network settings of ``state`` as URL text (``act``, ``depth``, ``beta``, ...)."""
    params = encode(replace(state, points=()))  # no need to format the points
    return {k: params[k] for k in SETTINGS_KEYS if k in params}


def payload_key(state: AppState, ranges: Mapping[str, Any]) -> str:
    """A short fingerprint of what the canvas draws: points, settings and axes."""
    text = json.dumps(
        [state.points, settings_params(state), ranges["x"], ranges["y"]], separators=(",", ":")
    )
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def canvas_payload(
    state: AppState,
    canvas: protocol.CanvasState,
    ranges: protocol.Ranges,
    memo: FitMemo = SHARED,
    *,
    url: str,
) -> tuple[dict[str, Any], FitResult | None, str]:
    """The canvas's data for ``state``, with the fit (or why there is none).

    Returns
    -------
    payload : dict
        ``protocol.payload_for_fit`` plus ``key`` (:func:`payload_key`), ``preview``:
        ``{"url": url, "params": settings_params(state)}``, what the canvas needs to ask
        for the next preview itself (``url``: :func:`route_path` of the server's base),
        and ``style``: :func:`convexviz.plot_style.canvas_style`, what it draws with.
    result : FitResult or None
    problem : str
        Empty when there is a fit.
    """
    result, problem = fit_state(state, memo)
    payload = protocol.payload_for_fit(canvas, ranges, result, "" if result else problem)
    payload["key"] = payload_key(state, ranges)
    payload["preview"] = {
        "url": url,
        "params": settings_params(state),
        "busy_text": PREVIEW_BUSY_TEXT,
        "solving_text": PREVIEW_SOLVING_TEXT,
    }
    payload["style"] = canvas_style()
    return payload, result, problem
