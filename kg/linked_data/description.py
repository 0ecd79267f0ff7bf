"""What a description is made of: facts with the graphs they hold in, their sources, and the description itself.

Each :class:`Fact` knows the graphs it holds in: its source graphs (or
``<base>graph/asserted`` when it has none) if asserted, the mode's inferred
graph if inferred.  Quad formats write facts in those graphs; triple formats
write their union, so every flavour carries the same triples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.namespaces import STANDARD_PREFIXES
from kg.terms import to_ox

SCHEMA_NAME = URIRef(STANDARD_PREFIXES["schema"] + "name")
LABEL_PREDICATES: tuple[URIRef, ...] = (RDFS.label, SKOS.prefLabel, SCHEMA_NAME, FOAF.name, DCTERMS.title)
"""Properties whose values name a resource for people, in order of preference."""

Triple = tuple[Node, Node, Node]
Quad = tuple[Node, Node, Node, URIRef | None]


@dataclass(frozen=True)
class Fact:
    """A triple of a description and the graphs it is written in (none: the default graph)."""

    subject: Node
    predicate: URIRef
    object: Node
    graphs: tuple[URIRef, ...] = ()
    inferred: bool = False
    sources: tuple[URIRef, ...] = ()
    """The source graphs (provenance) an asserted fact comes from."""

    @property
    def triple(self) -> Triple:
        """The fact as an ``(s, p, o)`` tuple."""
        return self.subject, self.predicate, self.object


@dataclass(frozen=True)
class Source:
    """A source graph, and the passage (with its exact text) its facts were derived from."""

    graph: URIRef
    passage: URIRef | None = None
    text: str | None = None


@dataclass
class Description:
    """A bounded description of ``topic``: the facts every flavour writes, and what the page needs."""

    topic: URIRef
    kind: str
    """``resource``, ``graph``, ``ontology`` or ``dataset``."""
    mode: str
    facts: list[Fact] = field(default_factory=list)
    sources: dict[URIRef, Source] = field(default_factory=dict)
    incoming_total: int = 0
    graph_size: int | None = None
    """For a named graph: its number of triples."""

    def stored(self) -> list[Fact]:
        """The facts of the dataset (without the document's own metadata)."""
        return [f for f in self.facts if f.graphs]

    def outgoing(self) -> list[Fact]:
        """The facts whose subject is the topic."""
        return [f for f in self.stored() if f.subject == self.topic]

    def incoming(self) -> list[Fact]:
        """The facts that point at the topic from another resource."""
        return [f for f in self.stored() if f.object == self.topic and f.subject != self.topic]

    def labels(self) -> dict[Node, list[Literal]]:
        """Label literals per term, in the order of :data:`LABEL_PREDICATES`."""
        rank = {p: i for i, p in enumerate(LABEL_PREDICATES)}
        found: dict[Node, list[tuple[int, Literal]]] = {}
        for fact in self.facts:
            if fact.predicate in rank and isinstance(fact.object, Literal):
                found.setdefault(fact.subject, []).append((rank[fact.predicate], fact.object))
        return {
            term: [lit for _, lit in sorted(set(items), key=lambda x: (x[0], str(x[1])))]
            for term, items in found.items()
        }


class Collector:
    """Gathers ``(s, p, o, graph)`` rows into facts, each triple once with all its graphs."""

    def __init__(self, asserted: str, inferred: set[str], keep: frozenset[URIRef] = frozenset()) -> None:
        self._asserted = URIRef(asserted)
        self._inferred = {URIRef(g) for g in inferred}
        self._keep = keep
        """Graphs a fact is always written in when it holds there (the graph being described)."""
        self._graphs: dict[Triple, set[URIRef]] = {}
        self._generated: dict[Triple, None] = {}

    def add_rows(self, rows: Iterable[dict[str, Node]]) -> None:
        for row in rows:
            triple = (row["s"], row["p"], row["o"])
            graphs = self._graphs.setdefault(triple, set())
            if "g" in row:
                graphs.add(row["g"])  # type: ignore[arg-type]

    def add_generated(self, triples: Iterable[Triple]) -> None:
        """Triples computed for the document itself (default graph)."""
        for triple in triples:
            self._generated.setdefault(triple, None)

    def is_asserted(self, triple: Triple) -> bool:
        """Whether ``triple`` holds in a graph other than an inferred one."""
        return bool(self._graphs.get(triple, set()) - self._inferred)

    def drop_inferred_blank_objects(self) -> None:
        """Forget inferred triples whose object is a blank node (``x a [restriction]``): no one can refer to it."""
        for triple in [t for t in self._graphs if isinstance(t[2], BNode) and not self.is_asserted(t)]:
            del self._graphs[triple]

    def triples(self) -> list[Triple]:
        return list(self._graphs)

    def source_graphs(self) -> set[URIRef]:
        found: set[URIRef] = set()
        for graphs in self._graphs.values():
            found |= graphs - self._inferred - {self._asserted}
        return found

    def facts(self) -> list[Fact]:
        facts: list[Fact] = []
        for (s, p, o), graphs in self._graphs.items():
            if not graphs:
                facts.append(Fact(s, p, o))  # type: ignore[arg-type]
                continue
            sources = tuple(sorted(graphs - self._inferred - {self._asserted}))
            kept = graphs & self._keep
            if sources or self._asserted in graphs:
                written = tuple(sorted(set(sources) | kept)) or (self._asserted,)
                facts.append(Fact(s, p, o, written, False, sources))  # type: ignore[arg-type]
            else:
                facts.append(Fact(s, p, o, tuple(sorted(graphs & self._inferred)), True))  # type: ignore[arg-type]
        facts.extend(Fact(s, p, o) for (s, p, o) in self._generated if (s, p, o) not in self._graphs)  # type: ignore[arg-type]
        return facts


def generated(topic: URIRef, kind: str, mode: str, triples: Iterable[Triple], document: str) -> Description:
    """A description made of computed triples (the dataset's VoID), all in the default graph."""
    metadata = [(URIRef(document), RDF.type, FOAF.Document), (URIRef(document), FOAF.primaryTopic, topic)]
    unique = dict.fromkeys([*triples, *metadata])
    return Description(topic, kind, mode, [Fact(s, p, o) for (s, p, o) in unique])  # type: ignore[arg-type]


def ox_quad(fact: Fact, graph: URIRef | None) -> ox.Quad:
    """A pyoxigraph quad of ``fact`` in ``graph`` (``None``: the default graph)."""
    name = ox.NamedNode(str(graph)) if graph is not None else ox.DefaultGraph()
    return ox.Quad(to_ox(fact.subject), to_ox(fact.predicate), to_ox(fact.object), name)  # type: ignore[arg-type]
