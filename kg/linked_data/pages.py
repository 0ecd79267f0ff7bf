"""View models of the resource and graph pages: everything a template shows, already labelled and linked.

Templates only lay these out; Jinja escapes every string they print.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.linked_data.description import LABEL_PREDICATES, Description, Fact, Source
from kg.linked_data.flavours import RDF_FLAVOURS
from kg.linked_data.labels import Labeller, TermView
from kg.linked_data.neighbourhood import Neighbourhood, layout
from kg.linked_data.site import Site

SCHEMA_DESCRIPTION = URIRef("https://schema.org/description")
DEFINITION_PREDICATES = (SKOS.definition, RDFS.comment, SCHEMA_DESCRIPTION, DCTERMS.description)
GRAPH_ROWS_CAP = 500
"""Triples of a named graph listed on its page."""

ExplainLink = Callable[[Fact], str | None]


@dataclass(frozen=True)
class Citation:
    """Where an asserted fact comes from: a source graph and, when it has one, the passage quoted."""

    anchor: str
    graph: TermView
    passage: TermView | None
    quote: str | None
    first: bool
    """Whether this is the passage's first citation on the page (the quotation is shown there)."""


@dataclass(frozen=True)
class Value:
    """One value of a property, asserted (with its sources) or inferred (with a link to its derivation)."""

    term: TermView
    inferred: bool
    explain: str | None
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class PropertyRow:
    """A property and its values."""

    predicate: TermView
    values: tuple[Value, ...]


@dataclass(frozen=True)
class IncomingRow:
    """A resource that links to the page's topic."""

    subject: TermView
    predicate: TermView
    inferred: bool
    explain: str | None


@dataclass(frozen=True)
class FormatLink:
    """A link to the same description in one RDF format."""

    label: str
    media_type: str
    href: str


@dataclass
class ResourcePage:
    """The page of a resource."""

    topic: TermView
    types: list[TermView]
    definition: str | None
    rows: list[PropertyRow]
    aligned_rows: list[PropertyRow]
    """Inferred facts restated in external vocabularies (schema.org, FOAF, PROV…) by the alignments."""
    incoming: list[IncomingRow]
    aligned_incoming: list[IncomingRow]
    incoming_total: int
    incoming_query: str | None
    neighbourhood: Neighbourhood
    formats: list[FormatLink]
    mode: str
    inferred_count: int
    reasoning_links: list[tuple[str, str, bool]] = field(default_factory=list)
    """``(label, href, current)`` for each reasoning mode."""

    @property
    def aligned_count(self) -> int:
        """How many facts the alignments restate in external vocabularies."""
        return sum(len(row.values) for row in self.aligned_rows) + len(self.aligned_incoming)


@dataclass(frozen=True)
class TripleRow:
    """A triple of a named graph, as its page lists it."""

    subject: TermView
    predicate: TermView
    object: TermView


@dataclass
class GraphPage:
    """The page of a named graph: what it is, where it comes from, and what it holds."""

    topic: TermView
    rows: list[PropertyRow]
    source: Citation | None
    size: int
    triples: list[TripleRow]
    content_query: str
    formats: list[FormatLink]
    inferred: bool


class _Citations:
    """Numbers the source graphs a page cites, in order of first citation."""

    def __init__(self, sources: Mapping[URIRef, Source], labeller: Labeller) -> None:
        self._sources = sources
        self._labeller = labeller
        self._anchors: dict[URIRef, str] = {}

    def cite(self, graph: URIRef) -> Citation:
        first = graph not in self._anchors
        anchor = self._anchors.setdefault(graph, f"source-{len(self._anchors) + 1}")
        source = self._sources.get(graph, Source(graph))
        passage = self._labeller.view(source.passage) if source.passage is not None else None
        return Citation(anchor, self._labeller.view(graph), passage, source.text, first)


def _predicate_rank(predicate: Node, labeller: Labeller) -> tuple[int, str]:
    if predicate == RDF.type:
        return 0, ""
    if predicate in LABEL_PREDICATES:
        return 1, str(LABEL_PREDICATES.index(predicate))  # type: ignore[arg-type]
    return 2, labeller.label(predicate).lower()


def _restated_elsewhere(fact: Fact, site: Site) -> bool:
    """Whether ``fact`` is an inference that only restates a fact in an external vocabulary (``schema:name``)."""
    if not fact.inferred:
        return False
    if fact.predicate == RDF.type:
        return isinstance(fact.object, URIRef) and not site.owns(str(fact.object))
    return not site.owns(str(fact.predicate))


def property_rows(
    facts: list[Fact], labeller: Labeller, explain: ExplainLink, citations: _Citations | None
) -> list[PropertyRow]:
    """``facts`` (of one subject) grouped by property: types first, then names, then by label."""
    grouped: dict[Node, list[Fact]] = {}
    for fact in facts:
        grouped.setdefault(fact.predicate, []).append(fact)
    rows: list[PropertyRow] = []
    for predicate in sorted(grouped, key=lambda p: _predicate_rank(p, labeller)):
        ordered = sorted(grouped[predicate], key=lambda f: (f.inferred, labeller.label(f.object).lower()))
        values = tuple(
            Value(
                labeller.view(f.object),
                f.inferred,
                explain(f) if f.inferred else None,
                tuple(citations.cite(g) for g in f.sources) if citations else (),
            )
            for f in ordered
        )
        rows.append(PropertyRow(labeller.view(predicate), values))
    return rows


def _preferred_text(literals: list[Literal], language: str = "en") -> str | None:
    if not literals:
        return None
    ranked = sorted(
        literals, key=lambda lit: 0 if (lit.language or "").startswith(language) else 1 if not lit.language else 2
    )
    return str(ranked[0])


def definition(description: Description, own: tuple[URIRef, ...] = ()) -> str | None:
    """The topic's definition or description (standard properties, then ``own``), in English when there is one."""
    for predicate in (*DEFINITION_PREDICATES, *own):
        found = [f.object for f in description.outgoing() if f.predicate == predicate and isinstance(f.object, Literal)]
        if found:
            return _preferred_text(found)  # type: ignore[arg-type]
    return None


def format_links(site: Site, topic: str, reasoning: str | None) -> list[FormatLink]:
    """Links to the description of ``topic`` in every RDF flavour."""
    return [FormatLink(f.label, f.media_type, site.document(topic, f.extension, reasoning)) for f in RDF_FLAVOURS]


def sparql_link(site: Site, query: str) -> str:
    """A link that runs ``query`` on this server's query page (results as a table, downloadable)."""
    return f"{site.root}query?" + urlencode({"sparql": query, "action": "run"})


def resource_page(
    description: Description,
    labeller: Labeller,
    site: Site,
    explain: ExplainLink,
    reasoning_param: str | None,
    modes: tuple[str, ...],
    terms: str,
) -> ResourcePage:
    """The view model of a resource's page."""
    topic = description.topic
    citations = _Citations(description.sources, labeller)
    outgoing = description.outgoing()
    restated = [f for f in outgoing if _restated_elsewhere(f, site)]
    rows = property_rows([f for f in outgoing if f not in restated], labeller, explain, citations)
    incoming = sorted(
        description.incoming(),
        key=lambda f: (f.inferred, labeller.label(f.predicate).lower(), labeller.label(f.subject).lower()),
    )
    incoming_rows = [
        IncomingRow(
            labeller.view(f.subject), labeller.view(f.predicate), f.inferred, explain(f) if f.inferred else None
        )
        for f in incoming
    ]
    aligned_incoming = [row for row, f in zip(incoming_rows, incoming, strict=True) if _restated_elsewhere(f, site)]
    distinct_incoming = len({(f.subject, f.predicate) for f in incoming})
    more = None
    if description.incoming_total > distinct_incoming:
        more = sparql_link(site, f"SELECT ?subject ?property WHERE {{ ?subject ?property <{topic}> }}")
    types = [labeller.view(f.object) for f in outgoing if f.predicate == RDF.type and not f.inferred]
    base_href = site.href(str(topic))
    reasoning_links = [
        (mode, base_href if mode == modes[0] else f"{base_href}?reasoning={mode}", mode == description.mode)
        for mode in modes
    ]
    return ResourcePage(
        topic=labeller.view(topic),
        types=types,
        definition=definition(description, (URIRef(terms + "definition"), URIRef(terms + "description"))),
        rows=rows,
        aligned_rows=property_rows(restated, labeller, explain, None),
        incoming=[row for row in incoming_rows if row not in aligned_incoming],
        aligned_incoming=aligned_incoming,
        incoming_total=description.incoming_total,
        incoming_query=more,
        neighbourhood=layout(topic, description.stored(), labeller),
        formats=format_links(site, str(topic), reasoning_param),
        mode=description.mode,
        inferred_count=sum(1 for f in description.facts if f.inferred and (f.subject == topic or f.object == topic)),
        reasoning_links=reasoning_links,
    )


def graph_page(
    description: Description,
    labeller: Labeller,
    site: Site,
    explain: ExplainLink,
    reasoning_param: str | None,
    inferred_graph: bool,
) -> GraphPage:
    """The view model of a named graph's page."""
    topic = description.topic
    citations = _Citations(description.sources, labeller)
    source = citations.cite(topic) if topic in description.sources else None
    content = [f for f in description.facts if topic in f.graphs]
    content.sort(
        key=lambda f: (
            labeller.label(f.subject).lower(),
            labeller.label(f.predicate).lower(),
            labeller.label(f.object).lower(),
        )
    )
    triples = [
        TripleRow(labeller.view(f.subject), labeller.view(f.predicate), labeller.view(f.object))
        for f in content[:GRAPH_ROWS_CAP]
    ]
    return GraphPage(
        topic=labeller.view(topic),
        rows=property_rows(description.outgoing(), labeller, explain, None),
        source=source,
        size=description.graph_size or 0,
        triples=triples,
        content_query=sparql_link(site, f"SELECT ?s ?p ?o FROM NAMED <{topic}> WHERE {{ GRAPH <{topic}> {{ ?s ?p ?o }} }}"),
        formats=format_links(site, str(topic), reasoning_param),
        inferred=inferred_graph,
    )


def explain_link(explain_path: str | None, mode: str) -> ExplainLink:
    """Links to the derivation of an inferred fact (``/explain?s=&p=&o=&reasoning=``), when the server offers it.

    Terms are written in N-Triples syntax (``<iri>``, ``"2021-01-13"^^<…#date>``).
    """

    def link(fact: Fact) -> str | None:
        if explain_path is None or not isinstance(fact.subject, URIRef) or isinstance(fact.object, BNode):
            return None
        terms = {"s": fact.subject.n3(), "p": fact.predicate.n3(), "o": fact.object.n3(), "reasoning": mode}
        return f"{explain_path}?" + urlencode(terms)

    return link
