"""Shared fixtures of the browser tests: a ``streamlit run`` server, Debian chromium, a page.

Without chromium or a working server the browser tests are skipped, unless
``CONVEXVIZ_REQUIRE_BROWSER=1`` (CI), where they fail. Non-browser tests never start either.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import DEBUG_SCRIPT, unavailable
from tests.streamlit_server import CHROMIUM_ARGS, ROOT, free_port, start_streamlit

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CONVEXVIZ_CHROMIUM", "/usr/bin/chromium")


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Save a screenshot of a failed browser test's page to tests/artifacts/<test>.png."""
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{item.name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a closed page must not hide the real failure
            pass


@pytest.fixture
def canvas_debug(page):
    """The test's page with the canvas's debug records on (``window.convexviz.stats``);
    request it with ``pytestmark = pytest.mark.usefixtures("canvas_debug")``."""
    page.add_init_script(DEBUG_SCRIPT)
    return page
