"""The engine's SPARQL syntax errors in our words: line, column, and what was expected, briefly."""

from __future__ import annotations

from kg.sparql.errors import QueryError
from kg.sparql.lexer import tokens


def query_error_from(error: SyntaxError, text: str) -> QueryError:
    """A ``QueryError`` carrying the line and column of the engine's ``error at L:C: ...`` message."""
    message = str(error.msg if error.msg else error)
    line = column = None
    if message.startswith("error at "):
        position, _, rest = message[len("error at "):].partition(": ")
        line_text, _, column_text = position.partition(":")
        if line_text.isdigit() and column_text.isdigit():
            line, column = int(line_text), int(column_text)
            detail = _shorten_expected(rest)
            if detail == "undeclared prefix":
                detail = _undeclared_prefix(text, line, column)
            message = f"syntax error at line {line}, column {column}: {detail}"
    return QueryError(message, line, column)


def _undeclared_prefix(text: str, line: int, column: int) -> str:
    """Name the prefix of the prefixed name that ends at ``line``:``column``."""
    for token in tokens(text):
        if token.kind == "PNAME" and token.line == line and token.column <= column <= token.column + len(token.text):
            return f"undeclared prefix '{token.text.split(':', 1)[0]}:' in {token.text}"
    return "undeclared prefix"


def _shorten_expected(detail: str, keep: int = 8) -> str:
    """The parser's "expected one of A, B, ..." list, without character classes and cut to ``keep`` items."""
    head, marker, alternatives = detail.partition("expected one of ")
    if not marker:
        return detail
    items: list[str] = []
    depth, current = 0, ""
    for char in alternatives.replace("\n", " "):
        depth += char == "["
        depth -= char == "]"
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    if "Prefix not found" in items:
        return "undeclared prefix"
    named = [item for item in items if item and not item.startswith("[")]
    if len(named) == 1 and " " in named[0]:  # the parser's own sentence ("Variables are not allowed in ...")
        return named[0]
    if not named:
        return f"{head}unexpected input".strip()
    shown = ", ".join(named[:keep])
    more = len(named) - keep
    return f"{head}expected one of {shown}" + (f", … ({more} more)" if more > 0 else "")
