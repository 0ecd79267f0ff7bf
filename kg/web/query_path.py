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

from kg.evaluation import Evaluator, Outcome, QueryJob, WithLimits
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

    @property
    def evaluator(self) -> WithLimits:
        """The evaluator of this path's queries, with the anonymous role's limits."""
        return self._evaluator

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        job = self.prepare(environ)
        if job is None:
            return self.app(environ, start_response)
        outcome = self._evaluator.evaluate(job)
        if not outcome.ok:
            self.refused(environ, outcome)
            return self.app(environ, start_response)
        status, headers, body = self.answer(environ, outcome, started)
        start_response(f"{status} OK", headers)
        return [body]

    def prepare(self, environ: dict[str, Any]) -> QueryJob | None:
        """The job of the request ``environ`` if this path answers it (its body, if any, read and put back for the
        app), else None: the app answers it."""
        method = environ["REQUEST_METHOD"]
        query_string: str = environ.get("QUERY_STRING", "")
        if not (self._open and method in ("GET", "POST") and environ.get("PATH_INFO") in PATHS and query_string.isascii()
                and "HTTP_AUTHORIZATION" not in environ and "HTTP_CONTENT_ENCODING" not in environ
                and OUTSIDE_PREFIX not in environ and EVALUATED not in environ):  # evaluated: by the RSGI front
            return None
        body = b""
        if method == "POST":
            declared = environ.get("CONTENT_LENGTH") or ""
            if not declared.isdigit() or int(declared) > self._max_body:  # chunked, or a 413: the app's to answer
                return None
            try:
                body = environ["wsgi.input"].read(int(declared))
            except OSError as error:  # a client too slow with its body: the app answers as it would have
                environ["wsgi.input"] = FailingBody(error)
                return None
            environ["wsgi.input"] = io.BytesIO(body)  # for the app to read again
            if len(body) < int(declared):  # the client left before sending it all: the app answers as it would have
                return None
        try:
            operation = parse_request(method, query_string.encode("latin-1"), environ.get("CONTENT_TYPE"), body)
            if not isinstance(operation, QueryRequest):
                return None
            return query_job(operation, environ.get("HTTP_ACCEPT", ""))
        except HttpError:  # malformed: the app says why
            return None

    @staticmethod
    def refused(environ: dict[str, Any], outcome: Outcome) -> None:
        """Mark ``environ`` with the ``outcome`` of its evaluated but refused query, for the app to answer it."""
        environ[EVALUATED] = outcome

    def answer(self, environ: dict[str, Any], outcome: Outcome, started: float) -> tuple[int, list[tuple[str, str]], bytes]:
        """The status, headers and body of the successful ``outcome`` of the request ``environ`` (logged here, with
        the time since ``started``)."""
        headers = [("Content-Type", format_named(outcome.format or "").content_type),
                   ("Content-Length", str(len(outcome.body))), ("Vary", "Accept")]
        if outcome.truncated:
            headers.append((TRUNCATION_HEADER, self._row_cap))
        headers += TRAILING_HEADERS
        query_string = environ.get("QUERY_STRING", "")
        log_request(environ["REQUEST_METHOD"], f"{environ['PATH_INFO']}?{query_string}".rstrip("?"), 200,
                    (time.perf_counter() - started) * 1000, outcome.rows, None)
        return 200, headers, outcome.body


class FailingBody(io.RawIOBase):
    """A request body whose reading fails with ``error`` (the client was too slow, or left), however it is read."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise self._error
