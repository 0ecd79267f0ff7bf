"""The structure of a SPARQL 1.1 Update request, read on our lexer's tokens: its operations and their prologues.

Nothing here evaluates anything: the executor (:mod:`kg.evaluation.update`) runs the operations.
Masking keeps positions: a text handed to a parser is the original with everything but the part
being checked blanked out (newlines kept), so the parser's line and column are the user's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kg.sparql.errors import QueryError
from kg.sparql.lexer import Token, tokens


@dataclass(frozen=True)
class Operation:
    """One operation of the request: its tokens and the prologue declarations before it."""

    tokens: list[Token]
    declarations: list[tuple[int, int]]
    """(start, end) offsets of every ``PREFIX``/``BASE`` declaration before the operation."""

    @property
    def keyword(self) -> str:
        return self.tokens[0].keyword or ""


def split_operations(text: str) -> Iterator[Operation]:
    """The operations of ``text``, split at ``;`` outside brackets, with the declarations seen so far."""
    declarations: list[tuple[int, int]] = []
    current: list[Token] = []
    stream = list(tokens(text))
    depth = 0
    index = 0
    while index < len(stream):
        token = stream[index]
        if depth == 0 and not current and token.keyword in ("PREFIX", "BASE"):
            width = 3 if token.keyword == "PREFIX" else 2
            last = stream[min(index + width, len(stream)) - 1]
            declarations.append((token.offset, last.offset + len(last.text)))
            index += width
            continue
        if token.text in ("{", "(", "["):
            depth += 1
        elif token.text in ("}", ")", "]"):
            depth -= 1
        if depth == 0 and token.text == ";":
            if not current:
                raise syntax_error(token, "an operation is missing before ';'")
            yield Operation(current, list(declarations))
            current = []
        else:
            current.append(token)
        index += 1
    if current:
        yield Operation(current, list(declarations))


def syntax_error(token: Token, message: str) -> QueryError:
    """A syntax error at ``token``'s line and column."""
    return QueryError(f"syntax error at line {token.line}, column {token.column}: {message}", token.line, token.column)


def blank_out(text: str, keep: Sequence[tuple[int, int]], writes: Sequence[tuple[int, str]] = ()) -> str:
    """``text`` blanked (newlines kept) except the ``keep`` spans, with ``writes`` put at their offsets."""
    chars = ["\n" if char == "\n" else " " for char in text]
    for start, end in keep:
        chars[start:end] = text[start:end]
    for offset, replacement in writes:
        chars[offset:offset + len(replacement)] = replacement
    return "".join(chars)


def matching_brace(stream: Sequence[Token], index: int) -> int:
    """The index of the ``}`` closing the ``{`` at ``index``."""
    if index >= len(stream) or stream[index].text != "{":
        where = stream[min(index, len(stream) - 1)]
        raise syntax_error(where, f"expected '{{', found {where.text!r}")
    depth = 0
    for position in range(index, len(stream)):
        if stream[position].text == "{":
            depth += 1
        elif stream[position].text == "}":
            depth -= 1
            if depth == 0:
                return position
    raise syntax_error(stream[index], "this '{' is never closed")
