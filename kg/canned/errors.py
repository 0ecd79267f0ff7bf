"""Typed errors of the query library; each is an :class:`HttpError` with the status the web layer answers with."""

from __future__ import annotations

from kg.sparql.errors import HttpError


class CannedError(HttpError):
    """Something about a canned query, its name or its parameters is wrong (``message`` says what)."""

    status = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message, **details)


class QueryNotFound(CannedError):
    """No canned query (or revision) has that name."""

    status = 404


class InvalidName(CannedError):
    """A query name that is not a safe slug."""


class InvalidQuery(CannedError):
    """A query file that cannot be saved: bad metadata header, bad SPARQL, undeclared variables…

    ``line`` and ``column`` locate the problem in the file when known.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, line=line, column=column)
        self.line = line
        self.column = column


class ParameterError(CannedError):
    """A parameter value that is missing, unknown or does not have the declared type."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message, parameter=parameter)
        self.parameter = parameter


class ReadOnlyQuery(CannedError):
    """An attempt to replace or delete a shipped query."""

    status = 409
