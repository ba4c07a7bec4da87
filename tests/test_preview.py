"""The canvas's preview request: strict validation, and the same reply as the page's."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.cost import refusal
from convexviz.ui import preview, wording
from convexviz.ui import state as urlstate
from convexviz.ui.canvas import payload, protocol
from convexviz.ui.fitmemo import FitMemo

OPT = [[0, 0], [4, 0], [5, 0], [7, 2], [10, 3], [11, 3]]
RELU3 = {"act": "relu", "depth": "3", "beta": "0.001"}


def ask(request: object, memo: FitMemo | None = None) -> tuple[int, dict]:
    body = request if isinstance(request, bytes) else json.dumps(request).encode()
    return preview.answer(body, memo or FitMemo())


def test_the_answer_draws_the_fit_of_the_points():
    status, reply = ask({"points": OPT, "params": RELU3})
    assert status == 200 and reply["message"] == ""
    assert set(reply) == {"points", "curves", "ranges", "key", "message"}
    x = np.array(OPT, dtype=float)[:, 0]
    y = np.array(OPT, dtype=float)[:, 1]
    direct = fit(x, y, Architecture("relu", 3), 1e-3)  # the independent computation
    curves = reply["curves"]
    drawn = np.interp(x, curves["x"], curves["fit"])
    assert np.allclose(drawn, direct.predict(x), atol=1e-4)
    assert len(curves["features"]) == direct.network.n_neurons
    json.dumps(reply, allow_nan=False)


def test_the_answer_equals_the_pages_payload_for_the_same_state():
    """Same curves and same key: the canvas never redraws what the preview drew."""
    memo = FitMemo()
    state = urlstate.AppState(
        points=tuple((float(a), float(b)) for a, b in OPT), activation="relu", depth=3
    )
    ranges = protocol.fresh_ranges(state.points)
    page, result, problem = payload.canvas_payload(
        state,
        protocol.CanvasState(state.points, gen=4, seq=9),
        ranges,
        memo,
        url=preview.PREVIEW_PATH,
    )
    status, reply = ask({"points": OPT, "params": RELU3, "ranges": ranges}, memo)
    assert status == 200 and result is not None and problem == ""
    assert reply["key"] == page["key"]
    for field in ("points", "curves", "ranges", "message"):
        assert reply[field] == page[field]
    assert page["ack"] == 9 and page["gen"] == 4
    assert page["preview"] == {
        "url": preview.PREVIEW_PATH,
        "params": RELU3,
        "busy_text": wording.PREVIEW_BUSY_TEXT,
        "solving_text": wording.PREVIEW_SOLVING_TEXT,
    }
    assert memo.stats()["computed"] == 1  # the second path found the first one's fit


def test_the_key_changes_with_points_settings_and_axes():
    base = {"points": OPT, "params": RELU3, "ranges": {"x": [-1, 12], "y": [-1, 4]}}
    keys = {ask(base)[1]["key"]}
    keys.add(ask({**base, "points": OPT[:-1]})[1]["key"])
    keys.add(ask({**base, "params": {**RELU3, "beta": "0.01"}})[1]["key"])
    keys.add(ask({**base, "ranges": {"x": [-2, 12], "y": [-1, 4]}})[1]["key"])
    assert len(keys) == 4
    assert ask(base)[1]["key"] == ask(dict(base))[1]["key"]


def test_shown_axes_are_kept_while_they_hold_the_points():
    shown = {"x": [-3.0, 20.0], "y": [-5.0, 9.0]}
    assert ask({"points": OPT, "params": RELU3, "ranges": shown})[1]["ranges"] == shown
    fresh = protocol.fresh_ranges(protocol.sanitize_points(OPT))
    small = {"x": [0.0, 1.0], "y": [0.0, 1.0]}  # no longer holds every point
    assert ask({"points": OPT, "params": RELU3, "ranges": small})[1]["ranges"] == fresh


@pytest.mark.parametrize(
    "ranges",
    [
        None,
        "x",
        {"x": [0, 1]},
        {"x": [1, 0], "y": [0, 1]},
        {"x": [0, float("inf")], "y": [0, 1]},
        {"x": [0, 1e300], "y": [0, 1]},
        {"x": [True, 2], "y": [0, 1]},
        {"x": ["0", "1"], "y": [0, 1]},
    ],
)
def test_malformed_axes_fall_back_to_fresh_ones(ranges):
    body = json.dumps({"points": OPT, "params": RELU3, "ranges": ranges}).encode()
    status, reply = preview.answer(body, FitMemo())
    fresh = protocol.fresh_ranges(protocol.sanitize_points(OPT))
    assert status == 200 and reply["ranges"] == fresh


def test_points_are_sanitized_as_the_snapshots_are():
    messy = [*OPT, [1, float("nan")], ["a", 2], [1e9, 0], [0, 0]]
    body = json.dumps({"points": messy, "params": RELU3}).encode()  # NaN: JSON's extension
    status, reply = preview.answer(body, FitMemo())
    assert status == 200 and reply["points"] == [[float(a), float(b)] for a, b in OPT]


def test_too_few_points_answer_with_the_pages_message():
    status, reply = ask({"points": [[1, 1]], "params": RELU3})
    assert status == 200 and reply["curves"]["fit"] == []
    assert "at least two points" in reply["message"]


def test_a_fit_the_engine_refuses_answers_with_its_message():
    points = [[k, k % 3] for k in range(40)]  # relu depth 4 allows far fewer points
    status, reply = ask({"points": points, "params": {**RELU3, "depth": "4"}})
    assert status == 200 and reply["curves"]["fit"] == []
    assert reply["message"].startswith("No fit:")


def test_a_fit_too_large_to_solve_live_is_refused_before_the_memo_computes():
    def must_not_run(*args):
        raise AssertionError("a refused preview must not start a fit")

    points = [[k, k % 2] for k in range(13)]
    status, reply = ask(
        {"points": points, "params": {**RELU3, "act": "abs", "depth": "5"}},
        FitMemo(compute=must_not_run),
    )
    assert status == 200 and reply["curves"]["fit"] == []
    assert reply["message"] == f"No fit: {refusal(Architecture('abs', 5), 13)}."


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (json.dumps({"points": OPT}).encode(), "params"),
        (json.dumps({"points": OPT, "params": {"depth": 3}}).encode(), "params"),
        (json.dumps({"points": OPT, "params": {**RELU3, "depth": "x"}}).encode(), "depth"),
        (json.dumps({"points": OPT, "params": {**RELU3, "act": "nope"}}).encode(), "nope"),
        (json.dumps({"points": OPT, "params": {**RELU3, "beta": "-1"}}).encode(), "beta"),
        (b"[" * 100_000, "larger than"),
        (b" " * (preview.MAX_REQUEST_BYTES + 1), "larger than"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_requests_get_400_and_a_reason(body, error):
    status, reply = preview.answer(body, FitMemo())
    assert status == 400 and error in reply["error"] and set(reply) == {"error"}


def test_deeply_nested_json_within_the_size_limit_is_refused_cleanly():
    body = b"[" * 30_000 + b"]" * 30_000
    status, reply = preview.answer(body, FitMemo())
    assert status == 400 and "error" in reply


def test_unknown_request_fields_and_url_keys_are_ignored():
    request = {"points": OPT, "params": {**RELU3, "pts": "1:1", "zzz": "1"}, "extra": 1}
    status, reply = ask(request)
    assert status == 200 and len(reply["points"]) == len(OPT)
