"""The teaching panels in a real browser: stepping through the optimal networks changes the
drawn curve, the download buttons deliver files, the figures' camera button saves a PNG."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.datasets import parse_csv
from convexviz.export import file_name
from tests.browser import WAIT_MS, assert_no_errors, inside, lesson_links, open_app, rect

pytestmark = pytest.mark.browser

#: README's lesson "same data, depth 4": the 'opt' data, where depth adds optima.
DEPTH_4 = next(q for lesson, q in lesson_links() if lesson.startswith("same data, depth 4"))
FIGURE = ".st-key-alternatives .cvz-figure"
#: Smallest share of the figure's width its plot area must fill (as test_legibility.py).
MIN_PLOT_SHARE = 0.6

# The selected curve is the last line trace (drawn on top); the data markers come after it.
SELECTED = """sel => {
  const gd = document.querySelector(sel);
  if (!gd || !gd.data) return null;
  const lines = gd._fullData.filter((t) => t.mode === 'lines');
  const t = lines[lines.length - 1];
  return {name: t.name, y: Array.from(t.y), title: gd.layout.title.text};
}"""


def opt_result():
    xy = np.array([[float(v) for v in p.split(":")] for p in DEPTH_4["pts"].split(",")])
    arch = Architecture(DEPTH_4["act"], int(DEPTH_4["depth"]))
    return fit(xy[:, 0], xy[:, 1], arch, float(DEPTH_4["beta"]))


def selected(page) -> dict | None:
    return page.evaluate(SELECTED, FIGURE)


def wait_for_selected(page, name: str) -> dict:
    page.wait_for_function(
        f"([sel, name]) => {{ const s = ({SELECTED})(sel); return s && s.name === name; }}",
        arg=[FIGURE, name],
        timeout=WAIT_MS,
    )
    return selected(page)


def test_stepping_to_fewest_reflections_draws_another_curve(server, page):
    open_app(page, server, **DEPTH_4)
    page.locator(FIGURE).scroll_into_view_if_needed()
    before = wait_for_selected(page, "sparsest")
    assert "shown: sparsest" in before["title"]
    page.locator(".st-key-w_optimum").get_by_role("radio", name="fewest reflections").click()
    after = wait_for_selected(page, "fewest reflections")
    assert "shown: fewest reflections" in after["title"]
    assert len(after["y"]) == len(before["y"])
    assert np.abs(np.array(after["y"]) - np.array(before["y"])).max() > 1e-3
    text = page.locator("[data-testid='stMarkdownContainer']").all_inner_texts()
    assert any(t.startswith("fewest reflections:") and "certified optimum" in t for t in text)
    assert_no_errors(page)


@pytest.mark.parametrize("width", [1400, 1280])
def test_the_alternatives_figure_is_readable(server, page, width):
    """Its plot area fills most of its width, and its legend stays inside the figure."""
    page.set_viewport_size({"width": width, "height": 1000})
    open_app(page, server, **DEPTH_4)
    figure = page.locator(FIGURE)
    figure.scroll_into_view_if_needed()
    wait_for_selected(page, "sparsest")
    page.wait_for_timeout(200)  # a late resize (scrollbar) redraws once
    box = rect(figure.bounding_box())
    plot = rect(figure.locator(".nsewdrag").first.bounding_box())
    assert (plot[2] - plot[0]) >= MIN_PLOT_SHARE * (box[2] - box[0])
    legend = rect(figure.locator(".legend").bounding_box())
    assert inside(legend, box)
    for text in figure.locator("text").all():
        if text.is_visible() and (b := text.bounding_box()) and b["width"] > 0:
            assert inside(rect(b), box), text.text_content()


def test_download_buttons_deliver_the_files(server, page):
    result = opt_result()
    open_app(page, server, **DEPTH_4)
    button = page.locator(".st-key-w_download_csv button")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=WAIT_MS) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == file_name(result, "csv")
    points = np.array(parse_csv(open(download.path(), encoding="utf-8").read()))
    np.testing.assert_array_equal(points[:, 0], result.x)
    np.testing.assert_array_equal(points[:, 1], result.y)
    with page.expect_download(timeout=WAIT_MS) as info:
        page.locator(".st-key-w_download_cvxpy button").click()
    script = open(info.value.path(), encoding="utf-8").read()
    assert info.value.suggested_filename == file_name(result, "cvxpy")
    assert script.rstrip().endswith('print("objective", float(problem.value))')
    with page.expect_download(timeout=WAIT_MS) as info:
        page.locator(".st-key-w_download_json button").click()
    data = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert data["objective"] == pytest.approx(result.lasso.objective, rel=1e-12)
    assert len(data["network"]["units"]) == result.network.n_neurons
    assert_no_errors(page)


def test_the_camera_button_saves_a_png(server, page):
    result = opt_result()
    open_app(page, server, **DEPTH_4)
    figure = page.locator(".st-key-network .cvz-figure")
    figure.scroll_into_view_if_needed()
    figure.locator(".main-svg").first.wait_for(timeout=WAIT_MS)
    figure.hover()
    camera = figure.locator(".modebar-btn[data-title='Download plot as a PNG']")
    with page.expect_download(timeout=WAIT_MS) as info:
        camera.click()
    assert info.value.suggested_filename == file_name(result, "png", "network")
    with open(info.value.path(), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_large_search_is_asked_for_and_arrives_by_itself(server, page):
    """abs depth 4 (~3,300 features): a button starts the search; the section polls and
    shows the optima when they are found, with no further click."""
    from convexviz.datasets import random_points

    pts = ",".join(f"{x:g}:{y:g}" for x, y in random_points(12, 7))
    open_app(page, server, pts=pts, act="abs", depth="4", beta="0.001")
    ask = page.get_by_role("button", name="Look for every optimal network")
    ask.scroll_into_view_if_needed()
    ask.click()
    page.locator(".st-key-w_optimum").get_by_role("radio").first.wait_for(timeout=90_000)
    page.locator(FIGURE).locator(".main-svg").first.wait_for(timeout=WAIT_MS)
    assert page.get_by_text("Looking for every optimal network").count() == 0
    assert_no_errors(page)
