"""SPARQL Update operations on whole graphs: ``CLEAR``, ``DROP``, ``CREATE``, ``ADD``, ``MOVE``, ``COPY`` and ``LOAD``.

``DEFAULT`` is the asserted graph; ``NAMED`` and ``ALL`` are the data's named graphs (and, for ``ALL``, the
default graph); the closure graphs are the reasoner's and cannot be changed.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable

import pyoxigraph as ox

from kg.dataset import GraphChange, KnowledgeGraph
from kg.sparql.errors import QueryError
from kg.sparql.lexer import Token
from kg.sparql.update_syntax import Operation, syntax_error

#: Largest document ``LOAD`` reads (when enabled).
MAX_LOAD_BYTES = 256 * 1024 * 1024


class GraphOperations:
    """Runs the graph operations of one update request, inside its transaction."""

    def __init__(self, graph: KnowledgeGraph, resolve: Callable[[Operation, Token], str]) -> None:
        self.graph = graph
        self._resolve = resolve
        """The absolute IRI an IRI token of an operation spells (the operation's prologue applied)."""
        self.asserted = graph.layout.asserted
        self.inferred = graph.layout.closure_graphs

    def _graph_reference(self, operation: Operation, index: int, allowed: tuple[str, ...]) -> tuple[str, int]:
        """(``DEFAULT``/``NAMED``/``ALL`` or an IRI, next index) for the graph named at ``index``."""
        stream = operation.tokens
        if index >= len(stream):
            raise syntax_error(stream[-1], f"expected {' or '.join(allowed)} after {stream[-1].text}")
        token = stream[index]
        if token.keyword in allowed and token.keyword != "GRAPH":
            return token.keyword, index + 1
        if token.keyword == "GRAPH" and "GRAPH" in allowed and index + 1 < len(stream):
            return self._resolve(operation, stream[index + 1]), index + 2
        if "IRI" in allowed and token.kind in ("IRI", "PNAME"):
            return self._resolve(operation, token), index + 1
        shown = [word if word != "IRI" else "an IRI" for word in allowed]
        raise syntax_error(token, f"expected {', '.join(shown[:-1])} or {shown[-1]}, found {token.text!r}")

    def manage(self, operation: Operation, change: GraphChange) -> None:
        """``CLEAR``, ``DROP``, ``CREATE``, ``ADD``, ``MOVE`` or ``COPY``."""
        stream = operation.tokens
        keyword = operation.keyword
        index = 1
        silent = len(stream) > 1 and stream[1].keyword == "SILENT"
        index += silent
        if keyword in ("CLEAR", "DROP"):
            target, index = self._graph_reference(operation, index, ("GRAPH", "DEFAULT", "NAMED", "ALL"))
            self._end(operation, index)
            graphs = self._targets(target, stream[0])
            change.apply([], [quad for graph in graphs for quad in self._quads(graph)])
        elif keyword == "CREATE":
            target, index = self._graph_reference(operation, index, ("GRAPH",))
            self._end(operation, index)
            self._refuse_closure(target, stream[0])
            if (target == self.asserted or self._quads(target)) and not silent:
                raise QueryError(f"CREATE GRAPH: the graph <{target}> already exists")
        else:
            source, index = self._graph_reference(operation, index, ("GRAPH", "DEFAULT", "IRI"))
            if index >= len(stream) or stream[index].keyword != "TO":
                raise syntax_error(stream[min(index, len(stream) - 1)], f"expected TO after the source graph of {keyword}")
            target, index = self._graph_reference(operation, index + 1, ("GRAPH", "DEFAULT", "IRI"))
            self._end(operation, index)
            source = self.asserted if source == "DEFAULT" else source
            target = self.asserted if target == "DEFAULT" else target
            self._refuse_closure(target, stream[0])
            if keyword == "MOVE":
                self._refuse_closure(source, stream[0])
            if source == target:
                return
            triples = self._quads(source)
            if not triples and source != self.asserted:
                if silent:
                    return
                raise QueryError(f"{keyword}: the source graph <{source}> does not exist (it holds no triples)")
            moved = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(target)) for q in triples]
            deleted = self._quads(target) if keyword in ("COPY", "MOVE") else []
            if keyword == "MOVE":
                deleted += triples
            change.apply(moved, deleted)

    def _end(self, operation: Operation, index: int) -> None:
        if index < len(operation.tokens):
            token = operation.tokens[index]
            raise syntax_error(token, f"unexpected {token.text!r} after the {operation.keyword} operation (missing ';'?)")

    def _targets(self, target: str, token: Token) -> list[str]:
        """The graphs ``CLEAR``/``DROP`` empties (``DEFAULT`` is ``asserted``; ``NAMED`` and ``ALL`` spare the closures)."""
        if target == "DEFAULT":
            return [self.asserted]
        changeable = [name for name in self.graph.named_graphs() if name not in self.inferred]
        if target == "ALL":
            return list(dict.fromkeys([self.asserted, *changeable]))
        if target == "NAMED":
            return [name for name in changeable if name != self.asserted]
        self._refuse_closure(target, token)
        return [target]

    def _refuse_closure(self, graph: str, token: Token) -> None:
        if graph in self.inferred:
            raise QueryError(
                f"{token.text.upper()} at line {token.line}, column {token.column}: the graph <{graph}> is computed "
                "by the reasoner and cannot be changed; change the asserted data instead",
                token.line, token.column,
            )

    def _quads(self, graph: str) -> list[ox.Quad]:
        name = ox.NamedNode(graph)
        return [ox.Quad(*triple, name) for triple in self.graph.store.triples(graph)]

    def load(self, operation: Operation, change: GraphChange) -> None:
        """``LOAD`` (only reached when ``KG_ALLOW_LOAD`` is set): the document's triples into a graph."""
        stream = operation.tokens
        index = 1 + (len(stream) > 1 and stream[1].keyword == "SILENT")
        silent = index == 2
        if index >= len(stream):
            raise syntax_error(stream[-1], "expected the IRI of the document to load")
        source = self._resolve(operation, stream[index])
        index += 1
        target = ox.DefaultGraph()
        if index < len(stream) and stream[index].keyword == "INTO":
            graph, index = self._graph_reference(operation, index + 1, ("GRAPH",))
            self._refuse_closure(graph, stream[0])
            target = ox.NamedNode(graph)
        self._end(operation, index)
        try:
            triples = _fetch_triples(source, self.graph.settings.query_timeout)
        except (OSError, SyntaxError, ValueError) as error:
            if silent:
                return
            raise QueryError(f"LOAD <{source}> failed: {error}") from None
        change.apply([ox.Quad(*triple, target) for triple in triples], [])


def _fetch_triples(iri: str, timeout: float) -> list[ox.Triple]:
    """The triples of the RDF document at ``iri`` (format from its media type, else its extension)."""
    request = urllib.request.Request(iri, headers={"Accept": "text/turtle, application/n-triples, application/rdf+xml;q=0.9, "
                                                            "application/ld+json;q=0.8, application/trig;q=0.8, application/n-quads;q=0.8"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — only reached when KG_ALLOW_LOAD is set
        data = response.read(MAX_LOAD_BYTES + 1)
        media_type = (response.headers.get_content_type() or "").lower()
    if len(data) > MAX_LOAD_BYTES:
        raise ValueError(f"the document is larger than {MAX_LOAD_BYTES:,} bytes")
    rdf_format = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.from_extension(iri.rsplit(".", 1)[-1])
    if rdf_format is None:
        raise ValueError(f"cannot tell the RDF format of the document (media type {media_type or 'unknown'})")
    if rdf_format == ox.RdfFormat.RDF_XML and b"<!ENTITY" in data:
        # pyoxigraph expands internal entities without bound: 300 bytes of nested ones make a literal of gigabytes.
        raise ValueError("the RDF/XML document declares XML entities (<!ENTITY …>), which are refused")
    return [quad.triple for quad in ox.parse(data, format=rdf_format, base_iri=iri)]
