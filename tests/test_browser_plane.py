"""The plane page in a real browser: Playwright + Debian chromium against ``streamlit run``.

Clicks go to pixel positions computed from the plane canvas's plot area (its ``.nsewdrag``
rectangle) and the axis ranges it reports; results are read back from the URL (``pts``),
which the page updates on every edit. The preview fast path is checked through the canvas's
debug records (``window.convexviz.stats``). Legibility is measured from the bounding boxes of
the rendered SVG on every preset and on random data.
"""

from __future__ import annotations

import json
import statistics
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlparse

import numpy as np
import pytest

from convexviz.datasets2d import PLANE_PRESETS, random_plane_points
from convexviz.plane_figure import points_trace
from convexviz.ui.canvas.plane_payload import plain
from convexviz.ui.plane_preview import PLANE_PREVIEW_PATH
from convexviz.ui.plane_state import format_plane_points, parse_plane_points
from tests.browser import (
    WAIT_MS,
    assert_no_errors,
    inside,
    overlap,
    unavailable,
    url_params,
    wait_for_count,
)
from tests.streamlit_server import free_port, start_streamlit

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("canvas_debug")]

ROOT = ".st-key-plane_canvas .cvz-canvas"
SQUARE = "-1:-1:1,1:-1:-1,1:1:1,-1:1:-1"
#: THEORY_2D §6's budget for a click's new fit at N = 20; asserted with a generous factor on
#: this shared 2-core machine (the measurement is printed for the report).
CLICK_BUDGET_MS = 300
GENEROUS = 5


class PlanePlot:
    """Pixel <-> data conversion of the plane canvas, from its plot area and axis ranges."""

    def __init__(self, page):
        self.page = page
        root = page.locator(ROOT)
        self.x0, self.x1 = map(float, root.get_attribute("data-xrange").split(","))
        self.y0, self.y1 = map(float, root.get_attribute("data-yrange").split(","))
        self.box = page.locator(f"{ROOT} .nsewdrag").bounding_box()

    def pixel(self, x: float, y: float) -> tuple[float, float]:
        b = self.box
        return (
            b["x"] + (x - self.x0) / (self.x1 - self.x0) * b["width"],
            b["y"] + (self.y1 - y) / (self.y1 - self.y0) * b["height"],
        )

    def tolerance(self, pixels: float = 2.0) -> float:
        return pixels * (self.x1 - self.x0) / self.box["width"]

    def click(self, x: float, y: float) -> None:
        self.page.mouse.click(*self.pixel(x, y))


def open_plane(page, server, **query) -> PlanePlot:
    page.goto(f"{server}/plane?{urlencode(query)}" if query else f"{server}/plane")
    page.locator(f"{ROOT}[data-ready='1']").wait_for(timeout=WAIT_MS)
    return PlanePlot(page)


def url_points(page) -> tuple:
    points, notices = parse_plane_points(url_params(page).get("pts", ""))
    assert not notices
    return points


def drawn_points(page) -> list[dict]:
    """The canvas's points traces in Plotly's chart (the traces after the fit's)."""
    return page.evaluate(
        """() => document.querySelector('.st-key-plane_canvas .cvz-plot').data
            .filter((t) => t.name && (t.name.startsWith('class') || t.name.startsWith('training')))
            .map((t) => JSON.parse(JSON.stringify(t)))"""
    )


def stats(page) -> dict:
    return page.evaluate("() => JSON.parse(JSON.stringify(window.convexviz.stats))")


def near(p, q, tol: float) -> bool:
    return abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol


# ---------------------------------------------------------------- restore, add, delete, drag


def test_a_shared_link_restores_the_points_the_label_and_the_drawing(server, page):
    link = {"pts": SQUARE + ",0:0:0.5", "beta": "0.1", "label": "-1"}
    open_plane(page, server, **link)
    assert url_params(page) == link
    assert json.loads(page.locator(ROOT).get_attribute("data-points")) == [
        list(p) for p in parse_plane_points(link["pts"])[0]
    ]
    assert page.locator(ROOT).get_attribute("data-label") == "-1"
    assert page.locator(".st-key-w_plane_kind").inner_text().count("class −1") == 1
    assert_no_errors(page)


def test_the_canvas_draws_the_points_exactly_as_python_would(server, page):
    """Two classes, then values: the JS fills Python's empty traces (plane_payload)."""
    for pts in (format_plane_points(PLANE_PRESETS["xor"].points), SQUARE + ",0:0:0.5"):
        open_plane(page, server, pts=pts, beta="0.05")
        points = np.array(parse_plane_points(pts)[0])
        expected = plain(points_trace(points))
        for trace in expected:
            trace["x"], trace["y"] = list(trace["x"]), list(trace["y"])
        assert drawn_points(page) == expected


def test_click_adds_a_point_of_the_current_class_and_the_url_follows(server, page):
    plot = open_plane(page, server, pts=SQUARE, beta="0.1", label="-1")
    plot.click(0.3, -0.4)
    wait_for_count(page, 5)
    added = url_points(page)[-1]
    assert near(added, (0.3, -0.4), plot.tolerance(2.0)) and added[2] == -1
    assert url_params(page)["label"] == "-1"
    assert_no_errors(page)


def test_click_on_a_point_deletes_it(server, page):
    plot = open_plane(page, server, pts=SQUARE, beta="0.1")
    plot.click(1.0, 1.0)
    wait_for_count(page, 3)
    assert (1.0, 1.0, 1.0) not in url_points(page)
    assert_no_errors(page)


def test_drag_moves_a_point_and_keeps_its_label(server, page):
    plot = open_plane(page, server, pts=SQUARE, beta="0.1")
    page.mouse.move(*plot.pixel(1.0, -1.0))
    page.mouse.down()
    for k in range(1, 9):
        page.mouse.move(*plot.pixel(1.0 - 0.1 * k, -1.0 + 0.1 * k))
    page.mouse.up()
    page.wait_for_function(
        "() => !(new URLSearchParams(location.search).get('pts') || '').includes('1:-1:-1')",
        timeout=WAIT_MS,
    )
    points = url_points(page)
    assert len(points) == 4
    moved = [p for p in points if near(p, (0.2, -0.2), plot.tolerance(3.0))]
    assert len(moved) == 1 and moved[0][2] == -1
    assert_no_errors(page)


def test_regression_mode_adds_the_chosen_value(server, page):
    plot = open_plane(page, server, pts=SQUARE, beta="0.1", label="2.5")
    assert [t["name"] for t in drawn_points(page)] == ["class +1", "class −1"]
    plot.click(-0.5, 0.5)
    wait_for_count(page, 5)
    assert url_points(page)[-1][2] == 2.5
    (values,) = drawn_points(page)  # two classes became values: one trace coloured by y
    assert values["name"].startswith("training points") and len(values["x"]) == 5
    assert values["marker"]["color"][-1] == 2.5
    assert_no_errors(page)


def test_the_plot_area_takes_pointer_events_not_scrolling(server, page):
    open_plane(page, server, pts=SQUARE, beta="0.1")
    style = page.evaluate(
        "() => getComputedStyle(document.querySelector('.st-key-plane_canvas .cvz-plot'))"
        ".touchAction"
    )
    assert style == "none"


def test_a_tap_on_a_touch_screen_adds_a_point(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, has_touch=True)
    try:
        page = context.new_page()
        plot = open_plane(page, server, pts=SQUARE, beta="0.1")
        page.touchscreen.tap(*plot.pixel(-0.3, 0.6))
        wait_for_count(page, 5)
        assert near(url_points(page)[-1], (-0.3, 0.6), plot.tolerance(2.0))
        assert_no_errors(page)
    finally:
        context.close()


def test_on_a_phone_the_plane_fits_the_screen_and_a_tap_adds_a_point(server, browser):
    """390 x 844 with touch (issue 10 item 6): no sideways scrolling of the page, the plot
    area inside the screen and large enough to aim at, a tap adds a point."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    try:
        page = context.new_page()
        plot = open_plane(page, server, pts=SQUARE, beta="0.1")
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths  # nothing wider than the screen
        box = plot.box
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert min(box["width"], box["height"]) >= 150, box
        page.touchscreen.tap(*plot.pixel(-0.3, 0.6))
        wait_for_count(page, 5)
        assert near(url_points(page)[-1], (-0.3, 0.6), plot.tolerance(3.0))
        assert_no_errors(page)
    finally:
        context.close()


# ---------------------------------------------------------------- the preview fast path


def test_a_clicks_fit_is_drawn_from_the_preview_quickly_at_n_20(server, page):
    points = random_plane_points(20, 5)
    plot = open_plane(page, server, pts=format_plane_points(points), beta="0.05")
    spots = [(0.05, 0.05), (-1.1, 0.35), (0.9, -1.3), (1.4, 1.45), (-0.45, -1.6)]
    spots = [s for s in spots if all(not near(p, s, plot.tolerance(14)) for p in points)]
    for k, (x, y) in enumerate(spots, start=1):
        plot.click(x, y)
        page.wait_for_function(
            "n => window.convexviz.stats.fitLatencies.length >= n", arg=k, timeout=WAIT_MS
        )
        wait_for_count(page, 20 + k)
    recorded = stats(page)
    latencies = [r["ms"] for r in recorded["fitLatencies"]]
    times = recorded["previewTimes"]
    print(
        f"\nplane click -> fit painted at N = 20..{19 + len(spots)}: "
        f"{[round(v) for v in latencies]} ms (median {statistics.median(latencies):.0f}); "
        f"preview fetch {[round(t['fetch']) for t in times]} ms, "
        f"draw {[round(t['draw']) for t in times]} ms"
    )
    assert recorded["previews"] >= len(spots) and recorded["previewErrors"] == 0
    assert recorded["previewsDrawn"] >= 1  # the fast path, not only Streamlit's round trip
    assert statistics.median(latencies) <= GENEROUS * CLICK_BUDGET_MS
    assert_no_errors(page)


def test_under_a_base_url_path_the_plane_preview_moves_with_the_page(page):
    """Served under a path (a lecturer behind a reverse proxy), clicks still preview."""
    proc = start_streamlit("app.py", port := free_port(), base_url_path="lessons/relu")
    if proc is None:
        unavailable("the streamlit server with a base URL path did not start")
    try:
        asked = []
        page.on("request", lambda r: asked.append(urlparse(r.url).path))
        plot = open_plane(page, f"http://127.0.0.1:{port}/lessons/relu", pts=SQUARE, beta="0.1")
        plot.click(0.4, 0.2)
        page.wait_for_function("() => window.convexviz.stats.previewsDrawn >= 1", timeout=WAIT_MS)
        assert stats(page)["previewErrors"] == 0
        assert "/lessons/relu/convexviz/preview/plane" in asked, asked
        assert_no_errors(page)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_plane_preview_route_over_http(server):
    body = json.dumps({"points": [[0, 0, 1], [1, 0, -1], [0, 1, -1]], "params": {"beta": "0.1"}})
    request = urllib.request.Request(
        server + PLANE_PREVIEW_PATH, data=body.encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        reply = json.loads(response.read())
    assert reply["message"] == "" and reply["figure"]["data"]
    bad = urllib.request.Request(server + PLANE_PREVIEW_PATH, data=b"{", method="POST",
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(bad, timeout=30)
    assert error.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(server + PLANE_PREVIEW_PATH, timeout=30)
    assert error.value.code == 405


# ---------------------------------------------------------------- legibility

#: Boxes (left, top, right, bottom in page pixels) of the plane canvas's parts.
MEASURE_JS = """() => {
    const box = (e) => { const b = e.getBoundingClientRect();
        return [b.left, b.top, b.right, b.bottom]; };
    const root = document.querySelector('.st-key-plane_canvas');
    const svg = root.querySelector('.main-svg');
    const texts = [...root.querySelectorAll('text')]
        .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0)
        .map((t) => [t.textContent, box(t)]);
    const legend = root.querySelector('.legend');
    return {canvas: box(root), figure: box(svg), plot: box(root.querySelector('.nsewdrag')),
            legend: legend && box(legend), texts,
            annotations: [...root.querySelectorAll('.annotation')].map((a) => box(a))};
}"""

#: The plot area must stay at least this large (px) at the test's 1400 px wide window.
MIN_PLOT_PX = 300

LEGIBILITY_CASES = [
    *(pytest.param(format_plane_points(p.points), p.beta, id=name)
      for name, p in PLANE_PRESETS.items()),
    pytest.param(format_plane_points(random_plane_points(50, 3)), 0.01, id="random-50"),
    pytest.param(
        ",".join(f"{x}:{y}:{v}" for x, y, v in
                 zip(*np.random.default_rng(2).uniform(-3, 3, (2, 15)).round(3),
                     np.random.default_rng(3).normal(size=15).round(2), strict=True)),
        0.05, id="random-values-15",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("pts", "beta"), LEGIBILITY_CASES)
def test_the_plane_canvas_is_legible(server, page, pts, beta):
    open_plane(page, server, pts=pts, beta=str(beta))
    page.wait_for_timeout(200)  # a late resize (scrollbar) redraws once
    assert_no_errors(page)
    m = page.evaluate(MEASURE_JS)
    plot, figure = m["plot"], m["figure"]
    width, height = plot[2] - plot[0], plot[3] - plot[1]
    assert width >= MIN_PLOT_PX and abs(width - height) <= 2, plot  # not squeezed, square
    assert m["legend"] is not None and not overlap(m["legend"], plot), (m["legend"], plot)
    assert inside(m["legend"], figure) and inside(figure, m["canvas"])
    cut = [(t, [round(v) for v in b]) for t, b in m["texts"] if not inside(b, figure)]
    assert not cut, cut
    assert all(inside(a, figure) for a in m["annotations"])
