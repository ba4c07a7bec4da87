"""The plane page's gradient-descent panel in a real browser: train, watch, stop."""

from __future__ import annotations

import pytest

from tests.browser import WAIT_MS, assert_no_errors
from tests.test_browser_adam import press, set_number

pytestmark = pytest.mark.browser

PANEL = ".st-key-plane_adam"
LOSS = ".st-key-plane_adam_loss .cvz-figure"
SURFACE = ".st-key-plane_adam_surface .cvz-figure"


#: The data the panel is trained on: XOR, two points per corner (as tests/test_app_plane_adam.py).
LINK = "pts=-1.5:-1:1,-1:-1.5:1,1.5:1:1,1:1.5:1,-1.5:1:-1,-1:1.5:-1,1.5:-1:-1,1:-1.5:-1&beta=0.05"


def open_plane(page, server) -> None:
    page.goto(f"{server}/plane?{LINK}")
    page.locator(f"{PANEL} .st-key-plane_adam_train button").wait_for(timeout=WAIT_MS)
    page.locator(PANEL).scroll_into_view_if_needed()


def figure_traces(page, selector: str) -> list[dict]:
    """Name, x and y of every trace drawn by Plotly in the figure at ``selector``."""
    return page.evaluate(
        """s => { const f = document.querySelector(s);
            return f && f.data ? f.data.map((t) => ({name: t.name, type: t.type || 'scatter',
                y: t.y ? Array.from(t.y) : []})) : []; }""",
        selector,
    )


def test_train_draws_every_start_above_the_optimum_line_and_the_best_network(server, page):
    open_plane(page, server)
    press(page, "plane_adam_train")
    panel = page.locator(PANEL)
    panel.get_by_text("none below").wait_for(timeout=WAIT_MS)  # the run ended: the verdict
    page.wait_for_function(
        """s => { const f = document.querySelector(s);
            return f && f.data && f.data.some((t) => t.name === 'certified optimum'); }""",
        arg=LOSS,
        timeout=WAIT_MS,
    )
    lines = figure_traces(page, LOSS)
    starts = [t for t in lines if t["name"] != "certified optimum"]
    assert [t["name"] for t in starts] == [f"start {k + 1} (seed {k})" for k in range(4)]
    (optimum,) = [t["y"] for t in lines if t["name"] == "certified optimum"]
    assert optimum[0] == optimum[1] > 0
    # what the student sees: no point of any curve under the certified optimum's line
    assert min(min(t["y"]) for t in starts) >= optimum[0] * (1 - 1e-9)
    panel.locator("[data-testid='stDataFrame']").wait_for(timeout=WAIT_MS)  # gap per start
    # the best start's network: its surface, its decision line, the points
    page.wait_for_function(
        "s => { const f = document.querySelector(s); return f && f.data && f.data.length; }",
        arg=SURFACE,
        timeout=WAIT_MS,
    )
    traces = figure_traces(page, SURFACE)
    assert traces[0]["type"] == "heatmap"
    names = {(t["type"], t["name"]) for t in traces}
    assert {("contour", "decision line f = 0"), ("scatter", "class +1")} <= names
    panel.get_by_text("Its certificate's worst line").wait_for(timeout=WAIT_MS)
    assert_no_errors(page)


def test_stop_ends_a_long_run_and_keeps_its_curves(server, page):
    open_plane(page, server)
    set_number(page, "[class*='st-key-plane_adam_width_']", 200)
    set_number(page, ".st-key-plane_adam_starts", 8)
    press(page, "plane_adam_train")
    panel = page.locator(PANEL)
    panel.get_by_text("Training: step").wait_for(timeout=WAIT_MS)
    press(page, "plane_adam_stop")
    panel.get_by_text("Stopped at step").wait_for(timeout=WAIT_MS)
    assert "of 10,000" in panel.inner_text()
    page.wait_for_function(
        "() => document.querySelector('.st-key-plane_adam_stop button').disabled",
        timeout=WAIT_MS,
    )
    page.wait_for_function(
        "s => { const f = document.querySelector(s); return f && f.data && f.data.length; }",
        arg=LOSS,
        timeout=WAIT_MS,
    )
    names = [t["name"] for t in figure_traces(page, LOSS)]
    assert len([n for n in names if n.startswith("start ")]) == 8
    assert_no_errors(page)
