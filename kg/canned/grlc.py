"""grlc's decorators and parameter naming convention, read onto the canned-query model.

grlc (CLARIAH/grlc) builds an API from a folder of ``.rq`` files with the same
``#+`` YAML header.  This module reads its keys: ``summary`` (the title when
there is none), ``defaults``, ``enumerate``, ``pagination`` and ``method``;
``endpoint``, ``endpoint_in_url``, ``transform`` and ``mime`` are accepted and
kept as notes, since runs here answer from this server's graph in the standard
formats.  In a query without a ``parameters:`` key, variables named by grlc's
convention (``?_name``, ``?__name`` optional, a suffix for the type:
``_iri``, ``_integer``, ``_en``, ``_xsd_date``…) are its parameters.  See
``queries/README.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kg.canned.binding import ValueShapeError, term_for
from kg.canned.errors import InvalidQuery
from kg.canned.model import RESERVED_NAMES, Parameter
from kg.sparql.lexer import Token, tokens

GRLC_KEYS = ("summary", "defaults", "enumerate", "pagination", "method", "endpoint", "endpoint_in_url", "transform",
             "mime")
NOT_APPLICABLE = {
    "endpoint": "not used, runs answer from this server's own graph",
    "endpoint_in_url": "not used, runs take no endpoint= parameter",
    "transform": "not applied, runs answer in the standard SPARQL result formats",
    "mime": "not used, this server answers SPARQL from its own graph",
}
"""Why each of these grlc keys has no effect here (kept as a note on the query)."""
MAX_PAGE_SIZE = 10_000
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_TYPES = frozenset({
    "string", "normalizedString", "token", "language", "Name", "NCName", "ID", "IDREF", "ENTITY", "NMTOKEN",
    "anyURI", "QName", "NOTATION", "boolean", "decimal", "integer", "nonPositiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    "positiveInteger", "float", "double", "duration", "dateTime", "dateTimeStamp", "time", "date", "gYearMonth",
    "gYear", "gMonthDay", "gDay", "gMonth", "hexBinary", "base64Binary", "dayTimeDuration", "yearMonthDuration",
})
"""The built-in datatypes of XML Schema 1.1, by local name."""
_CONVENTION = re.compile(r"^(?P<underscores>__?)(?P<name>[A-Za-z0-9]+)(?:_(?P<kind>[A-Za-z0-9]+))?"
                         r"(?:_(?P<extra>[A-Za-z0-9]+))?$")
_PAGE_CLAUSE = ("LIMIT", "OFFSET")

Locate = Callable[..., int | None]
"""Finds the file line of a header key (see :class:`kg.canned.header._Locator`)."""


@dataclass(frozen=True)
class GrlcHeader:
    """What grlc's keys add to a query: its parameters completed, paging, method and notes."""

    parameters: tuple[Parameter, ...]
    pagination: int | None = None
    method: str | None = None
    notes: tuple[str, ...] = ()


def read_grlc(
    header: Mapping[str, Any],
    text: str,
    declared: tuple[Parameter, ...] | None,
    prefixes: Mapping[str, str],
    locate: Locate,
) -> GrlcHeader:
    """grlc's keys of ``header`` applied to the ``declared`` parameters (``None``: read them from variable names)."""
    parameters = convention_parameters(text, prefixes) if declared is None else declared
    notes = [f"{key}{_shown(header[key])}: {reason}" for key, reason in NOT_APPLICABLE.items() if key in header]
    parameters, unlisted = _with_values(parameters, header.get("enumerate"), prefixes, locate)
    notes += [f"enumerate {name}: values are not fetched from an endpoint here; any value of the parameter's type "
              f"is accepted" for name in unlisted]
    parameters = _with_defaults(parameters, header.get("defaults"), prefixes, locate)
    return GrlcHeader(parameters, _pagination(header.get("pagination"), locate), _method(header.get("method"), locate),
                      tuple(notes))


# -- the ?_name_type convention ----------------------------------------------------------------------------------


def convention_parameters(text: str, prefixes: Mapping[str, str]) -> tuple[Parameter, ...]:
    """The parameters that grlc reads from ``text``'s variable names, in order of first use."""
    words = list(tokens(text))
    known = {**prefixes, **_declared_prefixes(words)}
    found: dict[str, Parameter] = {}
    for token in words:
        variable = token.text[1:]
        if token.kind != "VAR" or not variable.startswith("_") or any(
                p.variable == variable for p in found.values()):
            continue
        match = _CONVENTION.fullmatch(variable)
        if match is None:
            raise InvalidQuery(f"line {token.line}: ?{variable} is not a grlc parameter name (?_name, ?__name, "
                               f"?_name_type or ?_name_prefix_datatype, the name in letters and digits)",
                               token.line, token.column)
        name = match["name"]
        if name in found:
            raise InvalidQuery(f"line {token.line}: ?{variable} and ?{found[name].variable} are both the grlc "
                               f"parameter '{name}'; give one of them another name", token.line, token.column)
        if name in RESERVED_NAMES:
            raise InvalidQuery(f"line {token.line}: ?{variable} would be the parameter '{name}', which is reserved "
                               f"for the run request ({', '.join(sorted(RESERVED_NAMES))})", token.line, token.column)
        kind = _typed(match["kind"], match["extra"], known, token)
        found[name] = replace(kind, name=name, variable=variable, required=match["underscores"] == "_")
    return tuple(found.values())


def _typed(kind: str | None, extra: str | None, prefixes: Mapping[str, str], token: Token) -> Parameter:
    """A parameter (name to be set) of the type grlc gives the suffix ``_kind`` or ``_kind_extra``."""
    if kind is None or kind in ("literal", "string"):
        return Parameter(name="", type="literal")
    if kind in ("iri", "number"):
        return Parameter(name="", type=kind)
    if kind in XSD_TYPES:
        return _of_datatype(XSD + kind)
    if len(kind) == 2 and kind.isalpha():
        return Parameter(name="", type="literal", lang=kind.lower())
    if extra is None:
        return Parameter(name="", type="literal")
    if kind not in prefixes:
        raise InvalidQuery(f"line {token.line}: {token.text} asks for the datatype {kind}:{extra}, but the prefix "
                           f"'{kind}:' is not declared", token.line, token.column)
    return _of_datatype(prefixes[kind] + extra)


def _of_datatype(datatype: str) -> Parameter:
    """A parameter bound as a literal of ``datatype``: our own types for integers, dates and strings."""
    own = {XSD + "integer": "integer", XSD + "date": "date", XSD + "string": "literal"}.get(datatype)
    return Parameter(name="", type=own) if own else Parameter(name="", type="literal", datatype=datatype)


def _declared_prefixes(words: list[Token]) -> dict[str, str]:
    """The ``PREFIX p: <iri>`` declarations of a query's prologue."""
    return {words[i + 1].text[:-1]: words[i + 2].text[1:-1] for i in range(len(words) - 2)
            if words[i].keyword == "PREFIX" and words[i + 1].kind == "PNAME" and words[i + 1].text.endswith(":")
            and words[i + 2].kind == "IRI"}


# -- defaults and enumerate --------------------------------------------------------------------------------------


def _entries(value: Any, key: str, locate: Locate) -> list[tuple[str, Any]]:
    """``(name, value)`` pairs of grlc's ``- name: value`` list (a mapping is read the same way; a bare name: None)."""
    if value is None:
        return []
    items = list(value.items()) if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise InvalidQuery(f"'{key}' is a list of '- parameter: …' lines", locate(key))
    pairs: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(item, tuple):
            pairs.append(item)
        elif isinstance(item, dict):
            pairs.extend(item.items())
        elif isinstance(item, str):
            pairs.append((item, None))
        else:
            raise InvalidQuery(f"'{key}' is a list of '- parameter: …' lines", locate(key))
    return pairs


def _target(parameters: tuple[Parameter, ...], name: str, key: str, locate: Locate) -> Parameter:
    found = next((p for p in parameters if p.name == name), None)
    if found is None:
        takes = ", ".join(p.name for p in parameters) or "none"
        raise InvalidQuery(f"'{key}' names '{name}', which is not a parameter of this query (its parameters: {takes}; "
                           f"a grlc parameter is named without ?_ and type: o for ?_o_iri)",
                           locate(name) or locate(key))
    return found


def _with_values(
    parameters: tuple[Parameter, ...], value: Any, prefixes: Mapping[str, str], locate: Locate
) -> tuple[tuple[Parameter, ...], list[str]]:
    """``parameters`` with grlc's ``enumerate`` values set, and the names enumerated without values."""
    changed = {p.name: p for p in parameters}
    unlisted: list[str] = []
    for name, values in _entries(value, "enumerate", locate):
        parameter = _target(parameters, name, "enumerate", locate)
        if values is None:
            unlisted.append(name)
            continue
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise InvalidQuery(f"enumerate {name}: give a list of values", locate(name) or locate("enumerate"))
        if parameter.values:
            raise InvalidQuery(f"enumerate {name}: the parameter already lists its values", locate("enumerate"))
        for allowed in values:
            _check_value(parameter, allowed, prefixes, f"enumerate {name}: the value", locate(name))
        plain = parameter.type == "literal" and not parameter.datatype
        changed[name] = replace(parameter, type="enum" if plain else parameter.type, values=tuple(values))
    return tuple(changed.values()), unlisted


def _with_defaults(
    parameters: tuple[Parameter, ...], value: Any, prefixes: Mapping[str, str], locate: Locate
) -> tuple[Parameter, ...]:
    """``parameters`` with grlc's ``defaults`` set (a default makes a parameter optional)."""
    changed = {p.name: p for p in parameters}
    for name, default in _entries(value, "defaults", locate):
        parameter = _target(tuple(changed.values()), name, "defaults", locate)
        if not isinstance(default, str):
            raise InvalidQuery(f"defaults {name}: give one value ('- {name}: value')",
                               locate(name) or locate("defaults"))
        if parameter.default is not None:
            raise InvalidQuery(f"defaults {name}: the parameter already has a default", locate("defaults"))
        _check_value(parameter, default, prefixes, f"defaults {name}: the default", locate(name))
        changed[name] = replace(parameter, default=default, required=False)
    return tuple(changed.values())


def _check_value(parameter: Parameter, value: str, prefixes: Mapping[str, str], what: str, line: int | None) -> None:
    try:
        term_for(parameter, value, prefixes)
    except ValueShapeError:
        raise InvalidQuery(f"{what} {value!r} is not {parameter.expected(prefixes)}", line) from None


def _shown(value: Any) -> str:
    """`` value`` for a one-line text (an endpoint's IRI), nothing for a mapping (a transform)."""
    return f" {value}" if isinstance(value, str) and value and "\n" not in value else ""


# -- pagination and method ---------------------------------------------------------------------------------------


def _pagination(value: Any, locate: Locate) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip().isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise InvalidQuery(f"'pagination' is the number of rows per page, 1 to {MAX_PAGE_SIZE}", locate("pagination"))
    return int(value)


def _method(value: Any, locate: Locate) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().upper() not in ("GET", "POST"):
        raise InvalidQuery("'method' is GET or POST", locate("method"))
    return value.strip().upper()


def paged(text: str, size: int, page: int) -> str:
    """``text`` answering only page ``page`` (from 1) of ``size`` rows, within its own LIMIT and OFFSET if any.

    The query's top-level LIMIT and OFFSET are replaced by the page's window;
    only these two computed integers are written into the text.
    """
    words = list(tokens(text))
    depth, limit, offset = 0, None, 0
    cuts: list[tuple[int, int]] = []
    insert_at = len(text)
    for i, token in enumerate(words):
        if token.kind == "OP" and token.text in ("{", "("):
            depth += 1
        elif token.kind == "OP" and token.text in ("}", ")"):
            depth -= 1
        elif depth == 0 and token.keyword in _PAGE_CLAUSE and i + 1 < len(words) and words[i + 1].text.isdigit():
            number = words[i + 1]
            if token.keyword == "LIMIT":
                limit = int(number.text)
            else:
                offset = int(number.text)
            cuts.append((token.offset, number.offset + len(number.text)))
        elif depth == 0 and token.keyword == "VALUES":
            insert_at = token.offset
            break
    first = (page - 1) * size
    count = size if limit is None else max(0, min(size, limit - first))
    kept, position = [], 0
    for start, end in cuts:
        kept.append(text[position:start])
        position = end
    return "".join(kept) + text[position:insert_at] + f"\nLIMIT {count} OFFSET {offset + first}\n" + text[insert_at:]
