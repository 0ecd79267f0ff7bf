"""Result formats: one table from name and media type to serializer, as rdflib's plugin registry does.

SELECT and ASK answers use the W3C SPARQL 1.1 results formats; CONSTRUCT and
DESCRIBE answers use RDF formats.  Graphs and booleans are written by the
store's engine (pyoxigraph); SELECT rows cut to a row cap by our writers
(:mod:`kg.sparql.results`), which follow the same specs.  :func:`negotiate`
picks a format from ``format=`` or ``Accept`` (q-values honoured).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg.sparql.errors import QueryError
from kg.sparql.results import SOLUTION_WRITERS, QueryAnswer

SOLUTIONS = "solutions"
GRAPH = "graph"


@dataclass(frozen=True)
class ResultFormat:
    """One serialization: its short name, official media type, aliases and what it can carry."""

    name: str
    media_type: str
    kind: str
    extension: str
    iri: str
    """The format's W3C IRI (``http://www.w3.org/ns/formats/...``), as a service description names it."""
    aliases: tuple[str, ...] = field(default=())
    """Other media types that mean this format in an ``Accept`` header."""
    nicknames: tuple[str, ...] = field(default=())
    """Other names ``format=`` may use for it (as clients such as SPARQLWrapper send them)."""

    @property
    def content_type(self) -> str:
        """The media type with its charset, for a ``Content-Type`` header."""
        return f"{self.media_type}; charset=utf-8"


W3C_FORMATS = "http://www.w3.org/ns/formats/"

RESULT_FORMATS: tuple[ResultFormat, ...] = (
    ResultFormat("json", "application/sparql-results+json", SOLUTIONS, "srj", W3C_FORMATS + "SPARQL_Results_JSON",
                 ("application/json",)),
    ResultFormat("xml", "application/sparql-results+xml", SOLUTIONS, "srx", W3C_FORMATS + "SPARQL_Results_XML",
                 ("application/xml", "text/xml")),
    ResultFormat("csv", "text/csv", SOLUTIONS, "csv", W3C_FORMATS + "SPARQL_Results_CSV"),
    ResultFormat("tsv", "text/tab-separated-values", SOLUTIONS, "tsv", W3C_FORMATS + "SPARQL_Results_TSV"),
    ResultFormat("turtle", "text/turtle", GRAPH, "ttl", W3C_FORMATS + "Turtle", ("application/x-turtle",),
                 ("n3", "text/n3")),
    ResultFormat("nt", "application/n-triples", GRAPH, "nt", W3C_FORMATS + "N-Triples", ("text/plain",), ("ntriples", "n-triples")),
    ResultFormat("jsonld", "application/ld+json", GRAPH, "jsonld", W3C_FORMATS + "JSON-LD", ("application/json",),
                 ("json-ld", "json")),
    ResultFormat("rdfxml", "application/rdf+xml", GRAPH, "rdf", W3C_FORMATS + "RDF_XML", ("application/xml", "text/xml"),
                 ("rdf+xml", "xml")),
    ResultFormat("trig", "application/trig", GRAPH, "trig", W3C_FORMATS + "TriG"),
    ResultFormat("nquads", "application/n-quads", GRAPH, "nq", W3C_FORMATS + "N-Quads"),
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


def negotiate(kind: str, accept: MIMEAccept | None, overrides: Sequence[str] = ()) -> ResultFormat | None:
    """The format for an answer of ``kind``: ``overrides`` (``format=`` values, in order) first, then ``Accept``.

    An override may be a short name, a media type, an extension or a nickname;
    the first that names a format of ``kind`` wins.  If none names any format at
    all, that is a :class:`QueryError`.  ``None`` means nothing acceptable is offered.
    """
    offered = formats_for(kind)
    wanted = [value.strip().lower() for value in overrides if value.strip()]
    if wanted:
        if not any(_names(fmt, value) for fmt in RESULT_FORMATS for value in wanted):
            known = ", ".join(fmt.name for fmt in RESULT_FORMATS)
            raise QueryError(f"unknown format {', '.join(map(repr, overrides))}; use one of: {known} (or a media type)")
        return next((fmt for value in wanted for fmt in offered if _names(fmt, value)), None)
    if accept is None or not accept:
        return offered[0]
    by_type: dict[str, ResultFormat] = {}
    for fmt in offered:
        by_type.setdefault(fmt.media_type, fmt)
    for fmt in offered:
        for alias in fmt.aliases:
            by_type.setdefault(alias, fmt)
    best = accept.best_match(list(by_type))
    return by_type.get(best) if best else None


def negotiate_answer(accept: MIMEAccept | None, overrides: Sequence[str] = ()) -> tuple[ResultFormat | None, ResultFormat | None]:
    """The formats for a SELECT/ASK answer and for a CONSTRUCT/DESCRIBE answer, before knowing which one comes.

    A client whose ``Accept`` names formats of one kind only (rdflib's SPARQLStore
    sends result-set types even with a CONSTRUCT) gets the other kind in its default
    format; ``None`` remains only when ``Accept`` names nothing offered, or ``format=`` rules the kind out.
    """
    solutions, graph = negotiate(SOLUTIONS, accept, overrides), negotiate(GRAPH, accept, overrides)
    if not overrides:
        if solutions is None and graph is not None:
            solutions = formats_for(SOLUTIONS)[0]
        elif graph is None and solutions is not None:
            graph = formats_for(GRAPH)[0]
    return solutions, graph


@functools.lru_cache(maxsize=512)
def negotiate_header(accept: str, overrides: tuple[str, ...] = ()) -> tuple[ResultFormat | None, ResultFormat | None]:
    """:func:`negotiate_answer` for a raw ``Accept`` header, remembered: clients send the same few headers again and
    again, and matching one against every format costs more than answering a light query."""
    return negotiate_answer(parse_accept_header(accept, MIMEAccept), overrides)


def _names(fmt: ResultFormat, wanted: str) -> bool:
    return wanted in (fmt.name, fmt.media_type, fmt.extension) or wanted in fmt.aliases or wanted in fmt.nicknames


@dataclass(frozen=True)
class Serialized:
    """An answer written in a format: the bytes, the rows (or triples) written, and whether a cap cut it."""

    body: bytes
    rows: int
    truncated: bool


def serialize_capped(
    answer: QueryAnswer, fmt: ResultFormat, max_rows: int, prefixes: Mapping[str, str] | None = None
) -> Serialized:
    """``answer`` in ``fmt`` with at most ``max_rows`` solutions (or triples); stops reading the answer past that."""
    if fmt.kind != answer_kind(answer):
        raise ValueError(f"{fmt.media_type} cannot carry a {answer_kind(answer)} answer")
    if isinstance(answer, ox.QueryBoolean):
        return Serialized(answer.serialize(format=_SOLUTION_ENGINE_FORMATS[fmt.name]), 1, False)
    kept = list(itertools.islice(answer, max_rows + 1))
    truncated = len(kept) > max_rows
    del kept[max_rows:]
    if isinstance(answer, ox.QuerySolutions):
        variables = [variable.value for variable in answer.variables]
        body = SOLUTION_WRITERS[fmt.name](variables, [list(solution) for solution in kept])
        return Serialized(body, len(kept), truncated)
    return Serialized(write_graph(kept, fmt, prefixes), len(kept), truncated)


def write_graph(triples: list[ox.Triple], fmt: ResultFormat, prefixes: Mapping[str, str] | None = None) -> bytes:
    """``triples`` in the RDF format ``fmt``; Turtle and TriG declare the ``prefixes`` they use."""
    engine_format = _GRAPH_ENGINE_FORMATS[fmt.name]
    if prefixes and engine_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return ox.serialize(triples, format=engine_format, prefixes=prefixes_used(triples, prefixes))
    return ox.serialize(triples, format=engine_format)


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
