"""The embedded store: a pyoxigraph ``Store``, whose engine evaluates our SPARQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import pyoxigraph as ox

QueryAnswer = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class OxigraphStore:
    """A thin adapter over a pyoxigraph store; graphs are addressed by IRI strings."""

    def __init__(self, store: ox.Store) -> None:
        self._store = store

    @classmethod
    def in_memory(cls) -> OxigraphStore:
        """A new, empty in-memory store."""
        return cls(ox.Store())

    def add(self, quads: Iterable[ox.Quad]) -> None:
        """Add ``quads`` (atomically)."""
        self._store.extend(quads)

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        """Remove ``quads``; absent ones are ignored."""
        for quad in quads:
            self._store.remove(quad)

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        """The triples of named graph ``graph``."""
        for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield quad.triple

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        """Make named graph ``graph`` hold exactly ``triples``."""
        name = ox.NamedNode(graph)
        if self._store.contains_named_graph(name):
            self._store.remove_graph(name)
        self._store.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    def graphs_containing(self, triple: ox.Triple) -> list[str]:
        """IRIs of the named graphs that hold ``triple``."""
        quads = self._store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None)
        return [q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)]

    def graph_names(self) -> list[str]:
        """IRIs of the named graphs."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str) -> int:
        """Number of triples in named graph ``graph``."""
        answer = self._store.query(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
            substitutions={ox.Variable("g"): ox.NamedNode(graph)},
        )
        return int(next(iter(answer))["n"].value)

    def query(
        self,
        text: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        substitutions: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal] | None = None,
        base_iri: str | None = None,
    ) -> QueryAnswer:
        """Evaluate a SPARQL query.  ``None`` for a dataset argument leaves the query's own (or the store's) choice.

        Raises ``SyntaxError`` with the engine's message (``error at LINE:COL: ...``) for a malformed query.
        """
        return self._store.query(
            text,
            base_iri=base_iri,
            prefixes=dict(prefixes) if prefixes else None,
            default_graph=[ox.NamedNode(g) for g in default_graph] if default_graph is not None else None,
            named_graphs=[ox.NamedNode(g) for g in named_graphs] if named_graphs is not None else None,
            substitutions={ox.Variable(k): v for k, v in substitutions.items()} if substitutions else None,
        )
