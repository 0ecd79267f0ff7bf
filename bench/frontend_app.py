"""The thinnest Python SPARQL endpoint, for ``bench/frontends.py``: a WSGI callable over pyoxigraph, no framework.

``GET <any path>?query=TEXT`` evaluates ``store.query(TEXT)`` on an in-memory pyoxigraph ``Store`` loaded from the
N-Triples file named by ``FRONTEND_DATA``, and serializes the result with pyoxigraph's own serializers in the
format of the Accept header's first media type (SPARQL results JSON or N-Triples when it names none pyoxigraph has).

With ``FRONTEND_QUERY_PROCESSES=N`` (N > 0) each server process evaluates nothing itself: it starts N query processes
(``python -m bench.frontend_app FD``, each with its own store) and hands every request to a free one over a
socketpair, as a length-framed message (:class:`multiprocessing.connection.Connection`).

Served as ``bench.frontend_app:wsgi`` with the repository root on ``PYTHONPATH`` (never ``bench/`` itself, whose
``http.py`` would shadow the standard library's).
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox

#: (HTTP status, content type, body)
Answer = tuple[int, str, bytes]
STATUS = {200: "200 OK", 400: "400 Bad Request"}


def load_store() -> ox.Store:
    """An in-memory store holding the triples of ``FRONTEND_DATA``."""
    store = ox.Store()
    store.bulk_load(path=os.environ["FRONTEND_DATA"], format=ox.RdfFormat.N_TRIPLES)
    return store


def evaluate(store: ox.Store, text: str, accept: str) -> Answer:
    """Run the query and serialize its result in the format ``accept`` asks for."""
    try:
        result = store.query(text)
        media_type = accept.split(",")[0].split(";")[0].strip()
        if isinstance(result, ox.QueryTriples):
            graph_format = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.N_TRIPLES
            return 200, graph_format.media_type, result.serialize(format=graph_format)
        results_format = ox.QueryResultsFormat.from_media_type(media_type) or ox.QueryResultsFormat.JSON
        return 200, results_format.media_type, result.serialize(format=results_format)
    except (SyntaxError, ValueError, OSError) as error:
        return 400, "text/plain", str(error).encode()


# -- query processes --------------------------------------------------------------------------------------------


def serve_queries(descriptor: int) -> None:
    """The loop of one query process: receive ``accept NUL text``, answer ``status content-type NUL body``."""
    connection = Connection(descriptor)
    store = load_store()
    connection.send_bytes(b"ready")
    while True:
        try:
            accept, _, text = connection.recv_bytes().decode().partition("\0")
        except EOFError:  # the server process is gone
            return
        status, content_type, body = evaluate(store, text, accept)
        connection.send_bytes(f"{status} {content_type}\0".encode() + body)


class QueryProcesses:
    """``count`` query processes, in the server's session, and a queue of the connections to the free ones."""

    def __init__(self, count: int) -> None:
        self.free: queue.SimpleQueue[Connection] = queue.SimpleQueue()
        for _ in range(count):
            ours, theirs = socket.socketpair()
            subprocess.Popen([sys.executable, "-m", "bench.frontend_app", str(theirs.fileno())],
                             pass_fds=[theirs.fileno()])
            theirs.close()
            connection = Connection(ours.detach())
            if connection.recv_bytes() != b"ready":
                raise RuntimeError("a query process did not start")
            self.free.put(connection)

    def __call__(self, text: str, accept: str) -> Answer:
        """Hand the query to a free process (waiting for one) and return its answer."""
        connection = self.free.get()
        try:
            connection.send_bytes(f"{accept}\0{text}".encode())
            head, _, body = connection.recv_bytes().partition(b"\0")
        finally:
            self.free.put(connection)
        status, _, content_type = head.decode().partition(" ")
        return int(status), content_type, body


# -- the WSGI callable ------------------------------------------------------------------------------------------


def answerer() -> Callable[[str, str], Answer]:
    """Query processes if ``FRONTEND_QUERY_PROCESSES`` asks for some, else evaluation in the serving thread."""
    count = int(os.environ.get("FRONTEND_QUERY_PROCESSES") or 0)
    if count > 0:
        return QueryProcesses(count)
    store = load_store()
    return lambda text, accept: evaluate(store, text, accept)


def wsgi(environ: dict[str, Any], start_response: Callable[..., object]) -> Iterable[bytes]:
    """Answer ``GET ?query=TEXT``; 400 without a query."""
    text = (parse_qs(environ.get("QUERY_STRING", "")).get("query") or [""])[0]
    if text:
        status, content_type, body = ANSWER(text, environ.get("HTTP_ACCEPT", ""))
    else:
        status, content_type, body = 400, "text/plain", b"no query"
    start_response(STATUS[status], [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


if __name__ == "__main__":  # a query process
    serve_queries(int(sys.argv[1]))
else:  # a server process: load the store, or start the query processes, before serving
    ANSWER = answerer()
