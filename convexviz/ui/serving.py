"""Fast first loads: Streamlit's static scripts compressed once, served from memory.

A first visit downloads Streamlit's frontend (about 4 MB of JavaScript in ~150 content-hashed
files under ``/static/``) and Plotly.js. Streamlit sends ``/static/`` uncompressed on purpose:
Starlette's gzip would compress the same bytes again on every request. On lecture-hall Wi-Fi
the bytes are what costs, so :class:`CompressedStatic` compresses each such file *once* per
process, keeps the result in a bounded in-memory table and serves it from there: the CPU cost
is paid once per file, not once per student. Everything else passes through untouched
(Streamlit already compresses its other responses, the page and the component files).

The files are content-hashed and Streamlit marks them ``immutable``, so a cached compressed
copy can never go stale; only ``200`` answers without a ``Content-Encoding`` of their own, of a
compressible type and at least ``minimum_size`` bytes are compressed.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Content types worth compressing (fonts in woff2 and images are compressed already).
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
#: Headers that describe the uncompressed body and are replaced.
_BODY_HEADERS = {b"content-length", b"content-encoding", b"etag", b"accept-ranges"}


def static_prefix(base_url_path: str = "") -> str:
    """Where Streamlit serves its static files under ``server.baseUrlPath``.

    >>> static_prefix(""), static_prefix("/lessons/")
    ('/static/', '/lessons/static/')
    """
    base = base_url_path.strip("/")
    return f"/{base}/static/" if base else "/static/"


def plotly_prefix(base_url_path: str = "") -> str:
    """Where the page's Plotly.js component (``declare_component("plotlyjs", ...)`` in
    ``app.py``, named after the module that declares it) serves its folder.

    >>> plotly_prefix("")
    '/component/app.plotlyjs/'
    """
    base = base_url_path.strip("/")
    return f"/{base}/component/app.plotlyjs/" if base else "/component/app.plotlyjs/"


@dataclass(frozen=True)
class Compressed:
    """One compressed answer: its status line headers (``latin-1`` bytes) and gzip body."""

    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


class CompressedStatic:
    """ASGI middleware: gzip each immutable static file once, then serve it from memory.

    Parameters
    ----------
    app : ASGI application
    prefixes : tuple of str
        Path prefixes of the files to serve this way: Streamlit's content-hashed ``/static/``
        (after the server's ``baseUrlPath``) and the folder of the Plotly.js bundle. The inner
        app is asked for them *without* ``Accept-Encoding``, so that a file it would compress
        on every request (the Plotly.js component) is compressed here once instead.
    minimum_size : int
        Smaller bodies are passed through (gzip's header would eat the gain).
    max_bytes : int
        Budget for the compressed bodies kept; the least recently used go first.
    level : int
        gzip level; compression happens once per file, so the best ratio is affordable.
    """

    def __init__(
        self,
        app: ASGIApp,
        prefixes: tuple[str, ...] = ("/static/",),
        minimum_size: int = 1024,
        max_bytes: int = 32_000_000,
        level: int = 9,
    ) -> None:
        self.app, self.prefixes = app, tuple(prefixes)
        self.minimum_size, self.max_bytes, self.level = minimum_size, max_bytes, level
        self._table: OrderedDict[str, Compressed] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.compressed = 0  # files compressed so far (tests and benchmarks read it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._wanted(scope):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        with self._lock:
            hit = self._table.get(path)
            if hit is not None:
                self._table.move_to_end(path)
        if hit is None:
            hit = await self._compress(scope, receive, send)
            if hit is None:
                return  # the inner answer was sent as it was
        await _send(send, hit)

    def _wanted(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope.get("method") != "GET":
            return False
        if not scope["path"].startswith(self.prefixes):
            return False
        headers = dict(scope.get("headers") or [])
        if b"range" in headers:
            return False
        return b"gzip" in headers.get(b"accept-encoding", b"")

    async def _compress(self, scope: Scope, receive: Receive, send: Send) -> Compressed | None:
        """Run the inner app, keep its answer; compress and remember it if it qualifies,
        else send it unchanged (and return None)."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        plain = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"accept-encoding"]
        await self.app(dict(scope, headers=plain), receive, capture)
        body = b"".join(chunks)
        headers = [(k.lower(), v) for k, v in start.get("headers", [])]
        if not self._qualifies(start.get("status"), headers, body):
            await send(dict(start, headers=start.get("headers", [])))
            await send({"type": "http.response.body", "body": body})
            return None
        packed = gzip.compress(body, compresslevel=self.level, mtime=0)
        kept = [(k, v) for k, v in headers if k not in _BODY_HEADERS and k != b"vary"]
        kept += [
            (b"content-encoding", b"gzip"),
            (b"content-length", str(len(packed)).encode()),
            (b"vary", b"Accept-Encoding"),
        ]
        answer = Compressed(tuple(kept), packed)
        self._remember(scope["path"], answer)
        return answer

    def _qualifies(self, status: object, headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
        named = dict(headers)
        kind = named.get(b"content-type", b"").decode("latin-1")
        return (
            status == 200
            and b"content-encoding" not in named
            and len(body) >= self.minimum_size
            and kind.startswith(COMPRESSIBLE)
        )

    def _remember(self, path: str, answer: Compressed) -> None:
        with self._lock:
            self.compressed += 1
            if len(answer.body) > self.max_bytes:
                return
            old = self._table.pop(path, None)
            self._bytes -= len(old.body) if old else 0
            self._table[path] = answer
            self._bytes += len(answer.body)
            while self._bytes > self.max_bytes:
                _, dropped = self._table.popitem(last=False)
                self._bytes -= len(dropped.body)

    def stats(self) -> dict[str, int]:
        """Files compressed, files kept and the bytes they hold."""
        with self._lock:
            return {"compressed": self.compressed, "kept": len(self._table), "bytes": self._bytes}


async def _send(send: Send, answer: Compressed) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": list(answer.headers)})
    await send({"type": "http.response.body", "body": answer.body})
