"""The one error handler: every exception becomes an HTTP answer in the body shape of the surface it happened on.

Every refusal is an :class:`~kg.sparql.errors.HttpError` (or becomes one here:
werkzeug's ``HTTPException`` s, a failing store, anything unexpected as a 500
without details).  The surface is told by the path:

* the API (``/api/…``, ``/explain``, ``/inconsistencies``): problem details (RFC 9457,
  ``application/problem+json``) — ``type``, ``title``, ``status``, ``detail``,
  and the error's details (``line``, ``column``, ``parameter``…) as extension
  members; ``error`` repeats ``detail`` for clients of the API's first error shape;
* linked data (``/``, ``/id/…``, ``/graph/…``, ``/doc/…``, ``/ontology``,
  ``/.well-known/void``): the error's flavour, else the one ``Accept`` prefers — a
  page for people, an empty RDF document with the message as a comment for
  machines, plain text when no flavour is acceptable;
* everything else, ``/sparql`` and ``/store`` first: plain text, as the W3C protocol tests read
  it, or ``{"error", "status", …}`` JSON or a small page when the client asks.
"""

from __future__ import annotations

import html
import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from kg.linked_data import serialize as rdf
from kg.linked_data.flavours import LinkedDataError, negotiate
from kg.sparql.errors import HttpError
from kg.store import StoreError

logger = logging.getLogger("kg.web")

PROBLEM_JSON = "application/problem+json"
API_PATHS = ("/api/", "/explain", "/inconsistencies")
LINKED_DATA_PATHS = ("/id/", "/graph/", "/doc/", "/ontology", "/.well-known/void")
_OFFERED = ["text/plain", "application/json", "text/html"]


class SlowClient(ConnectionResetError):
    """The client took too long to send its request or to read the answer: its connection is dropped."""


def install(app: Flask) -> None:
    """Answer every exception the app's views and hooks raise with :func:`render_error`."""
    app.register_error_handler(Exception, lambda error: render_error(as_http_error(error)))


def as_http_error(error: BaseException) -> HttpError:
    """``error`` as the :class:`HttpError` to answer with (an unexpected one is logged and told as a bare 500)."""
    if isinstance(error, HttpError):
        return error
    if isinstance(error, StoreError):  # the store, not the request, is at fault; the next request tries it again
        return HttpError(error.message, error.status, headers={"Retry-After": "5"} if error.status == 503 else None)
    if isinstance(error, HTTPException):
        slow = error.__cause__ or error.__context__
        if isinstance(slow, SlowClient):  # werkzeug's "client disconnected": kg serve cut a slow body off
            return HttpError(f"{slow.strerror}; the connection is closed", 408, headers={"Connection": "close"})
        if isinstance(error, RequestEntityTooLarge):
            limit = current_app.config["MAX_CONTENT_LENGTH"]
            return HttpError(f"the request body is larger than {limit:,} bytes (KG_MAX_REQUEST_BYTES)", 413)
        status = error.code or 500
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        return HttpError(error.description or reason(status), status, headers=headers)
    logger.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return HttpError(InternalServerError.description, 500)


def render_error(error: HttpError) -> Response:
    """The answer to ``error`` in the shape of the request's surface (see the module's docstring)."""
    path = request.path
    if path.startswith(API_PATHS):
        response = _problem(error)
    elif path == "/" or path.startswith(LINKED_DATA_PATHS):
        response = _linked_data(error)
    else:
        response = _negotiated(error)
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def reason(status: int) -> str:
    """The reason phrase of ``status`` (``Not Found``)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _details(error: HttpError) -> dict[str, Any]:
    return {name: value for name, value in error.details.items() if value is not None}


def _problem(error: HttpError) -> Response:
    """RFC 9457 problem details."""
    response = jsonify({"type": "about:blank", "title": reason(error.status), "status": error.status,
                        "detail": error.message, "error": error.message, **_details(error)})
    response.mimetype = PROBLEM_JSON
    return response


def _linked_data(error: HttpError) -> Response:
    """The error in the flavour it names or ``Accept`` prefers; plain text when none is acceptable."""
    flavour = error.flavour if isinstance(error, LinkedDataError) else None
    negotiated = flavour is None or (isinstance(error, LinkedDataError) and error.negotiated)
    if flavour is None:
        flavour = negotiate(request.accept_mimetypes)
    if flavour is None:
        response = _plain(error)
    elif flavour.is_html:
        body = render_template("linked_data/error.html", status=error.status, message=error.message)
        response = Response(body, content_type=flavour.content_type)
    else:
        response = Response(rdf.empty(flavour, error.message), content_type=flavour.content_type)
    if negotiated:
        response.vary.add("Accept")
    return response


def _negotiated(error: HttpError) -> Response:
    """Plain text, unless the client prefers JSON or HTML."""
    preferred = request.accept_mimetypes.best_match(_OFFERED, default="text/plain")
    if preferred == "application/json":
        return jsonify({"error": error.message, "status": error.status, **_details(error)})
    if preferred == "text/html":
        title = html.escape(f"{error.status} {reason(error.status)}")
        return Response(f"<!doctype html><meta charset=utf-8><title>{title}</title>"
                        f"<h1>{title}</h1><pre>{html.escape(error.message)}</pre>\n",
                        content_type="text/html; charset=utf-8")
    return _plain(error)


def _plain(error: HttpError) -> Response:
    return Response(f"{error.message}\n", content_type="text/plain; charset=utf-8")
