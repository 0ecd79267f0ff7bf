"""What every answer and every request body goes through: security headers, body size and content coding.

* every answer, whatever its type and status, carries the security headers
  (:func:`security_headers`, the one place that sets them): no content sniffing,
  no framing, no referrer sent on, and a ``Content-Security-Policy`` — for
  pages (:data:`PAGE_POLICY`) nothing but this server's own styles and images and
  forms posting only here, no script at all; the query page may also run this
  server's own scripts and its editor (CodeMirror) style itself inline
  (:data:`EDITOR_PAGE_POLICY`); anything else (results, RDF, JSON, files) is
  sandboxed and loads nothing (:data:`DOCUMENT_POLICY`);
* a request body with a ``Content-Encoding`` (gzip, deflate) is decoded before
  any surface reads it, capped at ``KG_MAX_REQUEST_BYTES`` once decoded (a
  compression bomb is a 413); another coding is a 415, undecodable data a 400;
* a body past ``KG_MAX_REQUEST_BYTES`` is a 413 that names the limit, also when
  it comes in chunks without a ``Content-Length``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request

from kg.sparql.protocol import ProtocolError, decode_content

#: HTML pages: they run no script; styles, images and form targets are this server's own.
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
               "frame-ancestors 'none'")
#: The query page also runs this server's own scripts, and its SPARQL editor (CodeMirror) sets inline styles.
EDITOR_PAGE_POLICY = PAGE_POLICY.replace("style-src 'self'", "script-src 'self'; style-src 'self' 'unsafe-inline'")
#: Endpoints whose pages run the editor.
EDITOR_PAGES = ("query_page.",)
#: Every other answer: a document that, opened in a browser, runs and loads nothing.
DOCUMENT_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
#: Headers every answer carries.
ALWAYS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
_BODY_ERROR = "kg.body_error"


def install(app: Flask, max_body_bytes: int) -> None:
    """Decode content codings ahead of the app, refuse what cannot be, and add the security headers to every answer."""
    app.wsgi_app = _BodyGuard(app.wsgi_app, max_body_bytes)  # type: ignore[method-assign]

    @app.before_request
    def refuse_undecodable_body() -> None:
        error = request.environ.get(_BODY_ERROR)
        if error is not None:
            raise error

    app.after_request(security_headers)


def security_headers(response: Response) -> Response:
    """Set the security headers of ``response`` (every answer of the app goes through here, errors included)."""
    response.headers.update(ALWAYS)
    if response.mimetype == "text/html":
        editor = (request.endpoint or "").startswith(EDITOR_PAGES)
        response.headers["Content-Security-Policy"] = EDITOR_PAGE_POLICY if editor else PAGE_POLICY
    else:
        response.headers["Content-Security-Policy"] = DOCUMENT_POLICY
    return response


class _BodyGuard:
    """WSGI middleware: a body with a ``Content-Encoding`` or without a ``Content-Length`` (chunked) is read here,
    within the limit, and replaced by its decoded bytes (or by an error to answer)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        coding = environ.pop("HTTP_CONTENT_ENCODING", None)
        chunked = not environ.get("CONTENT_LENGTH") and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if coding is not None or chunked:
            try:
                body = decode_content(self._read(environ), coding, self.limit)
            except ProtocolError as error:
                environ[_BODY_ERROR] = error
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input_terminated"] = False
        return self.app(environ, start_response)

    def _read(self, environ: dict[str, Any]) -> bytes:
        """The raw body, refusing (413) one larger than the limit before reading it whole."""
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.strip().isdigit() and int(declared) > self.limit:
            raise ProtocolError(413, f"the request body is larger than {self.limit:,} bytes (KG_MAX_REQUEST_BYTES)")
        stream = environ["wsgi.input"]
        data = stream.read(int(declared)) if declared.strip().isdigit() else stream.read(self.limit + 1)
        if len(data) > self.limit:
            raise ProtocolError(413, f"the request body is larger than {self.limit:,} bytes (KG_MAX_REQUEST_BYTES)")
        return data
