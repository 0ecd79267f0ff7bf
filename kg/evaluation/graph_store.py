"""Graph Store Protocol operations on the knowledge graph: read a graph; replace, merge or drop one in a transaction.

A graph is named by its IRI, or ``None`` for the default graph (``asserted``;
naming ``asserted`` itself is the same).  A named graph exists while it holds a
triple (an empty graph is an absent one); the default graph always exists.
The closure graphs are the reasoner's: they may be read, never written (403).
Every write is one :meth:`~kg.dataset.KnowledgeGraph.changing` transaction: the
closures are brought up to date and the worker replicas get the delta before
the function returns; writing to a declared source graph changes ``asserted`` too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.dataset import KnowledgeGraph, StoreDelta
from kg.evaluation.update import describe_delta
from kg.sparql.errors import HttpError

#: Where the graphs a POST to the store creates are minted (``<base>store/<hex>``), the store's own URL space.
STORE_PATH = "store/"


@dataclass(frozen=True)
class GraphWrite:
    """What a write did: the graph (``None``: the default graph), whether it was created, the store's exact change."""

    operation: str
    graph: str | None
    created: bool
    delta: StoreDelta
    asserted_graph: str
    inferred_graphs: frozenset[str]

    def summary(self) -> str:
        """One line for the HTTP answer, in the shape of an update's."""
        target = self.asserted_graph if self.graph is None else self.graph
        added = sum(1 for quad in self.delta.added if _in(quad, target))
        removed = sum(1 for quad in self.delta.removed if _in(quad, target))
        label = "the default graph" if self.graph is None else f"<{self.graph}>"
        return (f"{self.operation} done: {label} triples +{added} -{removed}; "
                f"{describe_delta(self.delta, self.asserted_graph, self.inferred_graphs)}")


def _in(quad: ox.Quad, graph: str) -> bool:
    return isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value == graph


def _name(graph: KnowledgeGraph, iri: str | None) -> str:
    """The store graph holding ``iri`` (``asserted`` for the default graph)."""
    return graph.layout.asserted if iri is None else iri


def exists(graph: KnowledgeGraph, iri: str | None) -> bool:
    """Whether the graph exists: the default graph always; a named graph while it holds a triple."""
    name = _name(graph, iri)
    return name == graph.layout.asserted or next(iter(graph.store.triples(name)), None) is not None


def read(graph: KnowledgeGraph, iri: str | None, reasoning: str | None = None) -> list[ox.Triple]:
    """The graph's triples; the default graph with ``reasoning``'s closure added when a mode is given."""
    if iri is None and reasoning is not None:
        graph.ensure_reasoned(reasoning)
        return [triple for name in graph.default_graph(reasoning) for triple in graph.store.triples(name)]
    return list(graph.store.triples(_name(graph, iri)))


def new_graph_iri(graph: KnowledgeGraph) -> str:
    """A fresh IRI for a graph a POST to the store creates."""
    return f"{graph.settings.base_uri}{STORE_PATH}{uuid.uuid4().hex}"


def check_writable(graph: KnowledgeGraph, iri: str | None) -> None:
    """Refuse (403) a write to a closure graph or the change log."""
    if iri == graph.layout.changes:
        raise HttpError(f"the graph <{iri}> is the change log: it is written by the server only", 403)
    if iri in graph.layout.closure_graphs:
        raise HttpError(f"the graph <{iri}> is computed by the reasoner and cannot be written; change the asserted "
                        "data (the default graph or a named graph) instead", 403)


def replace(graph: KnowledgeGraph, iri: str | None, triples: Sequence[ox.Triple]) -> GraphWrite:
    """PUT: make the graph hold exactly ``triples``."""
    return _write(graph, "PUT", iri, triples, replace=True)


def merge(graph: KnowledgeGraph, iri: str | None, triples: Sequence[ox.Triple]) -> GraphWrite:
    """POST: add ``triples`` to the graph (creating it if absent)."""
    return _write(graph, "POST", iri, triples, replace=False)


def drop(graph: KnowledgeGraph, iri: str | None) -> GraphWrite | None:
    """DELETE: remove every triple of the graph; ``None`` if a named graph does not exist (nothing changes)."""
    check_writable(graph, iri)
    name = _name(graph, iri)
    with graph.changing() as change:
        if not exists(graph, iri):
            return None
        target = ox.NamedNode(name)
        change.apply([], [ox.Quad(*triple, target) for triple in graph.store.triples(name)])
    return _report(graph, "DELETE", iri, False, change.delta)


def _write(graph: KnowledgeGraph, operation: str, iri: str | None, triples: Sequence[ox.Triple],
           *, replace: bool) -> GraphWrite:
    check_writable(graph, iri)
    name = _name(graph, iri)
    target = ox.NamedNode(name)
    new = dict.fromkeys(ox.Quad(*triple, target) for triple in triples)
    with graph.changing() as change:
        existed = exists(graph, iri)
        old = set(ox.Quad(*triple, target) for triple in graph.store.triples(name)) if replace else set()
        # Kept triples are not removed and added again (no churn), but are inserted: a source graph's triples are
        # asserted in the default graph after a PUT, as after a DROP and INSERT DATA.
        change.apply(new, old.difference(new))
        created = not existed and exists(graph, iri)
    return _report(graph, operation, iri, created, change.delta)


def _report(graph: KnowledgeGraph, operation: str, iri: str | None, created: bool, delta: StoreDelta) -> GraphWrite:
    name = None if iri is None or iri == graph.layout.asserted else iri
    return GraphWrite(operation, name, created, delta, graph.layout.asserted, graph.layout.closure_graphs)
