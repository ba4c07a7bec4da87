"""First load in a real browser: what is transferred, compressed, and which Plotly.js runs."""

from __future__ import annotations

import gzip
import urllib.request

import pytest

from convexviz.ui.canvas import plotly_bundle
from tests.browser import open_app

pytestmark = pytest.mark.browser

#: Issue 10's budget for a first load (an empty cache), in bytes on the wire.
FIRST_LOAD_BUDGET = 3_500_000


def fetch(url: str) -> tuple[str | None, bytes]:
    """The Content-Encoding and the body as sent, for a client that accepts gzip."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Content-Encoding"), response.read()


def test_a_cold_first_load_stays_within_budget_and_the_page_runs_the_chosen_bundle(
    browser, server
):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes, urls = {}, {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    open_app(page, server, pts="0:0,1:1,2:0,3:2", act="relu", depth="3")
    page.wait_for_timeout(1500)
    total = sum(sizes.values())
    scripts = {r["url"]: r for k, r in urls.items() if r["url"].endswith(".js")}
    context.close()
    assert total <= FIRST_LOAD_BUDGET, f"{total / 1e6:.2f} MB transferred"
    bundle = plotly_bundle()
    (plotly,) = [r for u, r in scripts.items() if u.endswith("/" + bundle.name)]
    static = [r for u, r in scripts.items() if "/static/js/" in u]
    large = [r for r in static if int(r["headers"].get("content-length", 0)) >= 1024]
    assert len(large) >= 10  # the frontend's scripts (smaller ones are sent as they are)
    assert all(r["headers"].get("content-encoding") == "gzip" for r in large), [
        r["url"] for r in large if r["headers"].get("content-encoding") != "gzip"
    ]
    assert plotly["headers"].get("content-encoding") == "gzip"


def test_static_files_are_compressed_once_and_still_decode(server):
    page_html = urllib.request.urlopen(server, timeout=30).read().decode()
    script = next(p for p in page_html.split('"') if p.startswith("./static/js/index"))
    url = f"{server}/{script[2:]}"
    first_encoding, first = fetch(url)
    second_encoding, second = fetch(url)
    assert first_encoding == second_encoding == "gzip" and first == second
    plain = urllib.request.urlopen(url, timeout=30).read()  # a client without gzip
    assert gzip.decompress(first) == plain
