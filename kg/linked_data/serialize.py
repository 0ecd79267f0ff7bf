"""A description written in one RDF flavour.

Quad formats (TriG, N-Quads) write each fact in its graphs: asserted facts in
their source graphs (``<base>graph/source/pNN``), inferred ones in the mode's
inferred graph, the document's own metadata in the default graph.  Triple
formats write the union.  pyoxigraph writes every format but JSON-LD, which
rdflib writes compacted with a ``@context`` of the prefixes the description
uses (``schema:name``) and the ontology as ``@vocab`` (plain ``participant``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pyoxigraph as ox
import rdflib

from kg.formats import Format
from kg.linked_data.description import Description, Fact, ox_quad
from kg.sparql.formats import prefixes_used

def _order(description: Description) -> list[Fact]:
    """Facts in a stable order: the topic's first, then by subject, predicate, object."""

    def key(fact: Fact) -> tuple[bool, str, str, str]:
        return fact.subject != description.topic, fact.subject.n3(), fact.predicate.n3(), fact.object.n3()

    return sorted(description.facts, key=key)


def _triples(description: Description) -> list[ox.Triple]:
    return [ox_quad(fact, None).triple for fact in _order(description)]


def _quads(description: Description) -> list[ox.Quad]:
    """Quads grouped by graph (the default graph first), each graph in the facts' order."""
    placed = [(graph, fact) for fact in _order(description) for graph in (fact.graphs or (None,))]
    placed.sort(key=lambda item: "" if item[0] is None else str(item[0]))
    return [ox_quad(fact, graph) for graph, fact in placed]


def jsonld_context(triples: list[ox.Triple], prefixes: Mapping[str, str], vocabulary: str) -> dict[str, str]:
    """A JSON-LD ``@context``: the prefixes whose namespaces the triples use, one per namespace, and ``@vocab``."""
    context: dict[str, str] = {}
    for name, namespace in prefixes_used(triples, prefixes).items():
        if namespace not in context.values():
            context[name] = namespace
    context["@vocab"] = vocabulary
    return context


def serialize(description: Description, flavour: Format, prefixes: Mapping[str, str], vocabulary: str) -> bytes:
    """``description`` in ``flavour`` (an RDF flavour)."""
    if flavour.name == "jsonld":
        return _jsonld(description, prefixes, vocabulary)
    engine_format = flavour.engine
    if flavour.dataset:
        quads = _quads(description)
        used = prefixes_used((q.triple for q in quads), prefixes)
        return ox.serialize(quads, format=engine_format, prefixes=used if engine_format == ox.RdfFormat.TRIG else None)
    triples = _triples(description)
    if engine_format == ox.RdfFormat.N_TRIPLES:
        return ox.serialize(triples, format=engine_format)
    return ox.serialize(triples, format=engine_format, prefixes=prefixes_used(triples, prefixes))


def _jsonld(description: Description, prefixes: Mapping[str, str], vocabulary: str) -> bytes:
    graph = rdflib.Graph()
    for fact in _order(description):
        graph.add(fact.triple)
    context = jsonld_context(_triples(description), prefixes, vocabulary)
    text = graph.serialize(format="json-ld", context=context, auto_compact=True)
    return text.encode("utf-8")


def empty(flavour: Format, message: str) -> bytes:
    """An empty document in ``flavour`` carrying ``message`` where the syntax has comments (404 bodies)."""
    if flavour.name == "jsonld":
        return json.dumps({"@graph": []}).encode("utf-8")
    if flavour.name == "rdfxml":
        safe = message.replace("--", "- -")
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- {safe} -->\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n'
        ).encode()
    return "".join(f"# {line}\n" for line in message.splitlines()).encode("utf-8")
