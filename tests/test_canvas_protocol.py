"""The canvas snapshot protocol (convexviz/ui/canvas/protocol.py), without Streamlit."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from convexviz import Architecture, fit, plot_style
from convexviz.features import KINDS
from convexviz.limits import MAX_ABS_VALUE, MAX_POINTS
from convexviz.plots import axis_ranges
from convexviz.ui.canvas import canvas_assets, plotly_js_dir
from convexviz.ui.canvas.payload import canvas_payload
from convexviz.ui.canvas.protocol import (
    CanvasState,
    apply_snapshot,
    build_payload,
    curve_grid,
    fresh_ranges,
    payload_for_fit,
    sanitize_points,
    sanitize_tuples,
    stable_ranges,
)
from convexviz.ui.fitmemo import FitMemo
from convexviz.ui.state import AppState

OPT = ((0.0, 0.0), (4.0, 0.0), (5.0, 0.0), (7.0, 2.0), (10.0, 3.0), (11.0, 3.0))


def event(seq, gen, points, op="add"):
    return {"seq": seq, "gen": gen, "op": op, "points": [list(p) for p in points]}


# ---------------------------------------------------------------- gen / seq rules


def test_newer_snapshot_with_matching_gen_is_applied():
    state = CanvasState(OPT, gen=2, seq=4)
    new = apply_snapshot(state, event(5, 2, OPT + ((12, 1),)))
    assert new == CanvasState(OPT + ((12.0, 1.0),), gen=2, seq=5)


def test_seq_may_jump_forward_when_edits_were_folded():
    new = apply_snapshot(CanvasState(OPT, 0, 1), event(9, 0, OPT[:3]))
    assert new is not None and new.seq == 9 and new.points == OPT[:3]


@pytest.mark.parametrize("seq", [4, 3, 0, -1])
def test_old_or_repeated_seq_is_ignored(seq):
    assert apply_snapshot(CanvasState(OPT, gen=1, seq=4), event(seq, 1, OPT[:2])) is None


@pytest.mark.parametrize("gen", [0, 1, 3])
def test_snapshot_from_another_generation_is_ignored(gen):
    # Python replaced the points (gen 2); edits made on older points must not come back.
    assert apply_snapshot(CanvasState(OPT, gen=2, seq=0), event(10, gen, OPT[:2])) is None


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "edit",
        [],
        {"gen": 0, "points": []},
        {"seq": 1, "points": []},
        {"seq": 1, "gen": 0},
        {"seq": "2", "gen": 0, "points": []},
        {"seq": 1.5, "gen": 0, "points": []},
        {"seq": True, "gen": 0, "points": []},
        {"seq": float("nan"), "gen": 0, "points": []},
        {"seq": 1, "gen": None, "points": []},
    ],
)
def test_malformed_events_are_ignored(bad):
    assert apply_snapshot(CanvasState(OPT), bad) is None


def test_whole_number_floats_from_json_are_accepted():
    new = apply_snapshot(CanvasState(OPT, gen=1, seq=0), {"seq": 1.0, "gen": 1.0, "points": []})
    assert new == CanvasState((), gen=1, seq=1)


def test_fifteen_fast_snapshots_keep_the_last_full_list():
    """Snapshots carry the full list, so folding or dropping some loses nothing."""
    state, points = CanvasState((), gen=0, seq=0), []
    arrived = []
    for k in range(1, 16):
        points.append((float(k), float(k % 3)))
        arrived.append(event(k, 0, points))
    # The browser folded edits: only every fourth snapshot and the last one arrive.
    for ev in arrived[3::4] + [arrived[-1], arrived[5]]:  # including a late, stale one
        state = apply_snapshot(state, ev) or state
    assert state.seq == 15 and len(state.points) == 15


# ---------------------------------------------------------------- sanitizing


def test_sanitize_drops_non_finite_huge_and_malformed_pairs():
    raw = [
        [0, 1],
        [float("nan"), 1],
        [1, float("inf")],
        [2 * MAX_ABS_VALUE, 0],
        ["1", 2],
        [True, 2],
        [1, 2, 3],
        [3],
        None,
        "12",
        (2.5, -1),
    ]
    assert sanitize_points(raw) == ((0.0, 1.0), (2.5, -1.0))


def test_sanitize_removes_exact_duplicates_but_keeps_repeated_x():
    raw = [[1, 2], [1, 2], [1, 3], [0, 0], [1, 2]]
    assert sanitize_points(raw) == ((1.0, 2.0), (1.0, 3.0), (0.0, 0.0))


def test_sanitize_caps_the_number_of_points():
    raw = [[k, 0] for k in range(MAX_POINTS + 50)]
    points = sanitize_points(raw)
    assert len(points) == MAX_POINTS and points[-1] == (MAX_POINTS - 1.0, 0.0)


def test_sanitize_rounds_pixel_noise_but_keeps_typed_precision():
    ((x, y),) = sanitize_points([[0.1 + 0.2, 1 / 3]])
    assert x == 0.3 and math.isclose(y, 1 / 3, rel_tol=1e-9)
    assert sanitize_points([[1234.5678, -0.000123]]) == ((1234.5678, -0.000123),)


@pytest.mark.parametrize("raw", [None, "0:0", 5, {"x": 1}, b"12"])
def test_sanitize_rejects_non_lists(raw):
    assert sanitize_points(raw) == ()


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_sanitize_tuples_keeps_exactly_the_tuples_of_the_size_asked(size):
    good = [float(k) for k in range(size)]
    raw = [good, good[:-1], [*good, 9.0], good, [*good[:-1], True], [*good[:-1], "1"]]
    assert sanitize_tuples(raw, size, limit=10) == (tuple(good),)


def test_sanitize_tuples_drops_huge_whole_numbers_without_overflowing():
    # json.loads gives a Python int for a long digit string; float() of it would raise.
    huge = 10**400
    raw = [[huge, 0, 1], [0, 0, -huge], [0, 0, 1], [1, 1, float("nan")], [0, 1, 1e300]]
    assert sanitize_tuples(raw, 3, limit=10) == ((0.0, 0.0, 1.0),)


def test_sanitize_tuples_rounds_and_caps_like_sanitize_points():
    raw = [[k + 0.1 + 0.2, k, -k] for k in range(8)]
    assert sanitize_tuples(raw, 3, limit=3) == (
        (0.3, 0.0, 0.0),
        (1.3, 1.0, -1.0),
        (2.3, 2.0, -2.0),
    )


def test_snapshot_points_are_sanitized():
    new = apply_snapshot(CanvasState(()), event(1, 0, [[0, 0], [float("nan"), 0], [0, 0]]))
    assert new is not None and new.points == ((0.0, 0.0),)


# ---------------------------------------------------------------- ranges


def test_ranges_stay_while_points_are_inside_and_move_when_one_leaves():
    first = fresh_ranges(OPT)
    inside = OPT + ((6.0, 1.0),)
    assert stable_ranges(first, inside, fresh_ranges(inside)) == first
    outside = OPT + ((30.0, 1.0),)
    moved = stable_ranges(first, outside, fresh_ranges(outside))
    assert moved == fresh_ranges(outside) and moved["x"][1] >= 30


def test_ranges_without_previous_or_points():
    assert stable_ranges(None, OPT, fresh_ranges(OPT)) == fresh_ranges(OPT)
    empty = fresh_ranges(())
    assert empty["x"][0] < empty["x"][1] and empty["y"][0] < empty["y"][1]
    assert stable_ranges({"x": "junk"}, OPT, fresh_ranges(OPT)) == fresh_ranges(OPT)


def test_fresh_ranges_are_the_figures_ranges():
    # The legend sits above the plot area, so the y range needs no headroom for it.
    assert fresh_ranges(OPT) == {"x": [-2.0, 13.0], "y": [-0.8, 3.8]}
    xy = np.array(OPT)
    x_range, y_range = axis_ranges(xy[:, 0], xy[:, 1])
    assert fresh_ranges(OPT) == {"x": list(x_range), "y": list(y_range)}


def test_curve_grid_contains_breakpoints_and_their_left_neighbours():
    grid = curve_grid({"x": [-2, 13]}, [5.0, 8.0, 99.0])
    assert grid[0] == -2 and grid[-1] == 13 and np.all(np.diff(grid) > 0)
    assert 5.0 in grid and 8.0 in grid and 99.0 not in grid
    assert np.any((grid < 5.0) & (grid > 5.0 - 1e-6))


# ---------------------------------------------------------------- payload


def test_payload_shape_without_fit():
    state = CanvasState(((1.0, 2.0),), gen=3, seq=9)
    payload = build_payload(state, {"x": (0, 2), "y": (1, 3)}, message="add points")
    assert set(payload) == {"points", "curves", "ranges", "ack", "gen", "message"}
    assert payload["points"] == [[1.0, 2.0]] and payload["ack"] == 9 and payload["gen"] == 3
    assert payload["curves"] == {"x": [], "fit": [], "features": []}
    assert payload["ranges"] == {"x": [0.0, 2.0], "y": [1.0, 3.0]}
    json.dumps(payload, allow_nan=False)


def test_payload_from_a_fit_draws_the_network_and_its_features():
    result = fit([p[0] for p in OPT], [p[1] for p in OPT], Architecture("relu", 3), 1e-3)
    state = CanvasState(OPT, gen=1, seq=4)
    ranges = fresh_ranges(OPT)
    payload = payload_for_fit(state, ranges, result)
    curves = payload["curves"]
    assert (
        payload["ack"] == 4 and payload["gen"] == 1 and payload["points"] == [list(p) for p in OPT]
    )
    assert len(curves["x"]) == len(curves["fit"]) >= 64
    assert curves["x"][0] == ranges["x"][0] and curves["x"][-1] == ranges["x"][1]
    assert len(curves["features"]) == len(result.active_features) >= 1
    kinds = {f["kind"] for f in curves["features"]}
    assert kinds <= {"ramp", "capped_ramp", "reflection"}
    for f, active in zip(curves["features"], result.active_features, strict=True):
        assert len(f["y"]) == len(f["x"]) and f["label"]
        # A few points draw the piecewise-linear feature exactly: compare between them.
        probe = np.linspace(ranges["x"][0], ranges["x"][1], 101)
        exact = active.coef * active.feature.evaluate(probe)
        assert np.allclose(np.interp(probe, f["x"], f["y"]), exact, atol=1e-4)
    # The drawn curve is the network: it matches the data (tiny beta) at the points.
    f_at = np.interp([p[0] for p in OPT], curves["x"], curves["fit"])
    assert np.allclose(f_at, [p[1] for p in OPT], atol=0.05)
    text = json.dumps(payload, allow_nan=False)
    assert len(text) < 60_000  # light enough to send on every click


def test_payload_replaces_non_finite_values_by_null():
    state = CanvasState(())
    grid = np.array([0.0, 1.0])
    payload = build_payload(state, {"x": [0, 1], "y": [0, 1]}, grid, np.array([np.nan, 2.0]))
    assert payload["curves"]["fit"] == [None, 2.0]


def test_the_pages_payload_carries_the_figures_style():
    """One style source: the canvas draws with plot_style's colours, fonts and margins."""
    state = AppState(points=OPT, activation="abs", depth=3)
    ranges = fresh_ranges(OPT)
    page, result, _ = canvas_payload(state, CanvasState(OPT), ranges, FitMemo(), url="/p")
    style = page["style"]
    assert style["kind_colors"] == plot_style.KIND_COLORS
    assert set(style["kind_colors"]) == set(KINDS)
    assert style["other_color"] == plot_style.DATA_COLOR
    assert style["fit_line"] == {"color": plot_style.NETWORK_COLOR, "width": plot_style.LINE_WIDTH}
    assert style["data_marker"] == plot_style.DATA_MARKER
    assert style["font"] == plot_style.FONT and style["axis"] == plot_style.AXIS
    assert style["margin"] == plot_style.CANVAS_MARGIN
    assert {k: style["margin"][k] for k in "lrb"} == {k: plot_style.MARGIN[k] for k in "lrb"}
    legend = plot_style.LEGEND
    assert style["legend"] == {
        "bgcolor": legend["bgcolor"],
        "bordercolor": legend["bordercolor"],
        "borderwidth": legend["borderwidth"],
        "font": {**plot_style.FONT, "size": legend["font"]["size"]},
    }
    assert style["feature_line"] == plot_style.CANVAS_FEATURE_LINE
    assert (style["paper_bgcolor"], style["plot_bgcolor"]) == ("white", "white")
    kinds = {f["kind"] for f in page["curves"]["features"]}
    assert result is not None and "reflection" in kinds and kinds <= set(style["kind_colors"])
    json.dumps(page, allow_nan=False)
    # A fresh copy each time: a caller that edits its payload changes no other one.
    style["kind_colors"]["ramp"] = "#ffffff"
    assert plot_style.canvas_style()["kind_colors"]["ramp"] == plot_style.KIND_COLORS["ramp"]


# ---------------------------------------------------------------- assets


def test_assets_are_files_in_the_package_and_plotly_is_local():
    assets = canvas_assets()
    assert "export default function" in assets.js and "setTriggerValue" in assets.js
    assert "nsewdrag" in assets.js and "p2d" in assets.js
    assert ".cvz-canvas" in assets.css
    assert (plotly_js_dir() / "plotly.min.js").stat().st_size > 1_000_000
    assert "cdn" not in assets.js.lower() and "https:" not in assets.js


def test_the_canvas_script_holds_no_colours_of_its_own():
    """Its colours come from the payload's style (plot_style.canvas_style), none from JS."""
    assets = canvas_assets()
    for script in (assets.js, assets.figure_js):
        assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", script)
    assert "style.kind_colors" in assets.js and "style.data_marker" in assets.js


def test_package_never_imports_streamlit():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1] / "convexviz"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import streamlit" not in text and "from streamlit" not in text, path
