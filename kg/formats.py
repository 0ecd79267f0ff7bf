"""The one format registry: a row per format the server reads or writes, and the one content negotiation.

Each row says what a format is called (short name, media type and its aliases,
``format=`` nicknames, label), which files hold it (extensions, the first the
one documents and downloads use), what it carries (SPARQL results, an RDF
graph, a whole dataset with named graphs, or a page for people) and which
pyoxigraph format reads and writes it.  The SPARQL endpoint
(:mod:`kg.sparql.formats`), linked data (:mod:`kg.linked_data.flavours`), the
canned-query API and the loading of source files (:mod:`kg.sources`) all read
it, and every ``Accept`` header goes through :func:`best_match`.

Order matters: when a client rates several formats equally (``*/*``; rdflib
lists all its parsers without q-values), the first offered wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept

SOLUTIONS = "solutions"
"""SELECT and ASK answers: the W3C SPARQL 1.1 results formats."""
GRAPH = "graph"
"""RDF: CONSTRUCT and DESCRIBE answers, linked-data descriptions, source files."""
PAGE = "page"
"""HTML, for people."""

W3C_FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """One format: names, media types, file extensions, what it carries and the engine's format for it."""

    name: str
    media_type: str
    kind: str
    """``solutions``, ``graph`` or ``page``."""
    label: str
    extensions: tuple[str, ...]
    """File extensions (no dot); the first is the one documents and downloads use."""
    iri: str | None
    """The format's W3C IRI (``http://www.w3.org/ns/formats/...``), as a service description names it."""
    engine: ox.RdfFormat | ox.QueryResultsFormat | None
    """pyoxigraph's format (``None`` for HTML)."""
    aliases: tuple[str, ...] = field(default=())
    """Other media types that mean this format in an ``Accept`` header."""
    nicknames: tuple[str, ...] = field(default=())
    """Other names ``format=`` may use for it (as clients such as SPARQLWrapper send them)."""
    dataset: bool = False
    """Whether it carries named graphs (quads), so tells asserted from inferred facts."""

    @property
    def extension(self) -> str:
        """The file extension documents and downloads use."""
        return self.extensions[0]

    @property
    def content_type(self) -> str:
        """The media type with its charset, for a ``Content-Type`` header."""
        return f"{self.media_type}; charset=utf-8"

    @property
    def is_html(self) -> bool:
        """Whether this is the page for people."""
        return self.kind == PAGE

    def is_named(self, value: str) -> bool:
        """Whether ``value`` (lower case) names this format: short name, media type, alias, extension or nickname."""
        return value in (self.name, self.media_type, *self.aliases, *self.extensions, *self.nicknames)


FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", SOLUTIONS, "JSON", ("srj",),
           W3C_FORMATS + "SPARQL_Results_JSON", ox.QueryResultsFormat.JSON, ("application/json",)),
    Format("xml", "application/sparql-results+xml", SOLUTIONS, "XML", ("srx",),
           W3C_FORMATS + "SPARQL_Results_XML", ox.QueryResultsFormat.XML, ("application/xml", "text/xml")),
    Format("csv", "text/csv", SOLUTIONS, "CSV", ("csv",), W3C_FORMATS + "SPARQL_Results_CSV",
           ox.QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", SOLUTIONS, "TSV", ("tsv",), W3C_FORMATS + "SPARQL_Results_TSV",
           ox.QueryResultsFormat.TSV),
    Format("turtle", "text/turtle", GRAPH, "Turtle", ("ttl", "turtle"), W3C_FORMATS + "Turtle", ox.RdfFormat.TURTLE,
           ("application/x-turtle",), ("n3", "text/n3")),
    Format("nt", "application/n-triples", GRAPH, "N-Triples", ("nt", "ntriples"), W3C_FORMATS + "N-Triples",
           ox.RdfFormat.N_TRIPLES, ("text/plain",), ("n-triples",)),
    Format("jsonld", "application/ld+json", GRAPH, "JSON-LD", ("jsonld", "json"), W3C_FORMATS + "JSON-LD",
           ox.RdfFormat.JSON_LD, ("application/json",), ("json-ld",)),
    Format("rdfxml", "application/rdf+xml", GRAPH, "RDF/XML", ("rdf", "owl", "xml"), W3C_FORMATS + "RDF_XML",
           ox.RdfFormat.RDF_XML, ("application/xml", "text/xml"), ("rdf+xml",)),
    Format("trig", "application/trig", GRAPH, "TriG", ("trig",), W3C_FORMATS + "TriG", ox.RdfFormat.TRIG,
           dataset=True),
    Format("nquads", "application/n-quads", GRAPH, "N-Quads", ("nq",), W3C_FORMATS + "N-Quads", ox.RdfFormat.N_QUADS,
           dataset=True),
    Format("html", "text/html", PAGE, "HTML", ("html",), None, None, ("application/xhtml+xml",)),
)


def format_named(name: str) -> Format:
    """The format with short name ``name`` (``json``, ``turtle``…); a ``KeyError`` if there is none."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise KeyError(name)


def formats_for(kind: str) -> list[Format]:
    """The formats that carry ``kind`` (``solutions``, ``graph`` or ``page``), in the registry's order."""
    return [fmt for fmt in FORMATS if fmt.kind == kind]


def best_match(accept: MIMEAccept | None, offered: Sequence[Format]) -> Format | None:
    """The format of ``offered`` that ``accept`` prefers (q-values honoured; on a tie an official media type
    before an alias, then the first offered); the first offered without ``Accept``; ``None`` if none is acceptable.
    """
    if not accept:
        return offered[0]
    accept = _without_utf8_charset(accept)
    by_type: dict[str, Format] = {}
    for fmt in offered:
        by_type.setdefault(fmt.media_type, fmt)
    for fmt in offered:
        for alias in fmt.aliases:
            by_type.setdefault(alias, fmt)
    best = accept.best_match(list(by_type))
    return by_type[best] if best else None


def _without_utf8_charset(accept: MIMEAccept) -> MIMEAccept:
    """``accept`` with ``charset=utf-8`` parameters dropped: every format is written in UTF-8, so
    ``text/turtle; charset=utf-8`` asks for Turtle (werkzeug would otherwise match no offered type)."""
    values = []
    for value, quality in accept:
        media_type, *parameters = (part.strip() for part in value.split(";"))
        kept = [p for p in parameters if p.replace(" ", "").lower() not in ("charset=utf-8", 'charset="utf-8"')]
        values.append(("; ".join([media_type, *kept]), quality))
    return MIMEAccept(values)
