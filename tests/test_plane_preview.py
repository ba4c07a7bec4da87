"""The plane canvas's payload and preview route: strict validation, the page's own reply."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convexviz.datasets2d import PLANE_PRESETS, random_plane_points
from convexviz.limits import MAX_PLANE_POINTS
from convexviz.plane import fit_plane
from convexviz.plane_figure import points_trace, square_ranges
from convexviz.ui import plane_preview
from convexviz.ui.canvas import canvas_assets, protocol
from convexviz.ui.canvas.plane_payload import (
    figure_of_fit,
    plain,
    plane_canvas_payload,
    plane_ranges,
    point_templates,
)
from convexviz.ui.plane_memo import PlaneMemo
from convexviz.ui.plane_state import PlaneState
from convexviz.ui.wording import PREVIEW_BUSY_TEXT, PREVIEW_SOLVING_TEXT

POINTS = [list(p) for p in random_plane_points(20, 4)]


def ask(request: object, memo: PlaneMemo | None = None) -> tuple[int, dict]:
    body = request if isinstance(request, bytes) else json.dumps(request).encode()
    return plane_preview.answer(body, memo or PlaneMemo())


def surface(reply: dict) -> dict:
    (heatmap,) = [t for t in reply["figure"]["data"] if t["type"] == "heatmap"]
    return heatmap


def test_the_answer_draws_the_certified_fit_of_the_points():
    status, reply = ask({"points": POINTS, "params": {"beta": "0.05"}})
    assert status == 200 and reply["message"] == ""
    assert set(reply) == {"points", "ranges", "key", "message", "figure"}
    json.dumps(reply, allow_nan=False)
    xy = np.array(POINTS, dtype=float)
    direct = fit_plane(xy[:, :2], xy[:, 2], 0.05)  # the independent computation
    heat = surface(reply)
    gx, gy = np.array(heat["x"]), np.array(heat["y"])
    grid = np.column_stack([np.repeat(gx[None], len(gy), 0).ravel(), np.repeat(gy, len(gx))])
    assert np.allclose(np.array(heat["z"]).ravel(), direct.network(grid), rtol=1e-4, atol=1e-4)


def test_the_figure_never_holds_the_training_points():
    """The canvas draws them itself; the figure's markers are only rings on neuron lines."""
    status, reply = ask({"points": POINTS, "params": {"beta": "0.05"}})
    names = [t.get("name", "") for t in reply["figure"]["data"]]
    assert not any(name.startswith("class") or "training" in name for name in names)
    assert "decision line f = 0" in names


def test_the_answer_equals_the_pages_payload_for_the_same_state():
    memo = PlaneMemo()
    points = tuple(tuple(p) for p in POINTS)
    state = PlaneState(points, 0.05, label=-1.0)
    ranges = plane_ranges(None, points)
    page, fit, problem = plane_canvas_payload(
        state, protocol.CanvasState(points, gen=3, seq=8), ranges, memo, url="/p"
    )
    status, reply = ask({"points": POINTS, "params": {"beta": "0.05"}, "ranges": ranges}, memo)
    assert status == 200 and fit is not None and problem == ""
    for field in ("points", "ranges", "key", "message", "figure"):
        assert reply[field] == page[field], field
    assert page["ack"] == 8 and page["gen"] == 3 and page["label"] == -1.0
    assert page["preview"] == {
        "url": "/p",
        "params": {"beta": "0.05"},
        "busy_text": PREVIEW_BUSY_TEXT,
        "solving_text": PREVIEW_SOLVING_TEXT,
    }
    assert memo.stats()["computed"] == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"x" * (plane_preview.MAX_REQUEST_BYTES + 1), "larger than"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"points": POINTS, "params": {"beta": 5}}).encode(), "params must map"),
        (json.dumps({"points": POINTS, "params": {}}).encode(), "must hold beta"),
        (json.dumps({"points": POINTS, "params": {"beta": "-1"}}).encode(), "beta '-1'"),
        (json.dumps({"points": POINTS, "params": {"beta": "nan"}}).encode(), "beta 'nan'"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(body, error):
    status, reply = ask(body)
    assert status == 400 and error in reply["error"]


def test_points_are_sanitized_and_capped():
    raw = [[0, 0, 1], [0, 0, 1], ["a", 1, 1], [1, 1], [1e9, 0, 1], [2, 0, float("inf")]]
    many = [[k % 8, k // 8, 1 - 2 * (k % 3 == 0)] for k in range(MAX_PLANE_POINTS + 10)]
    status, reply = ask({"points": raw + POINTS * 3, "params": {"beta": "0.1"}})
    assert status == 200
    assert reply["points"] == [[0, 0, 1], *POINTS]
    status, reply = ask({"points": many, "params": {"beta": "0.1"}})
    assert status == 200 and reply["points"] == many[:MAX_PLANE_POINTS]


def test_no_points_is_a_message_not_an_error():
    status, reply = ask({"points": [], "params": {"beta": "0.1"}})
    assert status == 200 and "Click" in reply["message"]
    assert not [t for t in reply["figure"]["data"] if t["type"] == "heatmap"]


def test_bad_ranges_fall_back_to_the_points_square():
    for ranges in ({"x": [1, 0], "y": [0, 1]}, {"x": ["a", 1]}, "no", {"x": [0, 1e300]}):
        status, reply = ask({"points": POINTS, "params": {"beta": "0.1"}, "ranges": ranges})
        xy = np.array(POINTS)[:, :2]
        assert status == 200 and reply["ranges"] == square_ranges(xy)


def test_ranges_stay_while_the_points_stay_inside():
    points = tuple(tuple(p) for p in POINTS)
    first = plane_ranges(None, points)
    inside = (*points, (first["x"][0] + 0.01, first["y"][1] - 0.01, 1.0))
    assert plane_ranges(first, inside) == first
    outside = (*points, (first["x"][1] + 5, 0.0, 1.0))
    moved = plane_ranges(first, outside)
    assert moved != first and moved["x"][0] <= first["x"][1] + 5 <= moved["x"][1]
    assert moved["x"][1] - moved["x"][0] == pytest.approx(moved["y"][1] - moved["y"][0])


def test_point_templates_are_the_figures_own_points_traces():
    """Filling the templates by the canvas's rule gives exactly ``points_trace``."""
    templates = point_templates()
    pts = np.array(PLANE_PRESETS["xor"].points)
    expected = plain(points_trace(pts, classes=True))
    filled = []
    for entry in templates["classes"]:
        mine = pts[pts[:, 2] == entry["label"]]
        filled.append({**entry["trace"], "x": plain(mine[:, 0]), "y": plain(mine[:, 1])})
    assert filled == expected
    (values,) = plain(points_trace(np.zeros((0, 3)), classes=False))
    assert templates["values"]["trace"] == values


def test_the_legend_has_room_for_the_points_entries():
    points = PLANE_PRESETS["xor"].points
    xy = np.array(points)
    fit = fit_plane(xy[:, :2], xy[:, 2], 0.05)
    ranges = square_ranges(xy[:, :2])
    with_classes = figure_of_fit(fit, points, ranges)["layout"]
    values = tuple((a, b, 0.5 * c) for a, b, c in points)
    with_values = figure_of_fit(fit, values, ranges)["layout"]
    assert with_classes["margin"]["b"] > with_values["margin"]["b"]  # two entries, not one


def test_plain_makes_json_ready_values():
    value = {"a": np.array([1.234567891, np.inf]), "b": (np.float64(2.0), np.bool_(True))}
    assert plain(value) == {"a": [1.23457, None], "b": [2.0, True]}


def test_plane_assets_start_with_the_shared_kit():
    assets = canvas_assets()
    assert "class SnapshotSync" in assets.plane_js and "class PlaneCanvas" in assets.plane_js
    assert assets.plane_js.count("class SnapshotSync") == 1
    assert assets.js.count("class SnapshotSync") == 1 and "class PlaneCanvas" not in assets.js
    assert ".cvz-plane-canvas" in assets.plane_css and "touch-action: none" in assets.plane_css
    import re

    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", assets.plane_js)  # colours: Python's


def test_route_path_follows_the_base_url():
    assert plane_preview.plane_route_path("") == "/convexviz/preview/plane"
    assert plane_preview.plane_route_path("/x/") == "/x/convexviz/preview/plane"
