"""What the dataset holds, counted: resources by kind, instances by class, triples by graph.

Shared by the home page and the VoID description.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from kg.dataset import KnowledgeGraph
from kg.linked_data.describe import graph_size


@dataclass
class Catalogue:
    """Counts of the dataset as served under one entailment mode."""

    mode: str
    asserted_triples: int
    inferred_triples: int
    resources: dict[str, list[URIRef]] = field(default_factory=dict)
    """Resources minted under ``<base>id/``, by kind (``person``…), sorted by IRI."""
    classes: list[tuple[URIRef, int]] = field(default_factory=list)
    """Classes with their number of instances (with the mode's inferences), most used first."""
    properties: list[tuple[URIRef, int]] = field(default_factory=list)
    """Properties with their number of triples, most used first."""
    distinct_subjects: int = 0
    distinct_objects: int = 0
    documents: list[URIRef] = field(default_factory=list)
    """Source documents: what the passages carrying text are part of."""

    @property
    def triples(self) -> int:
        """Triples of the default graph under the mode (asserted and inferred)."""
        return self.asserted_triples + self.inferred_triples

    @property
    def entities(self) -> int:
        """Resources minted under ``<base>id/``."""
        return sum(len(v) for v in self.resources.values())


def _count(graph: KnowledgeGraph, text: str, mode: str) -> int:
    rows = graph.select(text, mode)
    return int(rows[0]["n"]) if rows and "n" in rows[0] else 0  # type: ignore[call-overload]


def catalogue(graph: KnowledgeGraph, mode: str) -> Catalogue:
    """Count what the dataset holds under ``mode``."""
    graph.ensure_reasoned(mode)
    layout = graph.layout
    result = Catalogue(
        mode,
        graph_size(graph, layout.asserted),
        graph_size(graph, layout.closure(mode)) if mode in layout.closures else 0,
    )
    resources_ns = graph.namespaces.resources
    rows = graph.select(
        f"SELECT DISTINCT ?s FROM <{layout.asserted}> WHERE {{ ?s ?p ?o "
        f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {Literal(resources_ns).n3()})) }}",
        mode,
    )
    by_kind: dict[str, list[URIRef]] = {}
    for row in rows:
        kind = str(row["s"])[len(resources_ns) :].split("/", 1)[0]
        by_kind.setdefault(kind, []).append(row["s"])  # type: ignore[arg-type]
    result.resources = {kind: sorted(iris) for kind, iris in sorted(by_kind.items())}
    classes = graph.select("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c", mode)
    result.classes = sorted(((r["c"], int(r["n"])) for r in classes), key=lambda item: (-item[1], str(item[0])))  # type: ignore[misc]
    properties = graph.select("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p", mode)
    result.properties = sorted(((r["p"], int(r["n"])) for r in properties), key=lambda item: (-item[1], str(item[0])))  # type: ignore[misc]
    result.distinct_subjects = _count(graph, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }", mode)
    result.distinct_objects = _count(graph, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }", mode)
    text = graph.namespaces.terms + "text"
    documents = graph.select(
        f"SELECT DISTINCT ?d WHERE {{ ?passage <{text}> ?t ; dct:isPartOf ?d FILTER(isIRI(?d)) }} ORDER BY ?d", mode
    )
    result.documents = [r["d"] for r in documents]  # type: ignore[misc]
    return result
