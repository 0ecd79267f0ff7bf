"""The embedded store: a pyoxigraph ``Store``, whose engine evaluates our SPARQL (in memory here; on disk in :mod:`.persistent`)."""

from __future__ import annotations

import functools

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.store.base import QueryAnswer, Substitutions
from kg.store.manifest import Manifest

__all__ = ["OxigraphStore", "QueryAnswer"]

#: Formats whose documents hold quads (named graphs), as opposed to triples.
QUAD_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


class OxigraphStore:
    """A thin adapter over a pyoxigraph store; graphs are addressed by IRI strings.

    Every write goes through :meth:`_before_write` first, which the on-disk
    subclass uses to mark a change in progress.
    """

    kind = "memory"
    persistent = False
    directory: Path | None = None
    evaluates_in_process = True

    def __init__(self, store: ox.Store) -> None:
        self._store = store

    @classmethod
    def in_memory(cls) -> OxigraphStore:
        """A new, empty in-memory store."""
        return cls(ox.Store())

    def describe(self) -> str:
        """Where the data lives."""
        return "the in-memory store"

    def _before_write(self) -> None:
        """Called before every write (nothing to do in memory)."""

    def add(self, quads: Iterable[ox.Quad]) -> None:
        """Add ``quads`` (atomically)."""
        self._before_write()
        self._store.extend(quads)

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        """Remove ``quads``; absent ones are ignored."""
        self._before_write()
        for quad in quads:
            self._store.remove(quad)

    def quads_for_pattern(self, subject: object, predicate: object, obj: object, graph: object) -> Iterator[ox.Quad]:
        """The stored quads matching a pattern (``None`` matches anything), straight from the engine's indexes."""
        return self._store.quads_for_pattern(subject, predicate, obj, graph)  # type: ignore[arg-type]

    def as_stored(self, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        """``quads`` as this engine keeps them: typed literals by value (``"01"^^xsd:integer`` comes back as ``"1"``,
        ``xsd:nonNegativeInteger`` as ``xsd:integer``), so that what the reasoner is told matches what is stored."""
        return [ox.Quad(q.subject, q.predicate, _stored_literal(q.object), q.graph_name)
                if isinstance(q.object, ox.Literal) and q.object.datatype.value not in _KEPT_AS_WRITTEN else q
                for q in quads]

    def apply(self, removed: Sequence[ox.Quad], added: Sequence[ox.Quad]) -> None:
        """Remove ``removed`` then add ``added`` in one transaction: a process killed meanwhile leaves all or none of it.

        pyoxigraph has no transaction around ``remove`` and ``extend``, but runs
        each SPARQL update request in one, so the change is sent as one request.
        """
        if not removed and not added:
            return
        self._before_write()
        self._store.update(delta_update(removed, added), custom_functions={BLANK_NODE_FUNCTION: _blank_node})

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        """The triples of named graph ``graph``."""
        for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield quad.triple

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        """Make named graph ``graph`` hold exactly ``triples``."""
        self._before_write()
        name = ox.NamedNode(graph)
        if self._store.contains_named_graph(name):
            self._store.remove_graph(name)
        self._store.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    def load_triples(self, graph: str, stream: IO[bytes], fmt: ox.RdfFormat, base_iri: str) -> None:
        """Parse a triples document (N-Triples, Turtle, RDF/XML) straight into ``graph``, atomically.

        Raises ``SyntaxError`` with the parser's position for a malformed document.
        """
        self._before_write()
        self._store.load(stream, format=fmt, base_iri=base_iri, to_graph=ox.NamedNode(graph))

    def bulk_load(self, graph: str, stream: IO[bytes], fmt: ox.RdfFormat, base_iri: str) -> None:
        """Stream a validated document in without holding it in memory: default-graph triples into ``graph``,
        named graphs into their own; the document's blank nodes are its own.  Not atomic: validate first."""
        self._before_write()
        target = ox.NamedNode(graph)
        if fmt not in QUAD_FORMATS:
            self._store.bulk_load(stream, format=fmt, base_iri=base_iri, to_graph=target)
            return

        def placed() -> Iterator[ox.Quad]:
            for quad in ox.parse(stream, format=fmt, base_iri=base_iri, rename_blank_nodes=True):
                default = isinstance(quad.graph_name, ox.DefaultGraph)
                yield ox.Quad(quad.subject, quad.predicate, quad.object, target) if default else quad

        self._store.bulk_extend(placed())

    def dump_ntriples(self, graph: str) -> str:
        """Named graph ``graph`` as canonical N-Triples text, one triple per line."""
        return self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph)).decode()

    def add_ntriples(self, graph: str | None, text: str) -> None:
        """Add canonical N-Triples ``text`` to ``graph`` (None: the default graph), keeping blank node labels (they
        name stored nodes)."""
        self._before_write()
        target = ox.NamedNode(graph) if graph is not None else ox.DefaultGraph()
        load_keeping_labels(self._store, text.encode(), ox.RdfFormat.N_TRIPLES, target)

    def dump_nquads(self, path: Path) -> None:
        """Every quad, as N-Quads in the file ``path`` (by the store's own writer: no Python object per quad)."""
        self._store.dump(path, format=ox.RdfFormat.N_QUADS)

    def add_nquads(self, data: bytes) -> None:
        """Add the N-Quads ``data`` (as :meth:`dump_nquads` writes it), keeping blank node labels."""
        self._before_write()
        load_keeping_labels(self._store, data, ox.RdfFormat.N_QUADS)

    def merge_into(self, target: OxigraphStore, graphs: Iterable[str]) -> None:
        """Copy the triples of ``graphs`` into ``target``'s default graph (by the stores' own writer and parser)."""
        target._before_write()
        for graph in graphs:
            data = self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            load_keeping_labels(target._store, data, ox.RdfFormat.N_TRIPLES, ox.DefaultGraph())

    def size(self) -> int:
        """Number of quads in the store."""
        return len(self._store)

    def graphs_containing(self, triple: ox.Triple) -> list[str]:
        """IRIs of the named graphs that hold ``triple``."""
        quads = self._store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None)
        return [q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)]

    def graph_names(self) -> list[str]:
        """IRIs of the named graphs."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str) -> int:
        """Number of triples in named graph ``graph``."""
        answer = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}")
        return int(next(iter(answer))["n"].value)  # type: ignore[arg-type, index]

    def query(
        self,
        text: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        substitutions: Substitutions | None = None,
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

    def clear(self) -> None:
        """Remove everything."""
        self._before_write()
        self._store.clear()

    def read_manifest(self) -> Manifest | None:
        """Nothing is recorded in memory: every process starts empty."""
        return None

    def flush(self, manifest: Manifest) -> None:
        """Nothing to make durable in memory."""

    def optimize(self) -> None:
        """Nothing to reorganize in memory."""

    def close(self) -> None:
        """Nothing to release in memory."""


#: Extension function of :func:`delta_update`: the blank node labelled with its argument (``DELETE DATA`` cannot
#: name a blank node and ``INSERT DATA`` would mint a new one, so the quads holding one are written with variables).
BLANK_NODE_FUNCTION = ox.NamedNode("urn:x-ipkg:blank-node")


def load_keeping_labels(store: ox.Store, data: bytes, fmt: ox.RdfFormat,
                        to_graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None:
    """Add N-Triples or N-Quads ``data`` to ``store`` (into ``to_graph`` if given), keeping blank node labels.

    Lines without blank nodes go through the store's own parser (fast); the
    others through pyoxigraph terms, because the store's loader renames blank nodes.
    """
    into = {} if to_graph is None else {"to_graph": to_graph}
    if b"_:" not in data:
        store.load(data, format=fmt, **into)
        return
    plain: list[bytes] = []
    labelled: list[bytes] = []
    for line in data.splitlines(keepends=True):
        (labelled if b"_:" in line else plain).append(line)
    store.load(b"".join(plain), format=fmt, **into)
    parsed = ox.parse(b"".join(labelled), format=fmt)
    store.extend(parsed if to_graph is None else (ox.Quad(q.subject, q.predicate, q.object, to_graph) for q in parsed))


def _blank_node(label: ox.Literal) -> ox.BlankNode:
    return ox.BlankNode(label.value)


def delta_update(removed: Sequence[ox.Quad], added: Sequence[ox.Quad]) -> str:
    """One SPARQL update request removing ``removed`` then adding ``added``, exactly (blank node labels kept).

    Quads with a blank node go in ``DELETE {…} WHERE {BIND…}`` / ``INSERT {…} WHERE {BIND…}`` operations of at most
    :data:`BLANK_QUADS_PER_OPERATION` quads: the engine evaluates a group's BINDs recursively, and a few thousand in
    one group overflow its stack.
    """
    operations = []
    if plain := [quad for quad in removed if not _labelled(quad)]:
        operations.append(f"DELETE DATA {{\n{_block(plain, {})}\n}}")
    for verb, quads in (("DELETE", removed), ("INSERT", added)):
        labelled = [quad for quad in quads if _labelled(quad)]
        for start in range(0, len(labelled), BLANK_QUADS_PER_OPERATION):
            variables: dict[str, str] = {}
            template = _block(labelled[start:start + BLANK_QUADS_PER_OPERATION], variables)
            binds = " ".join(f"BIND(<{BLANK_NODE_FUNCTION.value}>({ox.Literal(label)}) AS {name})"
                             for label, name in variables.items())
            operations.append(f"{verb} {{\n{template}\n}} WHERE {{ {binds} }}")
    if plain := [quad for quad in added if not _labelled(quad)]:
        operations.append(f"INSERT DATA {{\n{_block(plain, {})}\n}}")
    return " ;\n".join(operations)


#: Quads with blank nodes per operation of :func:`delta_update` (at most three BINDs each).
BLANK_QUADS_PER_OPERATION = 100


def _labelled(quad: ox.Quad) -> bool:
    return any(isinstance(value, ox.BlankNode) for value in (quad.subject, quad.object, quad.graph_name))


def _block(quads: Iterable[ox.Quad], variables: dict[str, str]) -> str:
    """``quads`` as the body of a DATA block or template, each blank node written as a variable (added to ``variables``)."""

    def term(value: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph) -> str:
        if isinstance(value, ox.BlankNode):
            return variables.setdefault(value.value, f"?b{len(variables)}")
        return str(value)

    by_graph: dict[str, list[str]] = {}
    for quad in quads:
        graph = "" if isinstance(quad.graph_name, ox.DefaultGraph) else term(quad.graph_name)
        by_graph.setdefault(graph, []).append(f"{term(quad.subject)} {term(quad.predicate)} {term(quad.object)} .")
    return "\n".join(f"GRAPH {graph} {{ {' '.join(lines)} }}" if graph else " ".join(lines) for graph, lines in by_graph.items())


#: Datatypes whose literals the engine stores exactly as written.
_KEPT_AS_WRITTEN = frozenset({"http://www.w3.org/2001/XMLSchema#string",
                              "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"})
_PROBE = ox.NamedNode("urn:x-kg:probe")


@functools.lru_cache(maxsize=4096)
def _stored_literal(literal: ox.Literal) -> ox.Literal:
    """``literal`` as the engine gives it back once stored."""
    scratch = ox.Store()
    scratch.add(ox.Quad(_PROBE, _PROBE, literal, ox.DefaultGraph()))
    return next(iter(scratch)).object  # type: ignore[return-value]
