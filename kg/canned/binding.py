"""Typed parameter values: checked, turned into RDF terms, and bound into the parsed query.

Values never become query text: :func:`bind_parameters` returns terms that the
engine substitutes for the query's variables after parsing (SEP-0007), so a
value such as ``"} ; DROP ALL ; #`` is at most a literal that matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pyoxigraph as ox
import rdflib
from rdflib.namespace import XSD
from rdflib.term import Node

from kg.canned.errors import ParameterError
from kg.canned.model import RESERVED_NAMES, CannedQuery, Parameter, short_iri
from kg.dataset import KnowledgeGraph

MAX_VALUE_LENGTH = 1000
_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_TIME = r"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
_ZONE = r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
_LEXICAL_FORMS = {str(XSD[name]): re.compile(pattern) for name, pattern in {
    "integer": r"[+-]?[0-9]{1,18}",
    "decimal": _DECIMAL,
    "double": _DECIMAL + r"(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN",
    "float": _DECIMAL + r"(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN",
    "boolean": r"true|false|1|0",
    "dateTime": r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T" + _TIME + _ZONE,
    "time": _TIME + _ZONE,
    "gYear": r"-?[0-9]{4,}" + _ZONE,
    "gYearMonth": r"-?[0-9]{4,}-[0-9]{2}" + _ZONE,
}.items()}
"""Lexical forms checked for literals of these datatypes (others are bound as given)."""
_SAMPLES = {str(XSD[name]): value for name, value in {
    "integer": "0", "decimal": "0", "double": "0", "float": "0", "boolean": "true",
    "dateTime": "2000-01-01T00:00:00", "time": "00:00:00", "gYear": "2000", "gYearMonth": "2000-01"}.items()}
_CHECK_MODE = "owlrl"
"""Class membership is checked against the OWL 2 RL closure: an inferred type makes an instance too."""


class ValueShapeError(ValueError):
    """A value that does not have the form its parameter's type requires."""


@dataclass(frozen=True)
class Choice:
    """One accepted value of an ``iri`` parameter with a class: what to type, and its label."""

    value: str
    iri: str
    label: str


def term_for(parameter: Parameter, value: str, prefixes: Mapping[str, str]) -> Node:
    """The RDF term ``value`` stands for under ``parameter``'s type; ``ValueShapeError`` if it has the wrong form."""
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueShapeError(f"longer than {MAX_VALUE_LENGTH} characters")
    term = _term(parameter, value, prefixes)
    if parameter.values and parameter.type != "enum" and term not in {
            _term(parameter, allowed, prefixes) for allowed in parameter.values}:
        raise ValueShapeError("not an allowed value")
    return term


def _term(parameter: Parameter, value: str, prefixes: Mapping[str, str]) -> Node:
    if parameter.type == "iri":
        return rdflib.URIRef(resolve_iri(value, prefixes, parameter.namespace))
    if parameter.type == "integer":
        if not _INTEGER.fullmatch(value.strip()):
            raise ValueShapeError("not an integer")
        number = int(value)
        if (parameter.minimum is not None and number < parameter.minimum) or (
                parameter.maximum is not None and number > parameter.maximum):
            raise ValueShapeError("out of range")
        return rdflib.Literal(str(number), datatype=XSD.integer)
    if parameter.type == "number":
        return _number(value.strip())
    if parameter.type == "date":
        if not _DATE.fullmatch(value.strip()):
            raise ValueShapeError("not a YYYY-MM-DD date")
        try:
            date.fromisoformat(value.strip())
        except ValueError:
            raise ValueShapeError("not a calendar date") from None
        return rdflib.Literal(value.strip(), datatype=XSD.date)
    if parameter.type == "enum" and value not in parameter.values:
        raise ValueShapeError("not an allowed value")
    if parameter.lang:
        return rdflib.Literal(value, lang=parameter.lang)
    if parameter.datatype:
        lexical = _LEXICAL_FORMS.get(parameter.datatype)
        if lexical is not None and not lexical.fullmatch(value):
            raise ValueShapeError(f"not a lexical form of {short_iri(parameter.datatype, prefixes)}")
        return rdflib.Literal(value, datatype=rdflib.URIRef(parameter.datatype))
    return rdflib.Literal(value, datatype=XSD.string)


def _number(text: str) -> Node:
    """``text`` as an xsd:integer, xsd:decimal or xsd:double literal, by its form (as SPARQL reads a bare number)."""
    for datatype in (XSD.integer, XSD.decimal, XSD.double):
        if _LEXICAL_FORMS[str(datatype)].fullmatch(text):
            return rdflib.Literal(text, datatype=datatype)
    raise ValueShapeError("not a number")


def resolve_iri(value: str, prefixes: Mapping[str, str], namespace: str | None = None) -> str:
    """The full IRI of ``value``: ``<iri>``, an absolute IRI, a prefixed name, or a short name in ``namespace``."""
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    prefix, colon, local = text.partition(":")
    if colon and prefix in prefixes and not local.startswith("//"):
        if local and not _LOCAL_NAME.fullmatch(local):
            raise ValueShapeError("not a prefixed name")
        iri = prefixes[prefix] + local
    elif colon:
        iri = text
    elif namespace and _LOCAL_NAME.fullmatch(text):
        iri = namespace + text
    else:
        raise ValueShapeError("not an IRI")
    try:
        return ox.NamedNode(iri).value
    except ValueError:
        raise ValueShapeError("not an IRI") from None


def bind_parameters(
    query: CannedQuery,
    given: Mapping[str, Sequence[str]],
    graph: KnowledgeGraph,
) -> dict[str, Node]:
    """The terms to bind for a run of ``query`` with request values ``given`` (name → values).

    Empty values count as absent (HTML forms send empty fields); an absent
    parameter takes its default, stays unbound if optional, and is an error if
    required.  ``ParameterError`` names the parameter and what it expects.
    """
    prefixes = graph.namespaces.prefixes()
    unknown = sorted(name for name in given if name not in RESERVED_NAMES and query.parameter(name) is None)
    if unknown:
        takes = ", ".join(p.name for p in query.parameters) or "no parameters"
        raise ParameterError(unknown[0], f"unknown parameter '{unknown[0]}'; the query '{query.name}' takes: {takes}")
    bindings: dict[str, Node] = {}
    for parameter in query.parameters:
        values = [v for v in given.get(parameter.name, ()) if v != ""]
        if len(values) > 1:
            raise ParameterError(
                parameter.name, f"parameter '{parameter.name}' was given {len(values)} values; give one")
        value = values[0] if values else parameter.default
        if value is None:
            if parameter.required:
                raise ParameterError(
                    parameter.name, f"missing parameter '{parameter.name}': expected {parameter.expected(prefixes)}")
            continue
        try:
            term = term_for(parameter, value, prefixes)
        except ValueShapeError as error:
            raise ParameterError(
                parameter.name,
                f"parameter '{parameter.name}': expected {parameter.expected(prefixes)}, got {_quote(value)} ({error})",
            ) from None
        if parameter.type == "iri" and parameter.rdf_class and not is_instance(graph, term, parameter.rdf_class):
            known = instances_of(parameter, graph, limit=12)
            hint = ", ".join(choice.value for choice in known) if known else "none are known"
            raise ParameterError(
                parameter.name,
                f"parameter '{parameter.name}': <{term}> is not an instance of "
                f"{short_iri(parameter.rdf_class, prefixes)}; known: {hint}",
            )
        bindings[parameter.bound_variable] = term
    return bindings


def is_instance(graph: KnowledgeGraph, term: Node, rdf_class: str) -> bool:
    """True if ``term`` has type ``rdf_class`` in the graph (inferred types included)."""
    return graph.ask(
        "ASK { ?value a ?class }",
        _CHECK_MODE,
        bindings={"value": term, "class": rdflib.URIRef(rdf_class)},
    )


def instances_of(parameter: Parameter, graph: KnowledgeGraph, limit: int = 500) -> list[Choice]:
    """The instances of an ``iri`` parameter's class, with a label each, sorted by label (empty without a class)."""
    if parameter.type != "iri" or not parameter.rdf_class:
        return []
    rows = graph.select(
        """
        SELECT ?class ?instance (SAMPLE(?name) AS ?label) WHERE {
          ?instance a ?class .
          FILTER(isIRI(?instance))
          OPTIONAL {
            ?instance skos:prefLabel|rdfs:label|schema:name|foaf:name ?name .
            FILTER(lang(?name) = "" || langMatches(lang(?name), "en"))
          }
        } GROUP BY ?class ?instance ORDER BY ?instance
        """,
        _CHECK_MODE,
        bindings={"class": rdflib.URIRef(parameter.rdf_class)},
    )
    choices = []
    for row in rows[:limit]:
        iri = str(row["instance"])
        short = iri[len(parameter.namespace):] if parameter.namespace and iri.startswith(parameter.namespace) else ""
        value = short if short and _LOCAL_NAME.fullmatch(short) else iri
        choices.append(Choice(value=value, iri=iri, label=str(row.get("label", "")) or value))
    return sorted(choices, key=lambda choice: choice.label.casefold())


def sample_bindings(query: CannedQuery, graph: KnowledgeGraph) -> dict[str, Node]:
    """Terms for every parameter in a trial run at save time: the default, else an instance or a value of the type."""
    prefixes = graph.namespaces.prefixes()
    samples: dict[str, Node] = {}
    for parameter in query.parameters:
        if parameter.default is not None:
            samples[parameter.bound_variable] = term_for(parameter, parameter.default, prefixes)
        elif parameter.values:
            samples[parameter.bound_variable] = term_for(parameter, parameter.values[0], prefixes)
        elif parameter.type == "iri":
            known = instances_of(parameter, graph, limit=1)
            samples[parameter.bound_variable] = rdflib.URIRef(
                known[0].iri if known else graph.namespaces.resources + "example")
        else:
            samples[parameter.bound_variable] = _sample_term(parameter)
    return samples


def _sample_term(parameter: Parameter) -> Node:
    """Some literal of a non-IRI ``parameter``'s type, without listed values."""
    if parameter.type in ("integer", "number"):
        return rdflib.Literal(str(parameter.minimum if parameter.minimum is not None else 0), datatype=XSD.integer)
    if parameter.type == "date":
        return rdflib.Literal(date.today().isoformat(), datatype=XSD.date)
    if parameter.datatype:
        return rdflib.Literal(_SAMPLES.get(parameter.datatype, "example"), datatype=rdflib.URIRef(parameter.datatype))
    return term_for(parameter, "example", {})


def _quote(value: str, keep: int = 80) -> str:
    shown = value if len(value) <= keep else value[:keep] + "…"
    return repr(shown)
