"""The HTTP front of ``kg serve``: an RSGI application (granian's interface) in front of the WSGI app.

granian parses HTTP in Rust and calls this application on its asyncio loop for
each request.  The loop never blocks:

* a request body is read asynchronously, under one deadline
  (``KG_BODY_TIMEOUT``) and the size limit (``KG_MAX_REQUEST_BYTES``): a client
  that trickles its body holds no thread, and is answered 408 when the deadline passes;
* an anonymous query to ``/sparql`` (:class:`~kg.web.query_path.QueryPath`
  decides which) is evaluated by the evaluator's ``evaluate_async``: with the
  worker pool, the job goes down a worker's pipe and the loop waits for its
  answer, with no thread hop and no Flask;
* every other request, and a query refused once evaluated, goes to the Flask
  app in one of ``KG_THREADS`` threads, through a plain WSGI environ.

Answers are handed to granian whole, so a client that does not read its answer
holds no thread either: the bytes wait in the server's buffers (each answer is
bounded by the row cap).
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote_to_bytes

from kg.app import mount, served_prefix
from kg.evaluation import Evaluator
from kg.settings import Settings
from kg.web.errors import SlowClient
from kg.web.query_path import FailingBody, QueryPath

#: Methods whose requests are answered without reading a body.
BODILESS = frozenset(("GET", "HEAD", "OPTIONS", "DELETE"))

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RsgiFront:
    """The RSGI application of ``kg serve``: the query fast path on the loop, everything else in ``app``'s threads."""

    def __init__(self, app: WSGIApp, settings: Settings, evaluator: Evaluator) -> None:
        self._app = app
        self._query_path = QueryPath(app, settings, evaluator)
        self._prefix = served_prefix(settings.base_path)
        self._max_body = settings.max_request_bytes
        self._body_seconds = settings.body_timeout
        self._threads = ThreadPoolExecutor(settings.threads, thread_name_prefix="kg-http")

    def close(self) -> None:
        """Stop the app's threads once they have finished their requests."""
        self._threads.shutdown(wait=True)

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        started = time.perf_counter()
        environ = _environ(scope)
        if self._prefix:
            mount(environ, self._prefix)
        if scope.method not in BODILESS or environ.get("CONTENT_LENGTH") not in (None, "", "0"):
            await self._read_body(environ, protocol)
        prepared = self._query_path.prepare(environ)
        if prepared is not None:
            outcome = await self._query_path.evaluator.evaluate_async(prepared)
            if outcome.ok:
                status, headers, body = self._query_path.answer(environ, outcome, started)
                protocol.response_bytes(status, headers, body)
                return
            self._query_path.refused(environ, outcome)
        status, headers, body = await asyncio.get_running_loop().run_in_executor(self._threads, _call, self._app,
                                                                                 environ)
        if scope.method == "HEAD":
            protocol.response_empty(status, headers)
        else:
            protocol.response_bytes(status, headers, body)

    async def _read_body(self, environ: dict[str, Any], protocol: Any) -> None:
        """Read the request body into ``environ`` (at most one byte past the limit, so that the app answers 413), or
        leave a body whose reading fails with :class:`SlowClient` if it does not come within ``KG_BODY_TIMEOUT`` seconds."""
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > self._max_body:  # the app refuses it before reading: 413
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self._body_seconds):
                async for chunk in protocol:
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self._max_body:
                        break
        except TimeoutError:
            environ["wsgi.input"] = FailingBody(SlowClient(
                104, f"the client took more than {self._body_seconds:g} s to send its request"))
            return
        body = b"".join(chunks)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)  # the body is whole now: its length says where it ends


def _environ(scope: Any) -> dict[str, Any]:
    """The WSGI environ of the request ``scope`` (its body empty until read)."""
    host, _, port = scope.server.rpartition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(scope.path).decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": scope.client.rpartition(":")[0].strip("[]"),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in scope.headers.items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = f"{environ[key]}, {value}" if key in environ else value
    return environ


def _call(app: WSGIApp, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run the WSGI ``app`` on ``environ``: its status, headers and whole body."""
    answer: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        answer[:] = [int(status[:3]), headers]
        return written.append

    chunks = app(environ, start_response)
    try:
        written.extend(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return answer[0], answer[1], b"".join(written)
