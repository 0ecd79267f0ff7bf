"""Result formats: one table from name and media type to serializer, as rdflib's plugin registry does.

SELECT and ASK answers use the W3C SPARQL 1.1 results formats; CONSTRUCT and
DESCRIBE answers use RDF formats.  Serialization is done by the store's engine
(pyoxigraph), which writes each format exactly as its spec says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.store.oxigraph import QueryAnswer

SOLUTIONS = "solutions"
GRAPH = "graph"


@dataclass(frozen=True)
class ResultFormat:
    """One serialization: its short name, official media type, aliases and what it can carry."""

    name: str
    media_type: str
    kind: str
    extension: str
    aliases: tuple[str, ...] = field(default=())

    @property
    def content_type(self) -> str:
        """The media type with its charset, for a ``Content-Type`` header."""
        return f"{self.media_type}; charset=utf-8"


RESULT_FORMATS: tuple[ResultFormat, ...] = (
    ResultFormat("json", "application/sparql-results+json", SOLUTIONS, "srj", ("application/json",)),
    ResultFormat("xml", "application/sparql-results+xml", SOLUTIONS, "srx", ("application/xml", "text/xml")),
    ResultFormat("csv", "text/csv", SOLUTIONS, "csv"),
    ResultFormat("tsv", "text/tab-separated-values", SOLUTIONS, "tsv"),
    ResultFormat("turtle", "text/turtle", GRAPH, "ttl", ("application/x-turtle",)),
    ResultFormat("nt", "application/n-triples", GRAPH, "nt", ("text/plain",)),
    ResultFormat("jsonld", "application/ld+json", GRAPH, "jsonld", ("application/json",)),
    ResultFormat("rdfxml", "application/rdf+xml", GRAPH, "rdf", ("application/xml", "text/xml")),
    ResultFormat("trig", "application/trig", GRAPH, "trig"),
    ResultFormat("nquads", "application/n-quads", GRAPH, "nq"),
)

_SOLUTION_ENGINE_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_GRAPH_ENGINE_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}


def format_named(name: str) -> ResultFormat:
    """The format with short name ``name`` (``json``, ``turtle``…)."""
    for fmt in RESULT_FORMATS:
        if fmt.name == name:
            return fmt
    raise KeyError(name)


def formats_for(kind: str) -> list[ResultFormat]:
    """The formats that can carry answers of ``kind`` (``solutions`` or ``graph``)."""
    return [fmt for fmt in RESULT_FORMATS if fmt.kind == kind]


def answer_kind(answer: QueryAnswer) -> str:
    """``graph`` for CONSTRUCT/DESCRIBE answers, ``solutions`` for SELECT/ASK."""
    return GRAPH if isinstance(answer, ox.QueryTriples) else SOLUTIONS


def serialize(answer: QueryAnswer, fmt: ResultFormat, prefixes: Mapping[str, str] | None = None) -> bytes:
    """``answer`` written in ``fmt`` (which must carry the answer's kind)."""
    if fmt.kind != answer_kind(answer):
        raise ValueError(f"{fmt.media_type} cannot carry a {answer_kind(answer)} answer")
    if isinstance(answer, ox.QueryTriples):
        engine_format = _GRAPH_ENGINE_FORMATS[fmt.name]
        if prefixes and engine_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
            triples = list(answer)
            return ox.serialize(triples, format=engine_format, prefixes=prefixes_used(triples, prefixes))
        return ox.serialize(answer, format=engine_format)
    return answer.serialize(format=_SOLUTION_ENGINE_FORMATS[fmt.name])


def prefixes_used(triples: Iterable[ox.Triple], prefixes: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``prefixes`` whose namespace is the namespace part of an IRI in ``triples``."""
    namespaces: set[str] = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            iri = term.value if isinstance(term, ox.NamedNode) else (
                term.datatype.value if isinstance(term, ox.Literal) else "")
            cut = max(iri.rfind("#"), iri.rfind("/"))
            if cut >= 0:
                namespaces.add(iri[: cut + 1])
    return {name: ns for name, ns in prefixes.items() if ns in namespaces}
