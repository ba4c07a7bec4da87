"""Typed and uploaded data in a real browser: the keyboard path never loses a click."""

from __future__ import annotations

import pytest

from tests.browser import WAIT_MS, assert_no_errors, near, open_app, url_points, wait_for_count

pytestmark = pytest.mark.browser

TYPED_BOX = "Points as x:y"


def test_typing_after_a_click_keeps_the_clicked_point(server, page):
    """Issue 7.9, as a new user did it: click, then append ',3:1' in the box, press Enter."""
    plot = open_app(page, server, pts="0:0,1:1,2:0", act="relu", depth="2", beta="0.01")
    plot.click(1.5, 0.25)  # empty space
    wait_for_count(page, 4)
    clicked = url_points(page)[-1]
    assert near(clicked, (1.5, 0.25), plot.tolerance(2.0))
    box = page.get_by_label(TYPED_BOX)
    # The box shows the clicked point too (it follows every canvas edit).
    page.wait_for_function(
        "label => [...document.querySelectorAll('input')].some((e) => "
        "e.getAttribute('aria-label')?.startsWith(label) && e.value.split(',').length === 4)",
        arg=TYPED_BOX,
        timeout=WAIT_MS,
    )
    box.click()
    box.press("End")
    box.type(",3:1")
    box.press("Enter")
    wait_for_count(page, 5)
    points = url_points(page)
    assert points[:3] == ((0, 0), (1, 1), (2, 0)) and points[-1] == (3, 1)
    assert near(points[3], clicked, plot.tolerance(0.5))
    # ... and the fit on the canvas is the fit of all five.
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('.st-key-canvas .cvz-canvas')"
        ".getAttribute('data-points')).length === 5",
        timeout=WAIT_MS,
    )
    assert_no_errors(page)


def test_the_uploader_offers_one_megabyte(server, page):
    open_app(page, server)
    uploader = page.locator("[data-testid='stFileUploaderDropzone']")
    uploader.wait_for(timeout=WAIT_MS)
    text = uploader.inner_text()
    assert "1MB" in text.replace(" ", "") and "200MB" not in text.replace(" ", "")
