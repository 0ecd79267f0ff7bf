"""The error a SPARQL query or update answers with when it cannot be done as asked."""

from __future__ import annotations


class QueryError(ValueError):
    """A query that cannot be answered as asked; ``line``/``column`` locate a syntax error."""

    status = 400
    """The HTTP status it answers with (a limit may say 413)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
