"""Queries rewritten for a remote SPARQL server: skolem IRIs told from IRIs, pre-bound variables as ``VALUES``.

Both rewrites work on our lexer's tokens and keep everything else of the text as written.
"""

from __future__ import annotations

import re

from kg.sparql.lexer import Token, tokens
from kg.store.base import Substitutions
from kg.store.skolem import Skolemizer

_TERM_TEST = re.compile(r"is(blank|iri|uri)", re.IGNORECASE)


def with_term_tests(text: str, skolem: Skolemizer) -> str:
    """``text`` with ``isBlank(?v)``/``isIRI(?v)``/``isURI(?v)`` also telling skolem IRIs as the blank nodes they are.

    Only tests of a variable are rewritten (the usual case): an argument written
    twice more per test would grow nested expressions exponentially.
    """
    if not _TERM_TEST.search(text):
        return text
    stream = list(tokens(text))
    parts, position = [], 0
    for index in range(len(stream) - 3):
        test, opening, argument, closing = stream[index:index + 4]
        if test.keyword not in ("ISBLANK", "ISIRI", "ISURI") or opening.text != "(" or closing.text != ")":
            continue
        if argument.kind != "VAR":
            continue
        variable = argument.text
        genid = f'(isIRI({variable}) && STRSTARTS(STR({variable}), "{skolem.prefix}"))'
        replaced = f"(isBlank({variable}) || {genid})" if test.keyword == "ISBLANK" else f"(isIRI({variable}) && !{genid})"
        parts += [text[position:test.offset], replaced]
        position = closing.offset + 1
    return "".join(parts) + text[position:]

def with_values(text: str, substitutions: Substitutions, skolem: Skolemizer) -> str:
    """``text`` with the pre-bound variables fixed as pyoxigraph's substitution does, in standard SPARQL.

    A one-row ``VALUES`` block opens the ``WHERE`` group (so the variables are
    bound in the answer) and every nested group that mentions one of them,
    within subqueries that project it (a subquery sees no other variable from outside).
    """
    text = _construct_where_spelled_out(text)
    stream = list(tokens(text))
    closing = _closing_braces(stream)
    scopes: list[tuple[int, set[str]]] = [(len(stream), set(substitutions))]
    insertions: list[tuple[int, list[str]]] = []
    for index, token in enumerate(stream):
        while index > scopes[-1][0]:
            scopes.pop()
        if token.text != "{" or _is_data_block(stream, index) or _is_construct_template(stream, index):
            continue
        visible = scopes[-1][1]
        end = closing.get(index, len(stream))
        if index + 1 < len(stream) and stream[index + 1].keyword == "SELECT":
            scopes.append((end, visible & _projected(stream, index + 1, visible)))
            continue
        mentioned = {t.text[1:] for t in stream[index + 1:end] if t.kind == "VAR"}
        names = [name for name in substitutions if name in visible and (not insertions or name in mentioned)]
        if names:
            insertions.append((token.offset + 1, names))
        elif not insertions:
            insertions.append((token.offset + 1, []))
    if not insertions:
        return f"{text}\nWHERE {{{_values_block(skolem, list(substitutions), substitutions)}}}"  # DESCRIBE without a pattern
    for at, names in reversed(insertions):
        if names:
            text = text[:at] + _values_block(skolem, names, substitutions) + text[at:]
    return text

def _values_block(skolem: Skolemizer, names: list[str], substitutions: Substitutions) -> str:
    row = " ".join(skolem.outgoing(substitutions[name]) for name in names)
    return f" VALUES ({' '.join('?' + name for name in names)}) {{ ({row}) }} "


def _projected(stream: list[Token], select: int, candidates: set[str]) -> set[str]:
    """Which of ``candidates`` the subquery whose ``SELECT`` is at ``select`` projects (all for ``SELECT *``)."""
    projected: set[str] = set()
    depth, previous_is_as = 0, False
    for token in stream[select + 1:]:
        if token.text == "{" or token.keyword == "WHERE":
            break
        if token.text == "*" and depth == 0:
            return set(candidates)
        depth += (token.text == "(") - (token.text == ")")
        if token.kind == "VAR" and (depth == 0 or previous_is_as):
            projected.add(token.text[1:])
        previous_is_as = token.keyword == "AS"
    return projected & candidates


def _closing_braces(stream: list[Token]) -> dict[int, int]:
    """Index of each ``{`` -> index of its ``}``."""
    pairs: dict[int, int] = {}
    open_at: list[int] = []
    for index, token in enumerate(stream):
        if token.text == "{":
            open_at.append(index)
        elif token.text == "}" and open_at:
            pairs[open_at.pop()] = index
    return pairs


def _is_data_block(stream: list[Token], index: int) -> bool:
    """True if the ``{`` at ``index`` opens the rows of ``VALUES ?x {…}`` or ``VALUES (?x ?y) {…}``."""
    before = stream[index - 1] if index else None
    if before is None:
        return False
    if before.kind == "VAR":
        return index >= 2 and stream[index - 2].keyword == "VALUES"
    if before.text == ")":
        for position in range(index - 2, -1, -1):
            if stream[position].text == "(":
                return position > 0 and stream[position - 1].keyword == "VALUES"
            if stream[position].kind != "VAR":
                return False
    return False


def _is_construct_template(stream: list[Token], index: int) -> bool:
    """True if the ``{`` at ``index`` opens a ``CONSTRUCT`` template."""
    return index > 0 and stream[index - 1].keyword == "CONSTRUCT"


def _construct_where_spelled_out(text: str) -> str:
    """``CONSTRUCT WHERE { P }`` (triple patterns only) as ``CONSTRUCT { P } WHERE { P }``, which can take ``VALUES``."""
    stream = list(tokens(text))
    for index, token in enumerate(stream[:-2]):
        if token.keyword == "CONSTRUCT" and stream[index + 1].keyword == "WHERE" and stream[index + 2].text == "{":
            end = _closing_braces(stream).get(index + 2)
            if end is None:
                return text
            pattern = text[stream[index + 2].offset:stream[end].offset + 1]
            return text[:stream[index + 1].offset] + pattern + " WHERE " + text[stream[index + 2].offset:]
    return text
