"""Security review of the hosted app (issue 10, item 7), one section per promise.

1. XSRF protection stays on: the config says so, no launch command turns it off, and a real
   upload without the token is refused by the running server (with the token it passes).
2. Uploads are capped at 1 MB: ``tests/test_app.py::test_upload_limit_is_one_megabyte``
   (the config) and ``tests/test_browser_data.py::test_the_uploader_offers_one_megabyte``
   (what the browser shows); not repeated here.
3. CORS is not opened: a request from another origin gets no permissive
   ``Access-Control-Allow-Origin`` on the page, the health endpoint or the preview route.
4. The preview route checks content type (415), method (405), size, JSON nesting depth and
   odd shapes (400 or 200 with a sentence, never 500), in one function every JSON route
   uses (``convexviz.ui.preview.read_json_request``).
5. No user input reaches eval, exec, pickle or a file path: a static audit of the package and
   ``app.py`` (tested on injected violations), and the CSV upload parsed as text.

Sections 1, 3 and 4 talk to real servers: the app (the ``server`` fixture) and, to show the
checks can fail, a bare Streamlit script with both protections switched off.
"""

from __future__ import annotations

import ast
import http.client
import json
import re
import subprocess
import sys
import time
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexviz.ui import preview
from convexviz.ui import session as appsession
from convexviz.ui.canvas import protocol
from convexviz.ui.fitmemo import FitMemo
from convexviz.ui.state import DEFAULT_STATE
from tests.browser import unavailable
from tests.streamlit_server import ROOT, free_port

CONFIG = ROOT / ".streamlit" / "config.toml"
EVIL = "https://evil.example"
RELU3 = {"act": "relu", "depth": "3", "beta": "0.001"}
OPT = [[0, 0], [4, 0], [5, 0], [7, 2], [10, 3], [11, 3]]


# ================================================================ HTTP helpers


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def request(base: str, method: str, path: str, body: bytes | None = None, **headers) -> Reply:
    """One HTTP request with exactly the given headers (``_`` in names becomes ``-``)."""
    url = urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request(
            method, path, body=body, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        r = conn.getresponse()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def json_routes() -> list[str]:
    """Every JSON route of the app: the 1-D preview and, once merged, the plane's."""
    try:
        from convexviz.ui import plane_preview
    except ImportError:  # the plane page's route is not on this branch
        return [preview.PREVIEW_PATH]
    return [preview.PREVIEW_PATH, plane_preview.PLANE_PREVIEW_PATH]


def post_json(
    base: str, body: bytes, content_type: str = "application/json", route: str = ""
) -> Reply:
    """POST as a well-behaved client: a ``429`` (this test's requests share the anonymous
    fair share of the route) is asked again after its ``Retry-After``."""
    path = route or preview.PREVIEW_PATH
    for _ in range(20):
        reply = request(base, "POST", path, body, Content_Type=content_type)
        if reply.status != 429:
            return reply
        time.sleep(json.loads(reply.body)["retry_ms"] / 1000)
    return reply


def xsrf_cookie(base: str) -> str:
    """The ``_streamlit_xsrf`` cookie the server hands to every visitor."""
    reply = request(base, "GET", "/_stcore/health")
    cookies = reply.headers.get("set-cookie", "")
    match = re.search(r"_streamlit_xsrf=([^;]+)", cookies)
    assert match, f"no XSRF cookie in {cookies!r}"
    return match.group(1)


def upload(base: str, cookie: str | None = None, token: str | None = None) -> Reply:
    """PUT a small CSV file to Streamlit's upload endpoint, as the file uploader does."""
    boundary = "cvzboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\nx,y\r\n1,2\r\n--{boundary}--\r\n"
    ).encode()
    headers = {"Content_Type": f"multipart/form-data; boundary={boundary}", "Origin": EVIL}
    if cookie is not None:
        headers["Cookie"] = f"_streamlit_xsrf={cookie}"
    if token is not None:
        headers["X_Xsrftoken"] = token
    return request(base, "PUT", "/_stcore/upload_file/no-such-session/file-1", body, **headers)


def permits(reply: Reply, origin: str) -> bool:
    """Whether a browser would let a page of ``origin`` read this reply."""
    return reply.headers.get("access-control-allow-origin") in {"*", origin}


def cross_origin_replies(base: str) -> dict[str, Reply]:
    """The page, the health endpoint and the JSON routes, asked from another origin."""
    body = json.dumps({"points": OPT, "params": RELU3}).encode()
    replies = {
        "page": request(base, "GET", "/", Origin=EVIL),
        "health": request(base, "GET", "/_stcore/health", Origin=EVIL),
    }
    for route in json_routes():
        replies[route] = request(
            base, "POST", route, body, Origin=EVIL, Content_Type="application/json"
        )
        replies[f"{route} preflight"] = request(
            base,
            "OPTIONS",
            route,
            Origin=EVIL,
            Access_Control_Request_Method="POST",
            Access_Control_Request_Headers="content-type",
        )
    return replies


@pytest.fixture(scope="module")
def unprotected(tmp_path_factory):
    """A bare Streamlit script with XSRF protection and CORS both off: the checks below
    must see the difference (a check that passes on an open server would prove nothing)."""
    folder = tmp_path_factory.mktemp("unprotected")
    (folder / "bare.py").write_text("import streamlit as st\nst.write('bare')\n")
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "bare.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.enableCORS", "false", "--server.enableXsrfProtection", "false",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while proc.poll() is None and time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        unavailable("the unprotected comparison server did not start")
    yield base
    proc.kill()
    proc.wait(timeout=10)


# ================================================================ 1. XSRF protection


def test_the_config_keeps_xsrf_protection_and_cors_on_explicitly():
    server = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["server"]
    assert server.get("enableXsrfProtection") is True
    assert server.get("enableCORS") is True
    assert "corsAllowedOrigins" not in server  # no extra origin is trusted


#: A launch command or environment that would switch a protection off (or open CORS).
WEAKENING = re.compile(
    r"(enableXsrfProtection|enableCORS)\s*[= ]\s*\"?false"
    r"|STREAMLIT_SERVER_ENABLE_(XSRF_PROTECTION|CORS)\s*[=:]\s*\"?(false|0)"
    r"|corsAllowedOrigins|CORS_ALLOWED_ORIGINS"
    r"|developmentMode\s*[= ]\s*\"?true|STREAMLIT_GLOBAL_DEVELOPMENT_MODE",
    re.IGNORECASE,
)
LAUNCH_FILES = ("README.md", ".ci/*", "deploy/**/*", "Dockerfile", "*.toml", "*.yaml", "*.yml",
                ".streamlit/*", "benchmarks/*.py", "tests/streamlit_server.py")  # fmt: skip


def weakening_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if WEAKENING.search(line)]


def test_the_weakening_pattern_finds_every_way_to_switch_a_protection_off():
    bad = [
        "streamlit run app.py --server.enableXsrfProtection false",
        "streamlit run app.py --server.enableCORS=false",
        "enableCORS = false",
        "ENV STREAMLIT_SERVER_ENABLE_CORS=false",
        '  - STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION: "false"',
        'corsAllowedOrigins = ["*"]',
        "streamlit run app.py --global.developmentMode true",
    ]
    for line in bad:
        assert weakening_lines(line) == [line.strip()], line
    good = ["enableCORS = true", "enableXsrfProtection = true", "streamlit run app.py"]
    assert weakening_lines("\n".join(good)) == []


def test_no_launch_command_or_manifest_switches_a_protection_off():
    files = {p for pattern in LAUNCH_FILES for p in ROOT.glob(pattern) if p.is_file()}
    assert ROOT / "README.md" in files and CONFIG in files
    found = {
        str(p.relative_to(ROOT)): lines
        for p in sorted(files)
        if (lines := weakening_lines(p.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}


def test_an_upload_without_the_xsrf_token_is_refused(server):
    """A page on another site can make the browser send the cookie, never the header."""
    cookie = xsrf_cookie(server)
    for reply in (upload(server), upload(server, cookie=cookie)):
        assert reply.status == 403 and b"XSRF" in reply.body
    # With the token the same request passes the XSRF check and fails only for its made-up
    # session: the 403 above is the XSRF protection, nothing else.
    passed = upload(server, cookie=cookie, token=cookie)
    assert passed.status == 400 and b"session" in passed.body


def test_the_xsrf_check_notices_when_protection_is_off(unprotected):
    reply = upload(unprotected)
    assert reply.status == 400 and b"session" in reply.body  # no token needed there


# ================================================================ 3. CORS


def test_another_origin_is_not_allowed_to_read_the_page_health_or_preview(server):
    replies = cross_origin_replies(server)
    assert replies[preview.PREVIEW_PATH].status == 200  # it answered, without CORS headers
    opened = {
        name: dict(r.headers)
        for name, r in replies.items()
        if permits(r, EVIL) or "access-control-allow-credentials" in r.headers
    }
    assert opened == {}


def test_an_upload_preflight_from_another_origin_names_only_the_apps_own(server):
    reply = request(
        server,
        "OPTIONS",
        "/_stcore/upload_file/s/f",
        Origin=EVIL,
        Access_Control_Request_Method="PUT",
    )
    assert not permits(reply, EVIL)


def test_the_cors_check_notices_an_opened_server(unprotected):
    # Streamlit serves its page files without CORS headers either way; its endpoints, such
    # as the health check, open up to every origin once CORS protection is off.
    assert permits(cross_origin_replies(unprotected)["health"], EVIL)


# ================================================================ 4. the preview route


@pytest.mark.parametrize("route", json_routes())
def test_only_json_is_accepted(server, route):
    body = json.dumps({"points": OPT, "params": RELU3}).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "", "application/jsonp"):  # fmt: skip
        reply = post_json(server, body, content_type, route)
        assert reply.status == 415, content_type
        assert json.loads(reply.body) == {"error": "send the request as application/json"}
    for content_type in ("application/json", "Application/JSON; charset=utf-8"):
        assert post_json(server, body, content_type, route).status != 415
    assert post_json(server, body).status == 200


@pytest.mark.parametrize("route", json_routes())
def test_only_post_is_accepted(server, route):
    reply = request(server, "GET", route)
    assert reply.status == 405 and reply.headers["allow"] == "POST"
    assert json.loads(reply.body) == {"error": "use POST"}


@pytest.mark.parametrize("route", json_routes())
def test_a_large_body_is_refused_from_its_declared_length_or_while_read(server, route):
    big = b'{"points": [' + b"[1, 2], " * 10_000 + b"[1, 2]]}"
    assert len(big) > preview.MAX_REQUEST_BYTES
    declared = post_json(server, big, route=route)
    assert declared.status == 400 and b"larger than" in declared.body
    url = urlparse(server)  # no Content-Length: chunks, cut off once past the limit
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    chunks = (big[i : i + 4096] for i in range(0, len(big), 4096))
    conn.request("POST", route, body=chunks, encode_chunked=True,
                 headers={"Content-Type": "application/json"})  # fmt: skip
    chunked = conn.getresponse()
    assert chunked.status == 400 and b"larger than" in chunked.read()
    conn.close()


#: Bodies of the wrong shape, each with the status the route must give (never 500).
ODD_BODIES = {
    "deep nesting": (b"[" * 30_000 + b"]" * 30_000, 400, "nested deeper"),
    "deep nesting in an object": (
        b'{"points": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
        400,
        "nested",
    ),
    "brackets in strings are not nesting": (
        json.dumps({"points": OPT, "params": {**RELU3, "zzz": "[[[[[[[[[[[[[["}}).encode(),
        200,
        "",
    ),
    "not UTF-8": (b'{"points": "\xff"}', 400, "UTF-8"),
    "points not a list": (json.dumps({"points": "0:0,1:1", "params": RELU3}).encode(), 200, ""),
    "points an object": (json.dumps({"points": {"x": 1}, "params": RELU3}).encode(), 200, ""),
    "huge integer": (b'{"points": [[1' + b"0" * 400 + b', 1], [2, 3]], "params": {}}', 200, ""),
    "huge integer beyond Python's digit limit": (
        b'{"points": [[1' + b"0" * 5000 + b', 1]], "params": {}}',
        200,
        "",
    ),
    "huge float": (b'{"points": [[1e999, 1], [2, 3]], "params": {}}', 200, ""),
    "NaN and Infinity": (b'{"points": [[NaN, 1], [-Infinity, 2]], "params": {}}', 200, ""),
    "huge axis ranges": (
        b'{"points": [], "params": {}, "ranges": {"x": [-1' + b"0" * 400 + b', 1], "y": [0, 1]}}',
        200,
        "",
    ),
    "strings as numbers": (
        json.dumps({"points": [["1", "2"]], "params": RELU3}).encode(),
        200,
        "",
    ),
    "params not text": (
        json.dumps({"points": OPT, "params": {"beta": 1e999}}).encode(),
        400,
        "params",
    ),
    "params a list": (json.dumps({"points": OPT, "params": ["act"]}).encode(), 400, "params"),
    "a JSON string": (b'"points"', 400, "not a JSON object"),
    "nothing": (b"", 400, "not JSON"),
}


@pytest.mark.parametrize("name", list(ODD_BODIES))
def test_odd_bodies_get_a_sentence_not_a_crash(name):
    body, status, error = ODD_BODIES[name]
    got, reply = preview.answer(body, FitMemo())
    assert got == status, reply
    if status == 400:
        assert set(reply) == {"error"} and error in reply["error"]
    else:
        assert all(all(abs(v) <= protocol.MAX_ABS_VALUE for v in p) for p in reply["points"])
        json.dumps(reply, allow_nan=False)


def test_odd_bodies_get_the_same_answers_from_the_running_route(server):
    for name, (body, status, error) in ODD_BODIES.items():
        reply = post_json(server, body)
        assert reply.status == status, (name, reply.body[:200])
        assert error in json.loads(reply.body).get("error", ""), name


#: Refused by the gate every JSON route shares (read_json_request), whatever the route.
GATE_REFUSALS = ("deep nesting", "deep nesting in an object", "not UTF-8", "a JSON string",
                 "nothing")  # fmt: skip


@pytest.mark.parametrize("route", json_routes())
def test_every_json_route_refuses_at_the_gate_and_never_crashes(server, route):
    for name, (body, status, error) in ODD_BODIES.items():
        reply = post_json(server, body, route=route)
        if name in GATE_REFUSALS:
            assert reply.status == status and error in json.loads(reply.body)["error"], name
        else:  # the route's own checks: an answer or a reason, never a server error
            assert reply.status in (200, 400), (name, reply.body[:200])


def test_deep_nesting_is_refused_before_the_json_parser_runs(monkeypatch):
    def parser_must_not_run(*args, **kwargs):
        raise AssertionError("json.loads ran on a deeply nested body")

    monkeypatch.setattr(preview.json, "loads", parser_must_not_run)
    start = time.perf_counter()
    status, reply = preview.parse_json_object(b"[" * 32_000 + b"]" * 32_000)
    assert status == 400 and "nested deeper than" in reply["error"]
    assert time.perf_counter() - start < 0.5  # linear scan, not a recursive descent


def test_the_depth_limit_is_exact():
    limit = preview.MAX_JSON_DEPTH
    at_limit = b'{"a": ' + b"[" * (limit - 1) + b"]" * (limit - 1) + b"}"
    assert preview.parse_json_object(at_limit)[0] == 200
    beyond = b'{"a": ' + b"[" * limit + b"]" * limit + b"}"
    assert preview.parse_json_object(beyond)[0] == 400


def depth_of(value: object) -> int:
    """The nesting depth of a parsed JSON value (the independent count)."""
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


TRICKY_TEXT = st.text(alphabet=st.sampled_from('ab"\\[]{}/\n\u00e9\u2028'), max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY_TEXT, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_json_depth_counts_brackets_outside_strings_only(value, ascii_only):
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    assert preview.json_depth(body) == depth_of(value)


REQUEST_PARTS = st.dictionaries(
    st.sampled_from(["points", "params", "ranges", "other"]),
    JSON_VALUES
    | st.lists(st.lists(st.integers(-(10**30), 10**30) | st.floats(), max_size=3), max_size=6)
    | st.dictionaries(st.sampled_from(["act", "depth", "beta", "leak", "x", "y"]), JSON_VALUES)
    | st.dictionaries(st.sampled_from(["act", "depth", "beta", "leak"]), st.text(max_size=6)),
)


@settings(max_examples=150, deadline=None)
@given(REQUEST_PARTS)
def test_any_json_object_gets_200_or_400_with_a_reason(request_object):
    body = json.dumps(request_object).encode()  # NaN and Infinity as Python writes them
    status, reply = preview.answer(body, FitMemo())
    assert status in (200, 400)
    if status == 400:
        assert set(reply) == {"error"} and reply["error"]
    else:
        json.dumps(reply, allow_nan=False)


def test_a_snapshot_with_huge_numbers_is_dropped_not_a_crash():
    """The canvas's Streamlit path shares the point checks (protocol.sanitize_points)."""
    s: dict = {}
    appsession.init(s, {})
    huge = 10**400  # Python reads such JSON integers exactly; float() of it overflows
    snapshot = {"seq": 1, "gen": 0, "op": "add", "points": [[huge, 1], [1, -huge], [1, 2]]}
    appsession.apply_canvas_edit(s, snapshot)
    assert s["app"].points == ((1.0, 2.0),) and s["seq"] == 1
    appsession.apply_canvas_edit(s, {**snapshot, "seq": 2, "gen": huge})  # stale: ignored
    appsession.apply_canvas_edit(s, {**snapshot, "seq": 2.5})  # not a whole number: ignored
    assert s["seq"] == 1


# ======================================================= 5. no user input reaches code or files


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}"


#: Calls that run text as code.
CODE_RUNNERS = frozenset({"eval", "exec", "compile", "__import__"})
#: Modules that rebuild arbitrary objects from bytes (running code), or run commands.
UNSAFE_MODULES = frozenset({"pickle", "_pickle", "cPickle", "marshal", "shelve", "dill",
                            "cloudpickle", "joblib", "subprocess"})  # fmt: skip
#: Called by one of these names, a function opens, reads, writes, lists or removes files
#: (or runs a command).
FILE_FUNCTIONS = frozenset({"open", "Path", "PurePath", "read_text", "read_bytes", "write_text",
                            "write_bytes", "unlink", "rmtree", "rmdir", "mkdir", "makedirs",
                            "iterdir", "glob", "listdir", "scandir", "loadtxt", "genfromtxt",
                            "fromfile", "tofile", "savetxt", "read_csv", "read_pickle",
                            "system", "popen"})  # fmt: skip
#: Names that touch files only as functions of these modules (a list's ``remove`` does not).
MODULE_FILE_FUNCTIONS = frozenset({"load", "save", "remove", "rename", "replace"})
FILE_MODULES = frozenset({"os", "io", "np", "numpy", "pd", "pandas", "shutil", "pathlib",
                          "json", "codecs"})  # fmt: skip


#: Every place of the package and app.py that touches the file system, with why no
#: student input can reach its path. A new place fails the audit until it is added here.
FILE_ACCESS_REVIEWED = {
    ("convexviz/cli.py", "_load_points"): "the command line's --csv: the operator's own file",
    (
        "convexviz/cli.py",
        "_load_plane_points",
    ): "the command line's --csv: the operator's own file",
    ("convexviz/ui/canvas/__init__.py", "<module>"): "ASSET_DIR from __file__",
    ("convexviz/ui/canvas/__init__.py", "canvas_assets"): "fixed names in ASSET_DIR",
    ("convexviz/ui/canvas/__init__.py", "plotly_js_dir"): "plotly.__file__",
    ("convexviz/ui/canvas/__init__.py", "bundle_version"): "plotly_bundle's fixed bundle files",
    ("convexviz/ui/canvas/__init__.py", "bundle_trace_types"): "plotly_bundle's fixed files",
    ("convexviz/ui/training_panel.py", "trained_js"): "a fixed name in ASSET_DIR",
}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _called_name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _file_access(call: ast.Call) -> str:
    """The name by which ``call`` touches the file system, or ``""``."""
    name, f = _called_name(call), call.func
    if name in FILE_FUNCTIONS:
        return name
    on_module = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
    if on_module and name in MODULE_FILE_FUNCTIONS and f.value.id in FILE_MODULES:
        return f"{f.value.id}.{name}"
    return ""


def _function_of(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    """The name of the innermost ``def`` around ``node`` (lambdas belong to it)."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node.name
    return "<module>"


def _uploader_keys(tree: ast.AST) -> set[str]:
    return {
        kw.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node) == "file_uploader"
        for kw in node.keywords
        if kw.arg == "key" and isinstance(kw.value, ast.Constant)
    }


def _names_upload(node: ast.AST, keys: set[str]) -> bool:
    """``ss.w_csv``, ``st.session_state["w_csv"]`` and the like, for an uploader's key."""
    if isinstance(node, ast.Attribute):
        return node.attr in keys
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.slice.value in keys
    return False


def audit(source: str, file: str) -> list[Finding]:
    """Places in ``source`` where user input could reach code, unpickling or a file.

    Rules: no eval/exec/compile/__import__ at all; no import of a module that unpickles or
    runs commands; no ``allow_pickle=True``; file access only in the places listed in
    :data:`FILE_ACCESS_REVIEWED`; an uploaded file (a ``st.file_uploader`` with a key) is
    read only through its bytes (``.getvalue()`` or ``.read()``) or compared with None,
    never by its name, and the uploader's return value is not kept elsewhere.
    """
    tree = ast.parse(source)
    parents = _parents(tree)
    keys = _uploader_keys(tree)
    found: list[Finding] = []

    def flag(node: ast.AST, rule: str) -> None:
        found.append(Finding(file, node.lineno, rule))

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in CODE_RUNNERS:
            flag(node, f"{node.id}: runs text as code")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in CODE_RUNNERS
            and isinstance(node.value, ast.Name)
            and node.value.id == "builtins"
        ):
            flag(node, f"builtins.{node.attr}: runs text as code")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for module in modules:
                if module.split(".")[0] in UNSAFE_MODULES:
                    flag(node, f"import {module}: unpickles or runs commands")
        elif isinstance(node, ast.keyword) and node.arg == "allow_pickle":
            flag(node.value, "allow_pickle: unpickles")
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            if name == "file_uploader" and not isinstance(parents.get(node), ast.Expr):
                flag(node, "file_uploader's value kept: read it from session state by key")
            access = _file_access(node)
            if access and (file, _function_of(node, parents)) not in FILE_ACCESS_REVIEWED:
                flag(node, f"{access}(): file access in a place not reviewed")
        if _names_upload(node, keys) and isinstance(getattr(node, "ctx", None), ast.Load):
            parent = parents.get(node)
            read = isinstance(parent, ast.Attribute) and parent.attr in {"getvalue", "read"}
            if not (read or isinstance(parent, ast.Compare)):
                flag(node, "uploaded file used other than by its bytes")
    return found


def audited_files() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "convexviz").rglob("*.py"))]


def test_no_user_input_reaches_code_pickle_or_file_paths():
    findings = []
    for path in audited_files():
        findings += audit(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert [str(f) for f in findings] == []


def test_every_reviewed_file_access_still_exists():
    """A stale entry would let a new file access slip into its place unreviewed."""
    used = set()
    for path in audited_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = _parents(tree)
        rel = str(path.relative_to(ROOT))
        used |= {(rel, _function_of(n, parents)) for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and _file_access(n)}  # fmt: skip
    assert set(FILE_ACCESS_REVIEWED) <= used


#: What the app does with its uploader today: no finding.
CLEAN_APP = """
import streamlit as st
ss = st.session_state
def data_sidebar():
    st.file_uploader("CSV", type=["csv"], key="w_csv", on_change=on_csv)
def on_csv():
    if ss.w_csv is not None:
        load_csv(ss, ss.w_csv.getvalue())
"""

#: Injected violations: (snippet, rule the audit must report).
VIOLATIONS = [
    ("def f(text):\n    return eval(text)\n", "eval"),
    ("def f(text):\n    exec(text)\n", "exec"),
    ("import builtins\ndef f(t):\n    return builtins.eval(t)\n", "builtins.eval"),
    ("def f(t):\n    return __import__(t)\n", "__import__"),
    ("import pickle\n", "import pickle"),
    ("from pickle import loads\n", "import pickle"),
    ("import marshal as m\n", "import marshal"),
    ("import shelve\n", "import shelve"),
    ("import subprocess\n", "import subprocess"),
    ("import numpy as np\ndef f(b):\n    return np.load(b, allow_pickle=True)\n", "allow_pickle"),
    ("def f(name):\n    return open(name).read()\n", "open()"),
    ("from pathlib import Path\ndef f(name):\n    return Path(name).read_text()\n", "Path()"),
    ("import numpy as np\ndef f(name):\n    return np.loadtxt(name)\n", "loadtxt()"),
    ("import numpy as np\ndef f(name):\n    return np.load(name)\n", "np.load()"),
    ("import os\ndef f(name):\n    os.remove(name)\n", "os.remove()"),
    (CLEAN_APP + "def g():\n    return open(ss.w_csv.name).read()\n", "uploaded file used"),
    (CLEAN_APP + "def g():\n    save_as(ss['w_csv'])\n", "uploaded file used"),
    (CLEAN_APP + "def g():\n    up = st.file_uploader('x', key='w_up')\n", "value kept"),
]


def test_the_audit_passes_the_apps_own_uploader_pattern():
    assert audit(CLEAN_APP, "app.py") == []


def test_the_audit_does_not_take_list_methods_or_regexes_for_danger():
    snippet = "import re\ndef f(items, x):\n    items.remove(x)\n    return re.compile(x)\n"
    assert audit(snippet, "app.py") == []


@pytest.mark.parametrize(("snippet", "rule"), VIOLATIONS, ids=[r for _, r in VIOLATIONS])
def test_the_audit_reports_an_injected_violation(snippet, rule):
    findings = audit(snippet, "app.py")
    assert any(rule in f.rule for f in findings), findings


def test_a_reviewed_place_is_allowed_only_there():
    snippet = "def _load_points(args):\n    return open(args.csv).read()\n"
    assert audit(snippet, "convexviz/cli.py") == []
    assert audit(snippet, "app.py") != []  # the same code anywhere else is reported


def test_an_uploaded_file_is_parsed_as_text_and_never_run_or_opened(tmp_path, monkeypatch):
    """Contents that look like code, a path or a pickle are refused with a sentence."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.csv").write_text("x,y\n9,9\n8,8\n")
    s: dict = {}
    appsession.init(s, {})
    for content in (b"__import__('os').system('touch pwned')", b"secret.csv",
                    b"../" * 5 + b"etc/passwd", b"\x80\x04\x95\x00cos\nsystem\n."):  # fmt: skip
        appsession.load_csv(s, content)
        assert s["data_error"].startswith("CSV not loaded (points kept)")
        assert s["app"].points == DEFAULT_STATE.points
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv"]


def test_the_audit_catches_a_violation_injected_into_the_real_app():
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    honest = "session.load_csv(ss, ss.w_csv.getvalue())"
    injected = source.replace(honest, "session.load_csv(ss, open(ss.w_csv.name, 'rb').read())")
    assert honest in source and injected != source
    rules = [f.rule for f in audit(injected, "app.py")]
    assert any("open()" in r for r in rules) and any("uploaded file" in r for r in rules), rules
