"""The click canvas in a real browser: Playwright + Debian chromium against `streamlit run`.

Clicks go to pixel positions computed from the plot area (the ``.nsewdrag`` rectangle) and
the axis ranges the canvas reports; results are read back from the URL (``pts``), which the
app updates on every edit. Without chromium or a working server the tests are skipped,
unless ``CONVEXVIZ_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from convexviz.urlstate import parse_points_param
from tests.streamlit_server import CHROMIUM_ARGS, ROOT, free_port, start_streamlit

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CONVEXVIZ_CHROMIUM", "/usr/bin/chromium")
OPT = "0:0,4:0,5:0,7:2,10:3,11:3"
WAIT_MS = 30_000


def unavailable(reason: str) -> None:
    if os.environ.get("CONVEXVIZ_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server():
    proc = start_streamlit("app.py", port := free_port())
    if proc is None:
        unavailable("the streamlit server did not start")
    base = f"http://127.0.0.1:{port}"
    yield base
    proc.kill()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(f"no chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as err:  # noqa: BLE001 - any launch problem means "no browser"
            unavailable(f"chromium did not start: {err}")
        yield b
        b.close()


@pytest.fixture(scope="session")
def context(browser):
    # One context for all tests: Plotly.js (4.6 MB) is fetched and cached once.
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    pg = context.new_page()
    yield pg
    pg.close()


def artifacts_on_failure(test):
    """Save a screenshot of the page to tests/artifacts/ when the test fails."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        try:
            return test(*args, **kwargs)
        except BaseException:
            pg = kwargs.get("page")
            if pg is not None:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                pg.screenshot(path=str(ARTIFACTS / f"{test.__name__}.png"), full_page=True)
            raise

    return wrapper


# ---------------------------------------------------------------- helpers


def open_app(page, server, **query):
    page.goto(f"{server}/?{urlencode(query)}" if query else server)
    page.locator(".st-key-canvas .cvz-canvas[data-ready='1']").wait_for(timeout=WAIT_MS)
    return Plot(page)


class Plot:
    """Pixel <-> data conversion of the canvas, from its plot area and axis ranges."""

    def __init__(self, page):
        self.page = page
        root = page.locator(".st-key-canvas .cvz-canvas")
        self.x0, self.x1 = map(float, root.get_attribute("data-xrange").split(","))
        self.y0, self.y1 = map(float, root.get_attribute("data-yrange").split(","))
        self.box = page.locator(".st-key-canvas .nsewdrag").bounding_box()

    def pixel(self, x: float, y: float) -> tuple[float, float]:
        b = self.box
        px = b["x"] + (x - self.x0) / (self.x1 - self.x0) * b["width"]
        py = b["y"] + (self.y1 - y) / (self.y1 - self.y0) * b["height"]
        return px, py

    def pixel_offset(self, x: float, y: float, dx: float = 0, dy: float = 0):
        """Data coordinates of the spot ``(dx, dy)`` pixels away from ``(x, y)``."""
        tx, ty = self.tolerance(1.0)
        return x + dx * tx, y - dy * ty

    def tolerance(self, pixels: float = 2.0) -> tuple[float, float]:
        return (
            pixels * (self.x1 - self.x0) / self.box["width"],
            pixels * (self.y1 - self.y0) / self.box["height"],
        )

    def click(self, x: float, y: float) -> None:
        self.page.mouse.click(*self.pixel(x, y))


def url_params(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def url_points(page) -> tuple[tuple[float, float], ...]:
    points, problems = parse_points_param(url_params(page).get("pts", ""))
    assert not problems
    return points


def wait_for_count(page, n: int) -> None:
    page.wait_for_function(
        "n => (new URLSearchParams(location.search).get('pts') || '').split(',')"
        ".filter(Boolean).length === n",
        arg=n,
        timeout=WAIT_MS,
    )


def near(point, target, tol) -> bool:
    return abs(point[0] - target[0]) <= tol[0] and abs(point[1] - target[1]) <= tol[1]


def assert_no_errors(page) -> None:
    text = page.locator("[data-testid='stAppViewContainer']").inner_text()
    assert "Traceback" not in text and "Error:" not in text
    assert page.locator("[data-testid='stException']").count() == 0


# ---------------------------------------------------------------- tests


@artifacts_on_failure
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


@artifacts_on_failure
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


@artifacts_on_failure
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
    page.wait_for_function(
        "() => !(new URLSearchParams(location.search).get('pts') || '').includes('10:3')",
        timeout=WAIT_MS,
    )
    points = url_points(page)
    assert len(points) == 6
    assert any(near(p, (9.0, 1.0), plot.tolerance(2.0)) for p in points), points
    page.wait_for_function(
        "a => document.querySelector('.st-key-canvas .cvz-canvas').dataset.drawnAck !== a",
        arg=ack_before,
        timeout=WAIT_MS,
    )


@artifacts_on_failure
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


@artifacts_on_failure
def test_shared_url_restores_points_and_settings(server, page):
    query = {"pts": "0:0,1:1,2:0,3:1.5,4:0.5", "act": "abs", "depth": "2", "beta": "0.01"}
    open_app(page, server, **query)
    assert url_params(page) == query
    drawn = page.locator(".st-key-canvas .cvz-canvas").get_attribute("data-points")
    assert drawn == "[[0,0],[1,1],[2,0],[3,1.5],[4,0.5]]"
    assert page.get_by_role("combobox", name="Activation").input_value() == "absolute value |u|"
    assert "0.01" in page.locator("[data-testid='stSidebar']").inner_text()
    assert_no_errors(page)


@artifacts_on_failure
def test_switching_to_abs_depth_3_shows_a_reflection_feature(server, page):
    # ReLU nets of any depth have no reflections at depth 3; abs nets use them here.
    open_app(page, server, pts=OPT, act="relu", depth="3", beta="0.001")
    page.get_by_role("combobox", name="Activation").click()
    page.get_by_role("option", name="absolute value |u|").click()
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('act') === 'abs'", timeout=WAIT_MS
    )
    chart_text = page.locator("[data-testid='stPlotlyChart'] .legendtext")
    chart_text.filter(has_text="reflection").first.wait_for(timeout=WAIT_MS)
    assert_no_errors(page)


@artifacts_on_failure
def test_main_view_screenshot_for_the_readme(server, page):
    open_app(page, server, pts=OPT, act="relu", depth="4", beta="0.001")
    page.wait_for_timeout(1500)  # let the panels below finish drawing
    assert_no_errors(page)
    (ROOT / "assets").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "assets" / "screenshot.png"))
