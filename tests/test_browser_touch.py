"""The 1-D page on a phone (issue 10, item 6): touch edits the canvas, the page fits 390 px.

A Playwright context with touch emulation (iPhone-sized: 390 x 844 CSS pixels, device scale
factor 3, ``is_mobile``, ``has_touch``). Fingers are Chrome DevTools touch events
(``Input.dispatchTouchEvent``): they go through the browser's own gesture handling, so a
swipe the page does not claim scrolls it and a pinch zooms it, as on a phone. Every test that
says "the page did not scroll" first shows, on the title, that the same swipe does scroll.
"""

from __future__ import annotations

import pytest

from tests.browser import (
    WAIT_MS,
    assert_no_errors,
    near,
    open_app,
    url_points,
    wait_for_count,
    wait_until_moved,
)

pytestmark = pytest.mark.browser

OPT = "0:0,4:0,5:0,7:2,10:3,11:3"
SETTINGS = {"act": "relu", "depth": "2", "beta": "0.001"}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
#: Records the pointer type of every press on the page (``window.pointerTypes``).
RECORD_POINTERS = """
window.pointerTypes = [];
document.addEventListener("pointerdown", (e) => window.pointerTypes.push(e.pointerType), true);
"""
#: Streamlit scrolls this element, not the window.
SCROLLER = "document.querySelector(\"[data-testid='stMain']\")"


@pytest.fixture(scope="module")
def phone(browser):
    ctx = browser.new_context(**PHONE)
    yield ctx
    ctx.close()


@pytest.fixture
def page(phone):
    """A phone's page (overrides conftest's ``page``, whose failure screenshots still apply)."""
    pg = phone.new_page()
    pg.add_init_script(RECORD_POINTERS)
    yield pg
    pg.close()


class Finger:
    """One or two fingers on the touch screen, in CSS pixels of the viewport."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def _send(self, kind: str, points: list[tuple[float, float]]) -> None:
        touch_points = [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    def tap(self, x: float, y: float, wobble: float = 0.0) -> None:
        """Touch, move ``wobble`` pixels (a finger is never still), lift."""
        self._send("touchStart", [(x, y)])
        if wobble:
            self._send("touchMove", [(x + wobble, y)])
        self._send("touchEnd", [])

    def swipe(self, start, end, steps: int = 12) -> None:
        """Touch at ``start``, move in ``steps`` frames to ``end``, lift."""
        self.gesture([start], [end], steps)

    def pinch(self, centre, gap_from: float, gap_to: float, steps: int = 12) -> None:
        """Two fingers ``gap_from`` apart, spread to ``gap_to`` (horizontally)."""
        (x, y) = centre
        self.gesture(
            [(x - gap_from / 2, y), (x + gap_from / 2, y)],
            [(x - gap_to / 2, y), (x + gap_to / 2, y)],
            steps,
        )

    def gesture(self, starts, ends, steps: int, lift: str = "touchEnd") -> None:
        """Fingers down at ``starts``, moved in ``steps`` frames to ``ends``, then ``lift``
        (``"touchCancel"``: the system took the touch over, as for an incoming call)."""
        self._send("touchStart", starts)
        for k in range(1, steps + 1):
            t = k / steps
            at = [
                (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
                for a, b in zip(starts, ends, strict=True)
            ]
            self._send("touchMove", at)
            self.page.wait_for_timeout(16)  # one frame per move, as a finger
        self._send(lift, [])
        self.page.wait_for_timeout(400)  # let a fling settle before anyone looks


def view(page) -> dict:
    """Where the page is: scroll offsets of the window and Streamlit's scroller, and zoom."""
    return page.evaluate(
        f"""() => ({{scroll: {SCROLLER}.scrollTop, window: window.scrollY,
                     zoom: window.visualViewport.scale}})"""
    )


def reset_view(page) -> None:
    page.evaluate(f"() => {{ {SCROLLER}.scrollTop = 0; window.scrollTo(0, 0); }}")
    page.wait_for_timeout(200)


def open_phone(page, server):
    plot = open_app(page, server, pts=OPT, **SETTINGS)
    reset_view(page)
    return plot


def title_centre(page) -> tuple[float, float]:
    box = page.locator("h1").first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def assert_swipes_scroll_the_page(page, finger) -> None:
    """The control: the same finger moves scroll the page when they start on the title."""
    x, y = title_centre(page)
    finger.swipe((x, y + 60), (x, y - 60))
    assert view(page)["scroll"] > 40, view(page)
    reset_view(page)


# ---------------------------------------------------------------- edits by touch


def test_a_tap_adds_a_point_where_the_finger_was(server, page):
    plot = open_phone(page, server)
    Finger(page).tap(*plot.pixel(2.0, 1.5))
    wait_for_count(page, 7)
    assert near(url_points(page)[-1], (2.0, 1.5), plot.tolerance(2.0))
    assert set(page.evaluate("window.pointerTypes")) == {"touch"}
    assert view(page) == {"scroll": 0, "window": 0, "zoom": 1}


def test_a_tap_that_wobbles_a_little_still_adds(server, page):
    """A finger moves a few pixels while it taps; a mouse's 3 px would lose the tap."""
    plot = open_phone(page, server)
    Finger(page).tap(*plot.pixel(8.5, 0.7), wobble=6)
    wait_for_count(page, 7)
    assert near(url_points(page)[-1], (8.5, 0.7), plot.tolerance(8.0))


def test_a_tap_near_a_point_deletes_it(server, page):
    """A fingertip covers ~10 mm: a tap 14 px beside a point hits it (a click must be
    within 10 px), and once it is gone the same tap adds a point there instead."""
    plot = open_phone(page, server)
    finger = Finger(page)
    beside = plot.pixel(*plot.pixel_offset(7.0, 2.0, dx=14))
    finger.tap(*beside)
    wait_for_count(page, 5)
    assert (7.0, 2.0) not in url_points(page)
    finger.tap(*beside)
    wait_for_count(page, 6)


def test_a_touch_drag_moves_a_point_and_the_page_stays(server, page):
    plot = open_phone(page, server)
    finger = Finger(page)
    assert_swipes_scroll_the_page(page, finger)
    finger.swipe(plot.pixel(10.0, 3.0), plot.pixel(9.0, 1.0), steps=15)
    wait_until_moved(page, plot, "10:3", (9.0, 1.0), count=6)
    assert view(page) == {"scroll": 0, "window": 0, "zoom": 1}
    assert_no_errors(page)


def test_a_drag_the_browser_cancels_leaves_the_point_where_the_finger_was(server, page):
    plot = open_phone(page, server)
    start, end = plot.pixel(10.0, 3.0), plot.pixel(9.0, 1.0)
    Finger(page).gesture([start], [end], steps=15, lift="touchCancel")
    wait_until_moved(page, plot, "10:3", (9.0, 1.0), count=6)
    Finger(page).tap(*plot.pixel(2.0, 1.5))  # and the canvas takes the next tap
    wait_for_count(page, 7)


def test_a_swipe_or_pinch_on_the_plot_neither_scrolls_nor_zooms_the_page(server, page):
    plot = open_phone(page, server)
    finger = Finger(page)
    assert_swipes_scroll_the_page(page, finger)
    centre = plot.pixel((plot.x0 + plot.x1) / 2, (plot.y0 + plot.y1) / 2)
    finger.swipe((centre[0], centre[1] + 80), (centre[0], centre[1] - 80))  # not on a point
    finger.pinch(centre, 40, 200)
    assert view(page) == {"scroll": 0, "window": 0, "zoom": 1}
    page.wait_for_timeout(500)
    assert len(url_points(page)) == 6  # a swipe is not a tap: nothing added
    finger.pinch(title_centre(page), 40, 200)  # the control: elsewhere a pinch zooms
    assert view(page)["zoom"] > 1.5


def test_a_swipe_on_a_panel_figure_scrolls_the_page(server, page):
    """The figures below the canvas fill a phone's screen: a finger on one must still scroll
    the page (Plotly's zoom drag would claim the swipe), and only the PNG button stays."""
    open_phone(page, server)
    finger = Finger(page)
    for key in ("features", "coefficients", "network", "path_figure"):
        drag = page.locator(f".st-key-{key} .nsewdrag").first
        drag.wait_for(timeout=WAIT_MS)
        drag.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box = drag.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        before = view(page)["scroll"]
        finger.swipe((x, y + 50), (x, y - 50))
        assert view(page)["scroll"] - before > 40, key
        buttons = page.locator(f".st-key-{key} .modebar-btn")
        assert buttons.count() == 1 and "PNG" in buttons.first.get_attribute("data-title"), key


# ---------------------------------------------------------------- 390 px wide


def test_the_page_fits_a_390_px_phone(server, page):
    """No sideways scrolling, the sidebar folded away, the canvas as wide as the screen."""
    plot = open_phone(page, server)
    for key in ("features", "network", "path_figure"):  # the panels are drawn
        page.locator(f".st-key-{key} .nsewdrag").first.wait_for(timeout=WAIT_MS)
    sizes = page.evaluate(
        f"""() => {{
            const box = (s) => document.querySelector(s).getBoundingClientRect();
            const sidebar = box("[data-testid='stSidebar']");
            const canvas = box(".st-key-canvas .cvz-canvas");
            return {{page: document.documentElement.scrollWidth, inner: window.innerWidth,
                    main: {SCROLLER}.scrollWidth, mainClient: {SCROLLER}.clientWidth,
                    sidebarRight: sidebar.right, canvasLeft: canvas.left,
                    canvasRight: canvas.right}};
        }}"""
    )
    assert sizes["inner"] == 390
    assert sizes["page"] <= 390 and sizes["main"] <= sizes["mainClient"], sizes
    assert sizes["sidebarRight"] <= 0, sizes  # collapsed: off screen to the left
    assert sizes["canvasLeft"] >= 0 and sizes["canvasRight"] <= 390, sizes
    assert sizes["canvasRight"] - sizes["canvasLeft"] >= 340, sizes  # the width, minus padding
    assert plot.box["width"] >= 240 and plot.box["height"] >= 240, plot.box


def test_wide_panel_figures_keep_their_width_and_scroll_sideways_in_their_box(server, page):
    """The network's labels and the path's legend need ~600 px: narrower they overlap."""
    open_phone(page, server)
    for key in ("network", "path_figure", "features"):
        page.locator(f".st-key-{key} .nsewdrag").first.wait_for(timeout=WAIT_MS)
    widths = page.evaluate(
        """() => Object.fromEntries(["network", "path_figure", "features"].map((key) => {
            const box = document.querySelector(`.st-key-${key}`);
            const svg = box.querySelector(".main-svg").getBoundingClientRect();
            return [key, {svg: svg.width, box: box.clientWidth, scroll: box.scrollWidth}];
        }))"""
    )
    for key in ("network", "path_figure"):
        assert widths[key]["svg"] >= 600 and widths[key]["scroll"] >= 600, widths
        assert widths[key]["box"] <= 390, widths
    # The others fit the screen as they are: no sideways scrolling for them.
    assert widths["features"]["svg"] <= 390 and widths["features"]["scroll"] <= 390, widths
