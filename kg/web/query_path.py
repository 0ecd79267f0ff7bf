"""The plain WSGI path of the commonest request: an anonymous query to ``/sparql`` that is answered.

Flask's request machinery (request context, routing, hooks, response object)
cost more CPU than evaluating a light query.  :class:`QueryPath` sits in front
of the app and answers a GET or POST query that carries no token and no
content coding itself, with the headers and log line the Flask view gives it
(the tests compare them).  Everything else goes to the app untouched: other
paths and methods, updates, service descriptions, protocol errors, tokens.  A
query that was evaluated but refused (400, 406, 503…) goes to the app too,
with its outcome (:data:`~kg.web.sparql.EVALUATED`), so that its error answer
is rendered in the one place that renders errors, and it is never evaluated twice.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from typing import Any

from kg.evaluation import Evaluator, WithLimits
from kg.formats import format_named
from kg.settings import Settings
from kg.sparql.errors import HttpError
from kg.sparql.protocol import QueryRequest, parse_request
from kg.web import OUTSIDE_PREFIX
from kg.web.request_log import log_request
from kg.web.security import ALWAYS, DOCUMENT_POLICY
from kg.web.service_description import TRUNCATION_HEADER
from kg.web.sparql import CORS_HEADERS, EVALUATED, query_job

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PATHS = ("/sparql", "/sparql/")
#: What every answer of this path carries after its own headers, in the order the Flask hooks add them.
TRAILING_HEADERS = [*CORS_HEADERS.items(), *ALWAYS.items(), ("Content-Security-Policy", DOCUMENT_POLICY)]


class QueryPath:
    """WSGI middleware answering anonymous ``/sparql`` queries that succeed; ``app`` answers everything else."""

    def __init__(self, app: WSGIApp, settings: Settings, evaluator: Evaluator) -> None:
        self.app = app
        anonymous = settings.users.anonymous
        self._open = anonymous.role.enabled
        self._evaluator = WithLimits(evaluator, anonymous.role.time_limit, anonymous.role.row_cap)
        self._row_cap = str(anonymous.role.row_cap or settings.max_result_rows)
        self._max_body = settings.max_request_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        query_string: str = environ.get("QUERY_STRING", "")
        if not (self._open and method in ("GET", "POST") and environ.get("PATH_INFO") in PATHS and query_string.isascii()
                and "HTTP_AUTHORIZATION" not in environ and "HTTP_CONTENT_ENCODING" not in environ
                and OUTSIDE_PREFIX not in environ):
            return self.app(environ, start_response)
        started = time.perf_counter()
        body = b""
        if method == "POST":
            declared = environ.get("CONTENT_LENGTH") or ""
            if not declared.isdigit() or int(declared) > self._max_body:  # chunked, or a 413: the app's to answer
                return self.app(environ, start_response)
            try:
                body = environ["wsgi.input"].read(int(declared))
            except OSError as error:  # a client too slow with its body: the app answers as it would have
                environ["wsgi.input"] = _Failing(error)
                return self.app(environ, start_response)
            environ["wsgi.input"] = io.BytesIO(body)  # for the app to read again
            if len(body) < int(declared):  # the client left before sending it all: the app answers as it would have
                return self.app(environ, start_response)
        try:
            operation = parse_request(method, query_string.encode("latin-1"), environ.get("CONTENT_TYPE"), body)
            if not isinstance(operation, QueryRequest):
                return self.app(environ, start_response)
            job = query_job(operation, environ.get("HTTP_ACCEPT", ""))
        except HttpError:  # malformed: the app says why
            return self.app(environ, start_response)
        outcome = self._evaluator.evaluate(job)
        if not outcome.ok:
            environ[EVALUATED] = outcome
            return self.app(environ, start_response)
        headers = [("Content-Type", format_named(outcome.format or "").content_type),
                   ("Content-Length", str(len(outcome.body))), ("Vary", "Accept")]
        if outcome.truncated:
            headers.append((TRUNCATION_HEADER, self._row_cap))
        headers += TRAILING_HEADERS
        start_response("200 OK", headers)
        log_request(method, f"{environ['PATH_INFO']}?{query_string}".rstrip("?"), 200, (time.perf_counter() - started) * 1000, outcome.rows, None)
        return [outcome.body]


class _Failing:
    """A request body whose reading failed: the app's read fails the same way."""

    def __init__(self, error: OSError) -> None:
        self._error = error

    def read(self, size: int = -1) -> bytes:
        raise self._error
