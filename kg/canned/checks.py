"""Checks of a canned query's SPARQL before it is saved.

Read from the tokens (:func:`check_query`, nothing is evaluated):

* every declared parameter is a variable of the query;
* no parameter is copied with ``BIND(?param AS ?other)`` or tested with
  ``BOUND(?param)``: for a substituted variable the engine leaves ``?other``
  unbound and answers ``BOUND`` false (seen with pyoxigraph 0.5.13).

The engine's own checks come from the trial run at save time
(:func:`kg.canned.run.trial_run`), which goes through the endpoint's evaluator
and its limits — pyoxigraph starts evaluating a query (SERVICE calls included)
as soon as it is asked, even over an empty store, so no query is handed to it
outside those limits.  :func:`explain_engine_error` turns what the engine says
about a parameter it cannot bind into words: pyoxigraph substitutes a variable
only where it is visible at the top of the query (SEP-0007), so a SELECT must
project it and a CONSTRUCT/DESCRIBE must bind it in its WHERE clause.
"""

from __future__ import annotations

import re

from kg.canned.errors import InvalidQuery
from kg.canned.model import CannedQuery
from kg.sparql.lexer import Token, tokens

_NOT_PROJECTED = re.compile(r"does not contains? variable \?(?P<name>\w+) in its SELECT projection")


def check_query(query: CannedQuery) -> None:
    """Raise ``InvalidQuery`` (with line and column when known) for what the tokens show to be wrong."""
    words = list(tokens(query.sparql))
    variables = {token.text[1:] for token in words if token.kind == "VAR"}
    for parameter in query.parameters:
        if parameter.bound_variable not in variables:
            raise InvalidQuery(f"parameter '{parameter.name}' is declared in the header but "
                               f"?{parameter.bound_variable} is not in the query")
    _check_copying_binds(query, words)
    _check_bound_tests(query, words)


def explain_engine_error(query: CannedQuery, message: str) -> str:
    """``message`` from the engine, or what it means for a parameter of ``query`` it could not bind."""
    unbindable = _NOT_PROJECTED.search(message)
    variable = unbindable["name"] if unbindable else None
    parameter = next((p for p in query.parameters if p.bound_variable == variable), None)
    if parameter is not None:
        name = parameter.bound_variable
        return (f"parameter '{parameter.name}' cannot be bound: ?{name} must be visible at the top of the query "
                f"(in a SELECT's projection, or bound by a pattern of a CONSTRUCT's or DESCRIBE's WHERE clause)")
    return message


def _check_copying_binds(query: CannedQuery, words: list[Token]) -> None:
    names = {parameter.bound_variable for parameter in query.parameters}
    for i in range(len(words) - 3):
        bind, paren, variable, as_ = words[i : i + 4]
        if (bind.keyword == "BIND" and paren.text == "(" and variable.kind == "VAR"
                and variable.text[1:] in names and as_.keyword == "AS"):
            raise InvalidQuery(
                f"line {bind.line}: BIND({variable.text} AS …) copies a parameter, which the engine leaves unbound; "
                f"use {variable.text} itself where the copy is used",
                bind.line,
                bind.column,
            )


def _check_bound_tests(query: CannedQuery, words: list[Token]) -> None:
    names = {parameter.bound_variable for parameter in query.parameters}
    for i in range(len(words) - 2):
        bound, paren, variable = words[i : i + 3]
        if bound.keyword == "BOUND" and paren.text == "(" and variable.kind == "VAR" and variable.text[1:] in names:
            raise InvalidQuery(
                f"line {bound.line}: BOUND({variable.text}) is always false for a bound parameter in this engine; "
                f"for an optional parameter write COALESCE(?x = {variable.text}, true), or use {variable.text} in "
                f"a pattern (unbound, it matches anything)",
                bound.line,
                bound.column,
            )
