"""Reading a ``.rq`` file's metadata header: ``#+`` comment lines holding YAML, as grlc does.

Only the comment lines before the first line of SPARQL count.  Every scalar is
read as text (YAML's base schema: ``no`` stays ``"no"``, ``2021-01-13`` stays a
string); this module types and checks the values, and :mod:`kg.canned.grlc`
reads grlc's own keys.  See ``queries/README.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
import yaml

from kg.canned.binding import ValueShapeError, term_for
from kg.canned.errors import InvalidQuery
from kg.canned.grlc import GRLC_KEYS, read_grlc
from kg.canned.model import PARAMETER_TYPES, RESERVED_NAMES, CannedQuery, Parameter
from kg.reasoning import MODES
from kg.sparql.lexer import tokens

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
HEADER_KEYS = ("title", "description", "tags", "reasoning", "parameters")
PARAMETER_KEYS = ("type", "label", "description", "default", "required", "class", "namespace", "values", "lang",
                  "min", "max")
_PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")


def header_lines(text: str) -> list[tuple[int, str]]:
    """``(file line number, YAML text)`` for each ``#+`` line of the leading comment block."""
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#+"):
            content = stripped[2:]
            lines.append((number, content[1:] if content.startswith(" ") else content))
        elif stripped and not stripped.startswith("#"):
            break
    return lines


def parse_header(text: str) -> dict[str, Any]:
    """The header's YAML mapping (empty if there is none); ``InvalidQuery`` with the file line if malformed."""
    lines = header_lines(text)
    if not lines:
        return {}
    try:
        document = yaml.load("\n".join(content for _, content in lines), Loader=yaml.BaseLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = lines[min(mark.line, len(lines) - 1)][0] if mark else None
        problem = error.problem or error.context or "malformed YAML"
        raise InvalidQuery(f"metadata header, line {line}: {problem}", line) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise InvalidQuery("the metadata header must be 'key: value' lines (a YAML mapping)", lines[0][0])
    return document


def parse_query(
    name: str,
    text: str,
    prefixes: Mapping[str, str],
    *,
    shipped: bool = False,
    revision: int | None = None,
) -> CannedQuery:
    """The canned query in ``text`` (a whole ``.rq`` file); prefixed names in the header use ``prefixes``.

    Checks the header only; :func:`kg.canned.checks.check_query` checks the SPARQL.
    """
    header = parse_header(text)
    locate = _Locator(text)
    unknown = sorted(set(header) - set(HEADER_KEYS) - set(GRLC_KEYS))
    if unknown:
        raise InvalidQuery(f"unknown metadata key '{unknown[0]}'; the header takes: {', '.join(HEADER_KEYS)} "
                           f"(and grlc's {', '.join(GRLC_KEYS)})", locate(unknown[0]))
    title = _text(header.get("title"), "title", locate)
    summary = _text(header.get("summary"), "summary", locate)
    if not (title or summary):
        raise InvalidQuery("the metadata header needs a 'title' line (#+ title: ...), or grlc's 'summary'",
                           locate("title") or 1)
    description = _text(header.get("description"), "description", locate)
    if title and summary and summary != title:
        description = f"{summary}\n\n{description}".strip()
    reasoning = _text(header.get("reasoning"), "reasoning", locate) or None
    if reasoning is not None and reasoning not in MODES:
        raise InvalidQuery(f"reasoning must be one of {', '.join(MODES)}, not {reasoning!r}", locate("reasoning"))
    parameters_spec = header.get("parameters") or {}
    if not isinstance(parameters_spec, dict):
        raise InvalidQuery("'parameters' must map each parameter name to its description", locate("parameters"))
    declared = tuple(
        _parameter(param_name, spec, prefixes, locate) for param_name, spec in parameters_spec.items())
    grlc = read_grlc(header, text, declared if "parameters" in header else None, prefixes, locate)
    return CannedQuery(
        name=name,
        title=title or summary,
        description=description,
        tags=_tags(header.get("tags"), locate),
        parameters=grlc.parameters,
        form=query_form(text),
        reasoning=reasoning,
        sparql=text,
        shipped=shipped,
        revision=revision,
        pagination=grlc.pagination,
        method=grlc.method,
        notes=grlc.notes,
    )


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first query-form keyword of ``text`` (SELECT if none)."""
    for token in tokens(text):
        if token.keyword in QUERY_FORMS:
            return token.keyword
    return "SELECT"


class _Locator:
    """Finds the file line where a header key is written, to point errors at it."""

    def __init__(self, text: str) -> None:
        self._lines = header_lines(text)

    def __call__(self, key: str, after: int = 0) -> int | None:
        pattern = re.compile(rf"^\s*(-\s*)?{re.escape(key)}\s*:")
        return next((number for number, content in self._lines if number > after and pattern.match(content)), None)


def _text(value: Any, key: str, locate: _Locator) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidQuery(f"'{key}' must be a text, not a list or mapping", locate(key))
    return " ".join(value.split()) if key != "description" else value.strip()


def _tags(value: Any, locate: _Locator) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise InvalidQuery("'tags' must be a list of words (tags: [a, b] or tags: a, b)", locate("tags"))
    return tuple(tag.strip() for tag in items if tag.strip())


def _parameter(name: str, spec: Any, prefixes: Mapping[str, str], locate: _Locator) -> Parameter:
    line = locate(name, after=locate("parameters") or 0)

    def fail(message: str) -> InvalidQuery:
        return InvalidQuery(f"parameter '{name}': {message}", line)

    if not _PARAMETER_NAME.fullmatch(name):
        raise fail("a parameter name is a SPARQL variable name without '?' (letters, digits, '_')")
    if name in RESERVED_NAMES:
        raise fail(f"'{name}' is reserved for the run request ({', '.join(sorted(RESERVED_NAMES))})")
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict):
        raise fail("describe it with 'type:' and the other keys of queries/README.md")
    unknown = sorted(set(spec) - set(PARAMETER_KEYS))
    if unknown:
        raise fail(f"unknown key '{unknown[0]}'; a parameter takes: {', '.join(PARAMETER_KEYS)}")
    for key, value in spec.items():
        if key != "values" and not isinstance(value, str):
            raise fail(f"'{key}' must be a single value")
    kind = spec.get("type", "")
    if kind not in PARAMETER_TYPES:
        raise fail(f"type must be one of {', '.join(PARAMETER_TYPES)}, not {kind!r}")
    values = spec.get("values", [])
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise fail("'values' must be a list of texts")
    if (kind == "enum") != bool(values):
        raise fail("an enum parameter lists its allowed values in 'values' (and only an enum does)")
    rdf_class = _iri(spec["class"], prefixes, fail) if "class" in spec else None
    namespace = _iri(spec["namespace"], prefixes, fail, namespace=True) if "namespace" in spec else None
    if (rdf_class or namespace) and kind != "iri":
        raise fail("'class' and 'namespace' apply to iri parameters only")
    lang = spec.get("lang")
    if lang is not None and (kind not in ("literal", "enum") or not _LANG.fullmatch(lang)):
        raise fail("'lang' is a language tag (like en or zh-Hans) of a literal or enum parameter")
    minimum, maximum = (_integer(spec.get(key), key, fail) for key in ("min", "max"))
    if (minimum is not None or maximum is not None) and kind != "integer":
        raise fail("'min' and 'max' apply to integer parameters only")
    required_text = spec.get("required", "true" if "default" not in spec else "false").lower()
    if required_text not in ("true", "false", "yes", "no"):
        raise fail("'required' is true or false")
    parameter = Parameter(
        name=name,
        type=kind,
        label=" ".join(spec.get("label", "").split()),
        description=spec.get("description", "").strip(),
        default=spec.get("default"),
        required=required_text in ("true", "yes"),
        rdf_class=rdf_class,
        namespace=namespace,
        values=tuple(values),
        lang=lang,
        minimum=minimum,
        maximum=maximum,
    )
    if parameter.default is not None:
        if parameter.required:
            raise fail("a parameter with a default is not required")
        problem = default_problem(parameter, prefixes)
        if problem:
            raise fail(f"the default {parameter.default!r} is not {problem}")
    return parameter


def _iri(value: str, prefixes: Mapping[str, str], fail: Any, namespace: bool = False) -> str:
    """A full IRI from ``<iri>``, a prefixed name, or (for a namespace) a bare ``prefix:``."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    prefix, colon, local = value.partition(":")
    if colon and prefix in prefixes and (local or namespace):
        return prefixes[prefix] + local
    if colon and local.startswith("//"):
        try:
            return ox.NamedNode(value).value
        except ValueError:
            pass
    raise fail(f"{value!r} is neither <an IRI> nor a prefixed name with a predeclared prefix")


def _integer(value: str | None, key: str, fail: Any) -> int | None:
    if value is None:
        return None
    if not _INTEGER.fullmatch(value.strip()):
        raise fail(f"'{key}' must be an integer")
    return int(value)


def default_problem(parameter: Parameter, prefixes: Mapping[str, str]) -> str | None:
    """Why ``parameter.default`` has the wrong shape for its type (``None`` if it is fine).

    Checks the form only; whether an IRI names an instance of the class needs the graph.
    """
    try:
        term_for(parameter, parameter.default or "", prefixes)
    except ValueShapeError:
        return parameter.expects
    return None


def with_metadata(text: str, **values: str | list[str] | None) -> str:
    """``text`` with top-level header keys set to ``values`` (``None`` or empty leaves a key as it is).

    Used by the page's "save as canned query" form: its title, description and
    tags fields replace those lines of the header (or add them), and the other
    header lines (parameters…) and the SPARQL stay as they were.
    """
    given = {key: value for key, value in values.items() if value}
    unknown = set(given) - set(HEADER_KEYS)
    if unknown:
        raise ValueError(f"not header keys: {sorted(unknown)}")
    numbered = header_lines(text)
    header_numbers = {number for number, _ in numbered}
    kept: list[str] = []
    dropping = False
    for _, content in numbered:
        top_level = content[:1] not in ("", " ", "\t", "-")
        if top_level:
            dropping = content.split(":", 1)[0].strip() in given
        if not dropping:
            kept.append(content)
    new = yaml.dump(given, Dumper=_HeaderDumper, allow_unicode=True, sort_keys=False, width=10_000,
                    default_flow_style=False)
    header = new.splitlines() + kept
    body = [line for number, line in enumerate(text.splitlines(), start=1) if number not in header_numbers]
    while body and not body[0].strip():
        body.pop(0)
    return "\n".join([*(f"#+ {line}".rstrip() for line in header), "", *body]) + "\n"


class _HeaderDumper(yaml.SafeDumper):
    """Writes multi-line texts as ``|`` blocks, so a header stays readable."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_HeaderDumper.add_representer(str, _represent_text)
