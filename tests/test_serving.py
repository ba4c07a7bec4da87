"""First-load serving: compressed-once static files, and the Plotly.js bundle the page loads."""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from convexviz import Architecture, fit
from convexviz.datasets2d import PLANE_PRESETS
from convexviz.network_figure import create_network_figure
from convexviz.optimal_figure import create_alternatives_figure
from convexviz.optimal_set import alternative_optima
from convexviz.plane import fit_plane
from convexviz.plane_figure import create_plane_figure
from convexviz.plots import create_coefficients_figure, create_features_figure, create_fit_figure
from convexviz.ui.canvas import (
    ASSET_DIR,
    PARTIAL_NAME,
    PARTIAL_PACKAGE,
    PLOTLY_JS_NAME,
    REPO_ROOT,
    TRACE_TYPES,
    bundle_trace_types,
    bundle_version,
    plotly_bundle,
    plotly_js_dir,
)
from convexviz.ui.serving import CompressedStatic

SCRIPT = b"function f(){return 1}\n" * 400  # 9.2 kB of compressible JavaScript


class Inner:
    """A stand-in for Streamlit's server: answers every request with ``answer``."""

    def __init__(self, status=200, headers=None, body=SCRIPT):
        self.status, self.body, self.calls = status, body, []
        self.headers = headers or [
            (b"content-type", b"application/javascript"),
            (b"content-length", str(len(body)).encode()),
            (b"etag", b'"abc"'),
            (b"cache-control", b"public, immutable, max-age=31536000"),
        ]

    async def __call__(self, scope, receive, send):
        self.calls.append(scope)
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        half = len(self.body) // 2  # the body in two messages, as a streamed file
        await send({"type": "http.response.body", "body": self.body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": self.body[half:]})


def run(coroutine) -> None:
    """Run ``coroutine`` to the end on its own thread (and loop): other tests may leave an
    event loop running on the main thread."""
    errors = []
    thread = threading.Thread(target=lambda: _run_catching(coroutine, errors))
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _run_catching(coroutine, errors) -> None:
    try:
        asyncio.run(coroutine)
    except Exception as err:  # noqa: BLE001 - re-raised on the test's thread
        errors.append(err)


def get(app, path="/static/js/index.abc.js", method="GET", **headers):
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body


def test_a_static_script_is_compressed_once_then_served_from_memory():
    inner = Inner()
    app = CompressedStatic(inner)
    for _ in range(3):
        status, headers, body = get(app, accept_encoding="gzip, deflate, br")
        assert status == 200
        assert headers[b"content-encoding"] == b"gzip" and headers[b"vary"] == b"Accept-Encoding"
        assert int(headers[b"content-length"]) == len(body) < len(SCRIPT) / 10
        assert gzip.decompress(body) == SCRIPT
        assert headers[b"cache-control"] == b"public, immutable, max-age=31536000"
        assert b"etag" not in headers  # the inner etag names the uncompressed bytes
    assert len(inner.calls) == 1 and app.stats()["compressed"] == 1
    # the inner server was asked without Accept-Encoding (it may not compress on its own)
    assert all(k != b"accept-encoding" for k, _ in inner.calls[0]["headers"])


@pytest.mark.parametrize(
    ("request_kwargs", "inner_kwargs"),
    [
        ({"accept_encoding": "identity"}, {}),  # the client cannot read gzip
        ({}, {}),  # no Accept-Encoding at all
        ({"accept_encoding": "gzip", "range": "bytes=0-10"}, {}),
        ({"accept_encoding": "gzip", "path": "/_stcore/health"}, {}),  # not a static file
        ({"accept_encoding": "gzip", "method": "POST"}, {}),
        ({"accept_encoding": "gzip"}, {"status": 304, "body": b""}),
        ({"accept_encoding": "gzip"}, {"body": b"tiny"}),
        (
            {"accept_encoding": "gzip"},
            {"headers": [(b"content-type", b"font/woff2")], "body": bytes(5000)},
        ),
        (
            {"accept_encoding": "gzip"},
            {"headers": [(b"content-type", b"text/css"), (b"content-encoding", b"br")]},
        ),
    ],
)
def test_everything_else_passes_through_unchanged(request_kwargs, inner_kwargs):
    inner = Inner(**inner_kwargs)
    app = CompressedStatic(inner)
    path = request_kwargs.pop("path", "/static/js/index.abc.js")
    method = request_kwargs.pop("method", "GET")
    status, headers, body = get(app, path, method, **request_kwargs)
    assert status == inner.status and body == inner.body
    assert headers.get(b"content-encoding") != b"gzip"
    assert app.stats()["kept"] == 0


def test_the_table_is_bounded_in_bytes_least_recently_used_first():
    app = CompressedStatic(Inner(), max_bytes=250)  # one compressed script is ~100 bytes
    for name in ("a", "b", "c"):
        get(app, f"/static/js/{name}.js", accept_encoding="gzip")
    stats = app.stats()
    assert stats["compressed"] == 3 and stats["kept"] == 2 and stats["bytes"] <= 250


def test_websockets_pass_through():
    calls = []

    async def inner(scope, receive, send):
        calls.append(scope)

    scope = {"type": "websocket", "path": "/static/x", "headers": []}
    run(CompressedStatic(inner)(scope, None, None))
    assert calls == [scope]


# ---------------------------------------------------------------- the Plotly.js bundle


def fake_partial(root: Path, version: str, types=TRACE_TYPES) -> None:
    folder = root / "node_modules" / "plotly.js-cartesian-dist-min"
    folder.mkdir(parents=True)
    registered = ",".join(f'{{moduleType:"trace",name:"{t}"}}' for t in types)
    banner = f"/** plotly.js (cartesian - minified) v{version} */"
    (folder / PARTIAL_NAME).write_text(banner + registered)


def test_without_the_npm_package_the_page_loads_the_full_bundle(tmp_path):
    bundle = plotly_bundle.__wrapped__(tmp_path)
    assert not bundle.partial and bundle.name == PLOTLY_JS_NAME
    assert bundle.folder == plotly_js_dir() and re.fullmatch(r"\d+\.\d+\.\d+", bundle.version)


def test_a_partial_bundle_of_the_same_version_with_every_trace_type_is_preferred(tmp_path):
    version = bundle_version(plotly_js_dir() / PLOTLY_JS_NAME)
    fake_partial(tmp_path, version)
    assert plotly_bundle.__wrapped__(tmp_path).partial


@pytest.mark.parametrize("problem", ["another version", "no heatmap"])
def test_a_partial_bundle_that_does_not_fit_is_ignored(tmp_path, problem):
    version = bundle_version(plotly_js_dir() / PLOTLY_JS_NAME)
    if problem == "another version":
        fake_partial(tmp_path, "0.0.1")
    else:
        fake_partial(tmp_path, version, [t for t in TRACE_TYPES if t != "heatmap"])
    assert not plotly_bundle.__wrapped__(tmp_path).partial


def test_after_npm_ci_the_page_loads_the_partial_bundle():
    """``.ci/run`` runs ``npm ci`` and sets CONVEXVIZ_REQUIRE_BROWSER: there it must hold."""
    installed = (REPO_ROOT / "node_modules" / PARTIAL_PACKAGE).is_dir()
    if not installed and os.environ.get("CONVEXVIZ_REQUIRE_BROWSER") != "1":
        pytest.skip("the npm packages are not installed (run `npm ci`)")
    bundle = plotly_bundle()
    assert bundle.partial and set(TRACE_TYPES) <= bundle_trace_types(bundle.folder / bundle.name)


def test_every_figure_uses_only_trace_types_of_the_partial_bundle():
    x = np.array([0.0, 1, 2, 3, 4, 5])
    y = np.array([0.0, 1, 0, 2, 1, 3])
    result = fit(x, y, Architecture("relu", 3), 1e-3)
    figures = [
        create_fit_figure(result),
        create_features_figure(result, show_dictionary=True),
        create_coefficients_figure(result),
        create_network_figure(result),
        create_alternatives_figure(result, alternative_optima(result)),
    ]
    for name in ("xor", "line"):
        pts = np.array(PLANE_PRESETS[name].points)
        plane = fit_plane(pts[:, :2], pts[:, 2], PLANE_PRESETS[name].beta)
        figures.append(create_plane_figure(plane, pts))
    used = {trace.type for figure in figures for trace in figure.data}
    assert {"scatter", "heatmap", "contour"} <= used <= set(TRACE_TYPES)
    for script in ASSET_DIR.glob("*.js"):  # the canvases build their own traces
        assert set(re.findall(r'type: "(\w+)"', script.read_text())) <= set(TRACE_TYPES)
