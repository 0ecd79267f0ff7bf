"""The errors every layer may raise to refuse a request: :class:`HttpError` and the SPARQL ones built on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class HttpError(Exception):
    """A request refused with an HTTP ``status`` and a ``message`` saying why.

    ``headers`` go on the answer (``Retry-After``, ``WWW-Authenticate``…); ``details``
    are extra facts for clients that read them (a SPARQL ``line`` and ``column``, the
    ``parameter`` at fault…).  The web layer renders every one the same way per surface.
    """

    status = 400
    """The status a subclass answers with unless the constructor says otherwise."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = dict(headers or {})
        self.details: dict[str, Any] = details


class QueryError(HttpError, ValueError):
    """A query that cannot be answered as asked; ``line``/``column`` locate a syntax error."""

    status = 400
    """The HTTP status it answers with (a limit may say 413)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, line=line, column=column)
        self.line = line
        self.column = column
