"""The click canvas in a real browser: Playwright + Debian chromium against `streamlit run`.

Clicks go to pixel positions computed from the plot area (the ``.nsewdrag`` rectangle) and
the axis ranges the canvas reports; results are read back from the URL (``pts``), which the
app updates on every edit. The preview fast path (``convexviz/ui/preview.py``) is checked
through the canvas's test hooks (``window.convexviz.stats`` counters, recorded in debug mode,
which the ``page`` fixture below turns on), the fit curve in its Plotly
chart (compared with a fit computed here with the package), and plain HTTP requests to the
route. Without chromium or a working server the tests are skipped, unless
``CONVEXVIZ_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlparse

import numpy as np
import pytest

from convexviz import Architecture, fit, plot_style
from convexviz.ui.preview import MAX_REQUEST_BYTES, PREVIEW_PATH
from tests.browser import (
    WAIT_MS,
    assert_no_errors,
    inside,
    lesson_links,
    near,
    open_app,
    overlap,
    rect,
    unavailable,
    url_params,
    url_points,
    wait_for_count,
    wait_until_moved,
)
from tests.streamlit_server import free_port, start_streamlit

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("canvas_debug")]

OPT = "0:0,4:0,5:0,7:2,10:3,11:3"
SETTINGS = {"act": "relu", "depth": "2", "beta": "0.001"}
FIT_TRACE = "optimal network f(x)"


# ---------------------------------------------------------------- helpers


def counters(page) -> dict:
    """The canvas's test hooks (``window.convexviz.stats``): counters and latency lists."""
    return page.evaluate("() => JSON.parse(JSON.stringify(window.convexviz.stats))")


def wait_for_counters(page, condition: str) -> None:
    """Wait until the JS expression ``condition`` over the counters ``c`` holds."""
    page.wait_for_function(f"() => {{ const c = window.convexviz.stats; return {condition}; }}",
                           timeout=WAIT_MS)  # fmt: skip


def shown_points(page) -> list[list[float]]:
    return json.loads(page.locator(".st-key-canvas .cvz-canvas").get_attribute("data-points"))


def drawn_fit(page) -> tuple[list[float], list[float]]:
    """The fit curve in Plotly's chart of the canvas (``x``, ``y`` of the trace)."""
    return tuple(
        page.evaluate(
            """name => {
                const t = document.querySelector('.st-key-canvas .cvz-plot').data
                    .find((t) => t.name === name);
                return t ? [Array.from(t.x), Array.from(t.y)] : [[], []];
            }""",
            FIT_TRACE,
        )
    )


def canvas_keys(page) -> dict:
    """Keys of the curves drawn, adopted, and last sent by the session (canvas internals)."""
    return page.evaluate(
        """() => {
            const c = document.querySelector('.st-key-canvas .cvz-canvas')
                .parentElement.__convexvizCanvas;
            return {drawn: c.chart.drawn.key, display: c.fit.key, server: c.server.key};
        }"""
    )


def record_redraws(page) -> None:
    """From now on, log the fit curve of every ``Plotly.react`` into ``window.__reacts``."""
    page.evaluate(
        """name => {
            window.__reacts = [];
            const react = window.Plotly.react;
            window.Plotly.react = function (gd, traces, ...rest) {
                const t = traces.find((t) => t.name === name);
                window.__reacts.push(t ? Array.from(t.y) : null);
                return react.call(this, gd, traces, ...rest);
            };
        }""",
        FIT_TRACE,
    )


def expected_fit(points, settings: dict[str, str] = SETTINGS):
    """The fit of ``points``, computed here (independently of the server) with the package."""
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    arch = Architecture(settings["act"], int(settings["depth"]))
    return fit(xy[:, 0], xy[:, 1], arch, float(settings["beta"])), xy


def assert_fit_drawn_for(page, points, settings: dict[str, str] = SETTINGS) -> None:
    """The chart's fit curve, read at the points' x values, is the fit of ``points``.

    The payload keeps six significant digits of x and f(x); between its grid points the
    curve is linear (every breakpoint is on the grid), so interpolation is exact up to that.
    """
    result, xy = expected_fit(points, settings)
    cx, cy = drawn_fit(page)
    assert cx, "no fit curve drawn"
    want = result.predict(xy[:, 0])
    got = np.interp(xy[:, 0], np.asarray(cx, dtype=float), np.asarray(cy, dtype=float))
    np.testing.assert_allclose(got, want, atol=1e-3, rtol=1e-4)


def post(server, body: bytes, method: str = "POST") -> tuple[int, dict]:
    """Status and JSON answer of the preview route (errors included)."""
    req = urllib.request.Request(f"{server}{PREVIEW_PATH}", data=body, method=method,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, text = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, {"raw": text.decode(errors="replace")}


# ---------------------------------------------------------------- tests


def test_clicks_add_points_at_the_clicked_coordinates(server, page):
    plot = open_app(page, server, pts=OPT, act="relu", depth="2", beta="0.001")
    targets = [(2.0, 1.5), (8.5, 0.7)]
    for k, (x, y) in enumerate(targets, start=1):
        plot.click(x, y)
        wait_for_count(page, 6 + k)
    points = url_points(page)
    tol = plot.tolerance(2.0)
    for target, got in zip(targets, points[-2:], strict=True):
        assert near(got, target, tol), (got, target, tol)
    # The panels below follow once the clicking pauses: same neuron count as the summary.
    page.wait_for_function(
        """() => {
            const s = document.querySelector("[data-testid='stAlertContentSuccess']");
            const h = [...document.querySelectorAll("h3")].find(
                (e) => e.innerText.startsWith("The rebuilt network"));
            if (!s || !h || !s.innerText.startsWith("8 points")) return false;
            return h.innerText.match(/\\d+/)[0] === s.innerText.match(/(\\d+) neuron/)[1];
        }""",
        timeout=WAIT_MS,
    )
    assert_no_errors(page)


def test_click_on_a_point_deletes_it(server, page):
    plot = open_app(page, server, pts=OPT, act="relu", depth="2", beta="0.001")
    plot.click(7.0, 2.0)
    wait_for_count(page, 5)
    assert (7.0, 2.0) not in url_points(page)
    plot.click(7.0, 2.0)  # the point is gone, so the same click now adds it again
    wait_for_count(page, 6)
    assert near(url_points(page)[-1], (7.0, 2.0), plot.tolerance(2.0))
    plot.click(*plot.pixel_offset(7.0, 2.0, dx=6))  # 6 px away: still a hit, deletes it
    wait_for_count(page, 5)


def test_drag_moves_a_point_and_the_fit_follows(server, page):
    plot = open_app(page, server, pts=OPT, act="relu", depth="2", beta="0.001")
    ack_before = page.locator(".st-key-canvas .cvz-canvas").get_attribute("data-ack")
    start, end = plot.pixel(10.0, 3.0), plot.pixel(9.0, 1.0)
    page.mouse.move(*start)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(start[0] + (end[0] - start[0]) * k / 10,
                        start[1] + (end[1] - start[1]) * k / 10)  # fmt: skip
    page.mouse.up()
    wait_until_moved(page, plot, "10:3", (9.0, 1.0), count=6)
    page.wait_for_function(
        "a => document.querySelector('.st-key-canvas .cvz-canvas').dataset.drawnAck !== a",
        arg=ack_before,
        timeout=WAIT_MS,
    )


def test_fifteen_fast_clicks_lose_nothing(server, page):
    plot = open_app(page, server, pts=OPT, act="relu", depth="3", beta="0.001")
    targets = [(-1.5 + 0.95 * k, 0.6 + 0.25 * (k % 4)) for k in range(15)]  # off the data
    for x, y in targets:
        plot.click(x, y)  # no waiting: edits fold into the next snapshot
    wait_for_count(page, 6 + 15)
    points = url_points(page)
    tol = plot.tolerance(2.0)
    for target in targets:
        assert any(near(p, target, tol) for p in points), target
    # The canvas shows the acknowledged state: every point drawn, fit for all of them.
    page.wait_for_function(
        "() => JSON.parse(document.querySelector('.st-key-canvas .cvz-canvas')"
        ".dataset.points).length === 21",
        timeout=WAIT_MS,
    )


def test_shared_url_restores_points_and_settings(server, page):
    query = {"pts": "0:0,1:1,2:0,3:1.5,4:0.5", "act": "abs", "depth": "2", "beta": "0.01"}
    open_app(page, server, **query)
    assert url_params(page) == query
    drawn = page.locator(".st-key-canvas .cvz-canvas").get_attribute("data-points")
    assert drawn == "[[0,0],[1,1],[2,0],[3,1.5],[4,0.5]]"
    assert page.get_by_role("combobox", name="Activation").input_value() == "absolute value |u|"
    assert "0.01" in page.locator("[data-testid='stSidebar']").inner_text()
    assert_no_errors(page)


def test_switching_to_abs_depth_3_shows_a_reflection_feature(server, page):
    # ReLU nets of any depth have no reflections at depth 3; abs nets use them here.
    open_app(page, server, pts=OPT, act="relu", depth="3", beta="0.001")
    page.get_by_role("combobox", name="Activation").click()
    page.get_by_role("option", name="absolute value |u|").click()
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('act') === 'abs'", timeout=WAIT_MS
    )
    chart_text = page.locator(".st-key-features .legendtext")
    chart_text.filter(has_text="reflection").first.wait_for(timeout=WAIT_MS)
    assert_no_errors(page)


def test_click_fit_is_drawn_from_the_preview_and_kept_after_the_ack(server, page):
    plot = open_app(page, server, pts=OPT, **SETTINGS)
    old_points = shown_points(page)
    record_redraws(page)
    plot.click(2.0, 1.5)
    wait_for_counters(page, "c.previewsDrawn >= 1 && c.fitLatencies.length >= 1")
    points = shown_points(page)
    assert len(points) == 7 and near(points[-1], (2.0, 1.5), plot.tolerance(2.0)), points
    assert_fit_drawn_for(page, points)
    # The check discriminates: the fit before the click is far from the new point.
    old, _ = expected_fit(old_points)
    assert abs(old.predict(np.array([points[-1][0]]))[0] - points[-1][1]) > 1.0
    preview_curve = drawn_fit(page)
    preview_key = counters(page)["fitLatencies"][0]["key"]
    # The session acknowledges the same points later: same key, nothing redrawn.
    page.wait_for_function(
        "() => document.querySelector('.st-key-canvas .cvz-canvas').dataset.drawnAck",
        timeout=WAIT_MS,
    )
    wait_for_count(page, 7)
    c = counters(page)
    assert c["previews"] >= 1 and c["previewErrors"] == 0, c
    assert len(c["latencies"]) >= 1, c
    assert canvas_keys(page) == dict.fromkeys(("drawn", "display", "server"), preview_key)
    assert drawn_fit(page) == preview_curve
    reacts = page.evaluate("() => window.__reacts")
    assert reacts and all(y == preview_curve[1] for y in reacts), len(reacts)
    assert_no_errors(page)


def test_under_a_base_url_path_the_preview_route_moves_with_the_page(page):
    """Served under a path (a lecturer behind a reverse proxy), clicks still preview."""
    proc = start_streamlit("app.py", port := free_port(), base_url_path="lessons/relu")
    if proc is None:
        unavailable("the streamlit server with a base URL path did not start")
    try:
        asked = []
        page.on("request", lambda r: asked.append(urlparse(r.url).path))
        plot = open_app(page, f"http://127.0.0.1:{port}/lessons/relu", pts=OPT, **SETTINGS)
        plot.click(2.0, 1.5)
        wait_for_counters(page, "c.previewsDrawn >= 1 && c.fitLatencies.length >= 1")
        assert counters(page)["previewErrors"] == 0
        # Under the page's path, so a proxy that forwards only that path forwards it too.
        assert "/lessons/relu/convexviz/preview" in asked, asked
        assert_fit_drawn_for(page, shown_points(page))
        assert_no_errors(page)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_failing_preview_route_falls_back_to_streamlit(server, page):
    refused = []

    def refuse(route):
        refused.append(route.request.url)
        route.fulfill(status=500, body="x")

    page.route(f"**{PREVIEW_PATH}", refuse)
    plot = open_app(page, server, pts=OPT, **SETTINGS)
    plot.click(2.0, 1.5)
    wait_for_count(page, 7)
    assert near(url_points(page)[-1], (2.0, 1.5), plot.tolerance(2.0)), url_points(page)
    wait_for_counters(page, "c.latencies.length >= 1 && c.fitLatencies.length >= 1")
    c = counters(page)
    assert refused and c["previewErrors"] >= 1 and c["previewsDrawn"] == 0, c
    assert_fit_drawn_for(page, url_points(page))
    assert_no_errors(page)


def test_while_dragging_the_fit_follows_through_previews(server, page):
    plot = open_app(page, server, pts=OPT, **SETTINGS)
    start, mid, end = plot.pixel(10.0, 3.0), plot.pixel(9.5, 2.0), plot.pixel(9.0, 1.0)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*mid, steps=8)
    wait_for_counters(page, "c.previewsDrawn >= 1")  # the mouse is still down
    drawn_mid = counters(page)["previewsDrawn"]
    page.mouse.move(*end, steps=8)
    # Still holding: the curve drawn goes through the point under the mouse, (9, 1),
    # where the fit before the drag was 2.67.
    page.wait_for_function(
        """name => {
            const t = document.querySelector('.st-key-canvas .cvz-plot').data
                .find((t) => t.name === name);
            const i = t ? t.x.findIndex((x) => x >= 9) : -1;
            if (i < 1) return false;
            const s = (t.y[i] - t.y[i - 1]) / (t.x[i] - t.x[i - 1]);
            return Math.abs(t.y[i - 1] + s * (9 - t.x[i - 1]) - 1) < 0.1;
        }""",
        arg=FIT_TRACE,
        timeout=WAIT_MS,
    )
    c = counters(page)
    assert c["previewsDrawn"] > drawn_mid and c["previewErrors"] == 0, c
    assert "10:3" in url_params(page)["pts"]  # no snapshot yet: the fit came from previews
    page.mouse.up()
    wait_until_moved(page, plot, "10:3", (9.0, 1.0), count=6)


def test_preview_route_over_http(server):
    params = dict(SETTINGS)
    ranges = {"x": [-1.0, 12.0], "y": [-1.0, 4.0]}
    points = [[0, 0], [4, 0], [5, 0], [7, 2], [10, 3], [11, 3]]
    status, reply = post(server, json.dumps({"points": points, "params": params,
                                             "ranges": ranges}).encode())  # fmt: skip
    assert status == 200, reply
    assert set(reply) == {"points", "curves", "ranges", "key", "message"}
    assert reply["curves"]["fit"] and isinstance(reply["key"], str) and reply["key"]
    assert reply["ranges"] == ranges and reply["points"] == points
    result, xy = expected_fit(points)
    got = np.interp(xy[:, 0], reply["curves"]["x"], reply["curves"]["fit"])
    np.testing.assert_allclose(got, result.predict(xy[:, 0]), atol=1e-3, rtol=1e-4)

    def bad(body: bytes) -> None:
        status, reply = post(server, body)
        assert status == 400 and isinstance(reply.get("error"), str) and reply["error"], reply

    bad(b"{not json")
    bad(b"[1, 2, 3]")
    bad(json.dumps({"points": points, "params": {**params, "depth": "x"}}).encode())
    bad(json.dumps({"points": points, "params": {**params, "act": "nope"}}).encode())
    pad = "x" * (MAX_REQUEST_BYTES + 1000)
    bad(json.dumps({"points": points, "params": params, "pad": pad}).encode())


def test_preview_route_refuses_get_with_405(server):
    """Not the page: Streamlit's catch-all would answer a GET with index.html and 200."""
    status, reply = post(server, None, method="GET")
    assert status == 405 and reply.get("error") == "use POST", reply


def test_pending_marks_are_drawn_at_once_and_cleared_by_the_redraw(server, page):
    plot = open_app(page, server, pts=OPT, **SETTINGS)
    page.evaluate(
        """() => {
            window.__marks = [];
            const svg = document.querySelector('.st-key-canvas svg.cvz-pending');
            new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(
                (n) => {
                    const box = svg.getBoundingClientRect();
                    window.__marks.push({cls: n.getAttribute('class'),
                        x: box.left + Number(n.getAttribute('cx')),
                        y: box.top + Number(n.getAttribute('cy'))});
                }))).observe(svg, {childList: true});
        }"""
    )
    pending = page.locator(".st-key-canvas svg.cvz-pending")
    for k, (x, y, cls) in enumerate([(2.0, 1.5, "cvz-added"), (7.0, 2.0, "cvz-removed")], 1):
        plot.click(x, y)
        wait_for_counters(page, f"c.fitLatencies.length >= {k} && c.latencies.length >= {k}")
        assert pending.count() == 1
        assert pending.evaluate("svg => svg.childElementCount") == 0
        marks = page.evaluate("() => window.__marks")
        px, py = plot.pixel(x, y)
        # The click was marked at once, where it happened (within a pixel or two).
        assert any(m["cls"] == cls and abs(m["x"] - px) < 2.5 and abs(m["y"] - py) < 2.5
                   for m in marks), (marks, px, py)  # fmt: skip
    wait_for_count(page, 6)


def test_a_burst_of_adds_deletes_and_drags_ends_consistent(server, page):
    """Edits faster than any reply (previews, snapshots and acks all interleave): at the
    end the canvas, the URL and the session agree, and the curve on screen is the fit of
    the points on screen, never an older one."""
    plot = open_app(page, server, pts=OPT, **SETTINGS)
    rng = np.random.default_rng(11)
    for step in range(14):
        points = shown_points(page)
        if step % 4 == 3 and len(points) > 3:  # delete a point
            px, py = plot.pixel(*points[int(rng.integers(len(points)))])
            page.mouse.click(px, py)
        elif step % 4 == 1:  # drag a point somewhere else, quickly
            px, py = plot.pixel(*points[int(rng.integers(len(points)))])
            tx, ty = plot.pixel(float(rng.uniform(0.5, 10.5)), float(rng.uniform(0.2, 2.8)))
            page.mouse.move(px, py)
            page.mouse.down()
            page.mouse.move(tx, ty, steps=4)
            page.mouse.up()
        else:  # add a point
            page.mouse.click(
                *plot.pixel(float(rng.uniform(0.5, 10.5)), float(rng.uniform(0.2, 2.8)))
            )
        page.wait_for_timeout(int(rng.integers(0, 60)))
    # Settled: nothing in flight, the session has acknowledged the last snapshot.
    page.wait_for_function(
        """() => {
            const c = document.querySelector('.st-key-canvas .cvz-canvas')
                .parentElement.__convexvizCanvas;
            return c.sync.idle && !c.preview.busy && c.server
                && c.chart.drawn.key === c.server.key;
        }""",
        timeout=WAIT_MS,
    )
    shown = shown_points(page)
    url = [list(p) for p in url_points(page)]
    assert len(shown) == len(url) and np.allclose(shown, url), (shown, url)
    assert_fit_drawn_for(page, shown)
    keys = canvas_keys(page)
    assert keys["drawn"] == keys["display"] == keys["server"], keys
    c = counters(page)
    assert c["previewErrors"] == 0 and c["resent"] == 0, c
    assert not page.locator(".st-key-canvas .cvz-pending").evaluate("e => e.children.length")
    assert_no_errors(page)


def figure_trace_names(page, key: str) -> list[str]:
    """Names of the traces Plotly drew in the panel figure ``key`` (figure.js)."""
    return page.evaluate(
        "k => { const f = document.querySelector(`.st-key-${k} .cvz-figure`);"
        " return f && f.data ? f.data.map((t) => t.name) : []; }",
        key,
    )


def test_panel_figures_are_drawn_and_follow_the_dictionary_toggle(server, page):
    open_app(page, server, pts=OPT, act="abs", depth="3", beta="0.001", dict="1")
    page.wait_for_function(
        """() => ['features', 'coefficients', 'network'].every((k) => {
            const f = document.querySelector(`.st-key-${k} .cvz-figure`);
            return f && f.data && f.data.length; })""",
        timeout=WAIT_MS,
    )
    names = figure_trace_names(page, "features")
    assert names[0].startswith("dictionary (") and "data" in names
    assert any(n.startswith("mirror ") for n in names)  # the reflection's construction
    page.get_by_text("Show the whole dictionary faintly").click()
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('dict') === null", timeout=WAIT_MS
    )
    page.wait_for_function(
        """() => { const f = document.querySelector('.st-key-features .cvz-figure');
            return f.data && !f.data[0].name.startsWith('dictionary'); }""",
        timeout=WAIT_MS,
    )
    assert figure_trace_names(page, "features")[1:] != []
    assert_no_errors(page)


# ---------------------------------------------------------------- legend and style


def lesson_queries() -> list[dict[str, str]]:
    """The query of every link in README.md's "Lesson links" table."""
    return [query for _, query in lesson_links()]


def boxes(page) -> dict[str, dict]:
    """Bounding boxes of the canvas, its legend and its plot area (``.nsewdrag``)."""
    return {
        name: page.locator(f".st-key-canvas {selector}").bounding_box()
        for name, selector in [("canvas", ".cvz-canvas"), ("legend", ".legend"),
                               ("plot", ".nsewdrag")]
    }  # fmt: skip


def test_the_readme_has_lesson_links():
    queries = lesson_queries()
    assert len(queries) >= 5 and all("pts" in q and "act" in q for q in queries), queries


def assert_legend_outside_the_plot_area(page, query: dict[str, str]) -> None:
    """The canvas legend is above the plot area and inside the canvas, all entries shown."""
    page.locator(".st-key-canvas .cvz-legend-item").first.wait_for(timeout=WAIT_MS)
    box = boxes(page)
    assert box["legend"]["width"] > 0 and box["legend"]["height"] > 0, (query, box)
    legend, plot, canvas = rect(box["legend"]), rect(box["plot"]), rect(box["canvas"])
    assert not overlap(legend, plot), (query, box)
    assert inside(legend, canvas, tol=0) and inside(plot, canvas, tol=0), (query, box)
    shown = [e.inner_text() for e in page.locator(".st-key-canvas .cvz-legend-item").all()
             if e.is_visible()]  # fmt: skip
    assert shown == ["training points", "optimal network f(x)", "active features"], query


def test_canvas_legend_stays_outside_the_plot_area_on_every_lesson(server, page):
    """It never covers a training point or the space a student clicks into."""
    for query in lesson_queries():
        open_app(page, server, **query)
        assert_legend_outside_the_plot_area(page, query)
    assert_no_errors(page)


@pytest.mark.parametrize("width", [420, 700])
def test_canvas_legend_wraps_above_the_plot_area_on_narrow_screens(server, page, width):
    page.set_viewport_size({"width": width, "height": 1000})
    query = lesson_queries()[0]
    open_app(page, server, **query)
    assert_legend_outside_the_plot_area(page, query)
    if width == 420:  # a phone: the legend needs more than one row
        rows = {round(e.bounding_box()["y"])
                for e in page.locator(".st-key-canvas .cvz-legend-item").all()}  # fmt: skip
        assert len(rows) > 1, rows


def test_the_canvas_draws_with_the_figures_style(server, page):
    """Colours, fonts and margins on screen are plot_style's (the one style source)."""
    open_app(page, server, pts="0:1,1:0,3:2,4:1", act="abs", depth="3", beta="0.001")
    drawn = page.evaluate(
        """() => {
            const plot = document.querySelector('.st-key-canvas .cvz-plot');
            const full = plot._fullLayout;
            const legend = getComputedStyle(document.querySelector('.st-key-canvas .legend'));
            return {
                font: {size: full.font.size, family: full.font.family, color: full.font.color},
                margin: {l: full.margin.l, r: full.margin.r, t: full.margin.t, b: full.margin.b},
                traces: plot.data.map((t) => ({name: t.name, line: t.line, marker: t.marker})),
                legendFont: {size: legend.fontSize, family: legend.fontFamily},
            };
        }"""
    )
    assert drawn["font"] == plot_style.FONT
    assert drawn["margin"] == plot_style.CANVAS_MARGIN
    assert drawn["legendFont"]["size"] == f"{plot_style.LEGEND['font']['size']}px"
    assert drawn["legendFont"]["family"].startswith(plot_style.FONT["family"].split(",")[0])
    by_name = {}
    for t in drawn["traces"]:
        by_name.setdefault(t["name"], []).append(t)
    (fit_trace,) = by_name["optimal network f(x)"]
    assert fit_trace["line"] == {"color": plot_style.NETWORK_COLOR, "width": plot_style.LINE_WIDTH}
    (points,) = by_name["training points"]
    assert points["marker"] == plot_style.DATA_MARKER
    # This lesson's network is one reflection neuron: drawn in the reflection's colour.
    features = by_name["active features"]
    assert [t["line"]["color"] for t in features] == [plot_style.KIND_COLORS["reflection"]]
    assert features[0]["line"]["width"] == plot_style.CANVAS_FEATURE_LINE["width"]
    assert_no_errors(page)
