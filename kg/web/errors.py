"""One place that turns every error into a clear HTTP answer: JSON, HTML or plain text, never a traceback."""

from __future__ import annotations

import html
import logging
from http import HTTPStatus

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

logger = logging.getLogger("kg.web")

_OFFERED = ["text/plain", "application/json", "text/html"]


def error_response(
    status: int, message: str, *, line: int | None = None, column: int | None = None, headers: dict[str, str] | None = None
) -> Response:
    """An error answer saying ``message``, in the form the client prefers (plain text unless it asks for JSON or HTML)."""
    preferred = request.accept_mimetypes.best_match(_OFFERED, default="text/plain") if request else "text/plain"
    if preferred == "application/json":
        body = {"error": message, "status": status}
        if line is not None:
            body.update(line=line, column=column)
        response = jsonify(body)
    elif preferred == "text/html":
        title = f"{status} {_reason(status)}"
        response = Response(
            f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><pre>{html.escape(message)}</pre>\n",
            content_type="text/html; charset=utf-8",
        )
    else:
        response = Response(f"{message}\n", content_type="text/plain; charset=utf-8")
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install(app: Flask) -> None:
    """Answer every ``HTTPException`` with :func:`error_response` and any other exception with a 500 without details."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        from kg.server_worker import SlowClient

        slow = error.__cause__ or error.__context__
        if isinstance(slow, SlowClient):  # werkzeug's "client disconnected": kg serve cut a slow body off
            return error_response(408, f"{slow.strerror}; the connection is closed", headers={"Connection": "close"})
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        return error_response(error.code or 500, error.description or _reason(error.code or 500), headers=headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_error(error)
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, InternalServerError.description)
