"""Helpers of the browser tests: open the app, convert canvas pixels to data, read the URL."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, parse_qsl, urlencode, urlparse

import pytest

from convexviz.ui.state import parse_points_param
from tests.streamlit_server import ROOT

WAIT_MS = 30_000
#: Run before the page's scripts: the canvas records its counters (canvas.js, ``stats``).
DEBUG_SCRIPT = "window.convexviz = Object.assign(window.convexviz || {}, {debug: true});"


def unavailable(reason: str) -> None:
    if os.environ.get("CONVEXVIZ_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but {reason}")
    pytest.skip(reason)


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


def wait_until_moved(page, plot, old: str, new: tuple[float, float], count: int) -> None:
    """Wait until the URL no longer has the point ``old`` (``"x:y"``), then check that it
    holds ``count`` points, one of them within 2 px of ``new``."""
    page.wait_for_function(
        "old => !(new URLSearchParams(location.search).get('pts') || '').includes(old)",
        arg=old,
        timeout=WAIT_MS,
    )
    points = url_points(page)
    assert len(points) == count
    assert any(near(p, new, plot.tolerance(2.0)) for p in points), points


def assert_no_errors(page) -> None:
    text = page.locator("[data-testid='stAppViewContainer']").inner_text()
    assert "Traceback" not in text and "Error:" not in text
    assert page.locator("[data-testid='stException']").count() == 0


def lesson_links() -> list[tuple[str, dict[str, str]]]:
    """``(lesson, query)`` of every row of README.md's "Lesson links" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Lesson links", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| `(http[^`]+)` \|$", section, flags=re.MULTILINE)
    return [(lesson, dict(parse_qsl(urlparse(url).query))) for lesson, url in rows]


def plane_lesson_links() -> list[tuple[str, dict[str, str]]]:
    """``(lesson, query)`` of every row of README.md's "Lesson links in the plane" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Lesson links in the plane", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| `(http[^`]+)` \|$", section, flags=re.MULTILINE)
    assert all(urlparse(url).path == "/plane" for _, url in rows)
    return [(lesson, dict(parse_qsl(urlparse(url).query))) for lesson, url in rows]


def rect(box: dict) -> tuple[float, float, float, float]:
    """A Playwright bounding box as ``(left, top, right, bottom)``."""
    return box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]


def inside(inner, outer, tol: float = 1.0) -> bool:
    """Whether the rectangle ``inner`` lies in ``outer`` (``(l, t, r, b)``, ``tol`` pixels)."""
    return (
        inner[0] >= outer[0] - tol
        and inner[1] >= outer[1] - tol
        and inner[2] <= outer[2] + tol
        and inner[3] <= outer[3] + tol
    )


def overlap(a, b) -> bool:
    """Whether two rectangles ``(l, t, r, b)`` share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
