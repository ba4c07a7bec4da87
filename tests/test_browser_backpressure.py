"""A busy server in a real browser: the canvas keeps the edit, says so, and asks again."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser import WAIT_MS, Plot, assert_no_errors, open_app, wait_for_count

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("canvas_debug")]

LESSON = {"pts": "0:0,1:1,2:0,3:2", "act": "relu", "depth": "3", "beta": "0.001"}


@pytest.mark.parametrize("status", [503, 429])
def test_a_busy_answer_keeps_the_edit_and_the_canvas_asks_again(server, page, status):
    bodies, busy_left = [], [2]

    def route(route_request):
        bodies.append(json.loads(route_request.request.post_data))
        if busy_left[0] > 0:  # the first two previews: the server is full
            busy_left[0] -= 1
            route_request.fulfill(
                status=status,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=json.dumps({"error": "busy", "busy": True, "retry_ms": 300}),
            )
        else:
            route_request.continue_()

    page.route("**/convexviz/preview", route)
    plot = open_app(page, server, **LESSON)
    plot.click(1.5, 1.8)
    note = page.locator(".st-key-canvas .cvz-note")
    note.get_by_text("busy").wait_for(timeout=WAIT_MS)  # the student is told
    wait_for_count(page, 5)  # the edit went through Streamlit meanwhile: nothing lost
    page.wait_for_function("() => window.convexviz.stats.previews >= 3", timeout=WAIT_MS)
    stats = page.evaluate("() => window.convexviz.stats")
    assert stats["previewBusy"] == 2 and stats["previewErrors"] == 0, stats
    assert len(bodies) >= 3  # asked again after each busy answer, then answered
    tokens = {b["client"] for b in bodies}
    assert len(tokens) == 1 and re.fullmatch(r"[0-9a-f]{32}", tokens.pop())
    assert all(len(b["points"]) == 5 for b in bodies)  # always the points on screen
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.st-key-canvas .cvz-note')).display"
        " === 'none'",
        timeout=WAIT_MS,
    )  # the fit arrived: the note is gone
    Plot(page)  # the chart is still drawn
    assert_no_errors(page)


def test_a_large_plane_fit_says_solving_until_it_is_drawn(server, page):
    """The plane at 50 points takes about a second to solve: after a moment the canvas says it
    is solving (progress), and the note goes once the fit is drawn."""
    from convexviz.datasets2d import random_plane_points
    from convexviz.ui.plane_state import format_plane_points
    from tests.test_browser_plane import ROOT, open_plane

    points = random_plane_points(49, 11)
    plot = open_plane(page, server, pts=format_plane_points(points), beta="0.01")
    spot = (0.013, -0.021)  # the middle of the square: no point this close (checked below)
    assert min(abs(p[0] - spot[0]) + abs(p[1] - spot[1]) for p in points) > 0.05
    plot.click(*spot)
    note = page.locator(f"{ROOT} .cvz-note")
    note.get_by_text("Solving").wait_for(timeout=WAIT_MS)
    wait_for_count(page, 50)
    page.wait_for_function(
        "s => getComputedStyle(document.querySelector(s)).display === 'none'",
        arg=f"{ROOT} .cvz-note",
        timeout=WAIT_MS,
    )
    assert_no_errors(page)
