"""A remote SPARQL 1.1 server as the store (``sparql:QUERY_URL[;UPDATE_URL]``): Protocol for reads, Update for writes.

The server evaluates every query; nothing is evaluated triple by triple here.
What crosses the wire:

* a query is first parsed here by pyoxigraph (a malformed query gets our usual
  error with line and column, and only standard SPARQL reaches the server, so
  no vendor pragma such as Virtuoso's ``DEFINE get:soft`` can make it fetch);
  then it is sent with the project's prefixes and base prepended as ``PREFIX``
  and ``BASE`` lines, the dataset as ``default-graph-uri``/``named-graph-uri``,
  and pre-bound variables as a ``VALUES`` block opening the ``WHERE`` group;
* answers are asked for as SPARQL XML results (exact literals on every server
  tried) or N-Triples, and parsed by pyoxigraph into the same objects the
  embedded store returns;
* writes are ``INSERT DATA``/``DELETE DATA`` with ``GRAPH`` blocks, in chunks;
  blank nodes travel as skolem IRIs (:mod:`kg.store.skolem`).

The server keeps the dataset's graphs (``asserted``, ``inferred``…) as named
graphs, plus one bookkeeping graph ``<base>graph/store-manifest`` holding the
manifest and the list of the dataset's graphs (a server may hold other graphs,
e.g. Virtuoso's system graphs: they are not part of the dataset).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.store.base import QueryAnswer, StoreError, Substitutions
from kg.store.manifest import Manifest, ManifestError
from kg.store.remote_queries import with_term_tests, with_values
from kg.store.skolem import Skolemizer
from kg.store.sparql_client import RefusedRequest, SparqlClient

#: Triples per ``INSERT DATA``/``DELETE DATA`` request (Virtuoso's parser gives up near 5,000 in one block).
CHUNK = 1000
#: Seconds allowed to one write or one bookkeeping read (dumping a large graph takes a while).
BULK_TIMEOUT = 600.0
#: A graph IRI no store writes: an empty dataset, in a protocol that cannot name none.
EMPTY_GRAPH = "urn:x-ipkg:no-graph"
SD_NAMED_GRAPH = "http://www.w3.org/ns/sparql-service-description#namedGraph"
SOLUTIONS_ACCEPT = "application/sparql-results+xml"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"


class RemoteStore:
    """The dataset on a SPARQL 1.1 server (see the module documentation)."""

    kind = "sparql"
    persistent = True
    directory: Path | None = None
    evaluates_in_process = False

    def __init__(self, query_url: str, update_url: str, base_iri: str, query_timeout: float) -> None:
        self._client = SparqlClient(query_url, update_url)
        self._skolem = Skolemizer(f"{base_iri}.well-known/genid/")
        self._query_timeout = query_timeout
        self._bookkeeping = f"{base_iri}graph/store-manifest"
        self._manifest_predicate = f"{self._bookkeeping}#manifest"
        self._parser = ox.Store()
        self._known_graphs: set[str] | None = None
        self._recorded: Manifest | None = None
        self._manifest_read = False
        self._changing = False

    def describe(self) -> str:
        """Where the data lives (no credentials)."""
        return f"the SPARQL server at {self._client.query_endpoint.url}"

    # -- queries --------------------------------------------------------------

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
        """Have the server evaluate ``text``; the answer is parsed into pyoxigraph's result objects."""
        parsed = self._parser.query(text, base_iri=base_iri, prefixes=dict(prefixes) if prefixes else None)
        text = with_term_tests(text, self._skolem)
        if substitutions:
            text = with_values(text, substitutions, self._skolem)
        prologue = (f"BASE <{base_iri}>\n" if base_iri else "") + "".join(
            f"PREFIX {name}: <{iri}>\n" for name, iri in (prefixes or {}).items()
        )
        return self._ask(prologue + text, type(parsed), self._query_timeout, default_graph, named_graphs)

    def _ask(
        self,
        text: str,
        kind: type,
        timeout: float,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryAnswer:
        dataset = (_or_empty(default_graph), _or_empty(named_graphs))
        try:
            if kind is ox.QueryTriples:
                reply = self._client.query(text, GRAPH_ACCEPT, timeout, *dataset)
                return _as_query_triples(self._parse_triples(reply.body, reply.media_type))
            reply = self._client.query(text, SOLUTIONS_ACCEPT, timeout, *dataset)
        except RefusedRequest as error:
            raise SyntaxError(error.message) from None
        try:
            return ox.parse_query_results(self._skolem.incoming_results(reply.body), ox.QueryResultsFormat.XML)
        except SyntaxError as error:
            raise StoreError(f"{self.describe()} sent SPARQL results that cannot be read: {error}") from None

    def _parse_triples(self, body: bytes, media_type: str) -> list[ox.Triple]:
        rdf_format = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.N_TRIPLES
        try:
            return [self._skolem.incoming_triple(quad.triple) for quad in ox.parse(body, format=rdf_format)]
        except SyntaxError as error:
            raise StoreError(f"{self.describe()} sent RDF that cannot be read ({media_type}): {error}") from None

    # -- reads ----------------------------------------------------------------

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        """The triples of ``graph`` (checked against its count: a server that caps answers is reported, not trusted)."""
        expected = self.count(graph)
        found = self._construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        if len(found) < expected:
            raise StoreError(
                f"{self.describe()} returned {len(found):,} of the {expected:,} triples of <{graph}>: it caps the size of "
                "answers (Virtuoso: raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)"
            )
        return iter(found)

    def _construct(self, text: str) -> list[ox.Triple]:
        try:
            reply = self._client.query(text, GRAPH_ACCEPT, BULK_TIMEOUT)
        except RefusedRequest as error:
            raise StoreError(error.message) from None
        return self._parse_triples(reply.body, reply.media_type)

    def _select(self, text: str, named_graphs: Sequence[str] | None = None) -> list[ox.QuerySolution]:
        answer = self._ask(text, ox.QuerySolutions, BULK_TIMEOUT, None, named_graphs)
        if not isinstance(answer, ox.QuerySolutions):
            raise StoreError(f"{self.describe()} answered a SELECT query with a boolean")
        return list(answer)

    def dump_ntriples(self, graph: str) -> str:
        """``graph`` as N-Triples text, blank node labels kept."""
        return ox.serialize(self.triples(graph), format=ox.RdfFormat.N_TRIPLES).decode()

    def graph_names(self) -> list[str]:
        """The dataset's named graphs, as listed in the bookkeeping graph."""
        rows = self._select(f"SELECT ?g WHERE {{ GRAPH <{self._bookkeeping}> {{ <{self._bookkeeping}> <{SD_NAMED_GRAPH}> ?g }} }}")
        names = {row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode)}
        self._known_graphs = set(names)
        return sorted(names)

    def graphs_containing(self, triple: ox.Triple) -> list[str]:
        """The dataset's named graphs holding ``triple``."""
        pattern = " ".join(self._skolem.outgoing(term) for term in (triple.subject, triple.predicate, triple.object))
        ours = sorted(self._known_graphs) if self._known_graphs is not None else self.graph_names()  # kept by our writes
        if not ours:
            return []
        rows = self._select(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {pattern} }} }}", ours)
        return [row["g"].value for row in rows]

    def count(self, graph: str) -> int:
        """Triples in ``graph``."""
        rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value) if rows else 0

    def size(self) -> int:
        """Quads in the dataset's graphs."""
        ours = self.graph_names()
        if not ours:
            return 0
        rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", ours)
        return int(rows[0]["n"].value) if rows else 0

    # -- writes ---------------------------------------------------------------

    def _update(self, text: str) -> None:
        try:
            self._client.update(text, BULK_TIMEOUT)
        except RefusedRequest as error:
            raise StoreError(f"{error.message} (does the update URL of KG_STORE accept SPARQL Update, with credentials?)") from None

    def _before_write(self) -> None:
        """Record the manifest as not clean before the first write of a change."""
        if not self._changing:
            recorded = self.read_manifest() or Manifest.blank()
            self._write_manifest(recorded.replace(clean=False))
            self._changing = True

    def _write_quads(self, verb: str, quads: Iterable[ox.Quad]) -> None:
        """``INSERT DATA`` or ``DELETE DATA`` of ``quads``, :data:`CHUNK` at a time (new graphs registered with the first)."""
        self._before_write()
        if verb == "INSERT" and self._known_graphs is None:
            self.graph_names()
        batch: list[ox.Quad] = []
        for quad in quads:
            if isinstance(quad.graph_name, ox.DefaultGraph):
                raise StoreError("the remote store keeps every triple in a named graph; got one for the default graph")
            batch.append(quad)
            if len(batch) >= CHUNK:
                self._send(verb, batch)
                batch = []
        if batch:
            self._send(verb, batch)

    def _send(self, verb: str, quads: list[ox.Quad]) -> None:
        by_graph: dict[str, list[str]] = {}
        out = self._skolem.outgoing
        for quad in quads:
            by_graph.setdefault(quad.graph_name.value, []).append(f"{out(quad.subject)} {out(quad.predicate)} {out(quad.object)} .")
        blocks = [f"GRAPH <{graph}> {{\n" + "\n".join(lines) + "\n}" for graph, lines in by_graph.items()]
        fresh = [graph for graph in by_graph if verb == "INSERT" and graph not in (self._known_graphs or set())]
        if fresh:
            registry = " ".join(f"<{self._bookkeeping}> <{SD_NAMED_GRAPH}> <{graph}> ." for graph in fresh)
            blocks.append(f"GRAPH <{self._bookkeeping}> {{ {registry} }}")
        self._update(f"{verb} DATA {{\n" + "\n".join(blocks) + "\n}")
        if fresh and self._known_graphs is not None:
            self._known_graphs.update(fresh)

    def add(self, quads: Iterable[ox.Quad]) -> None:
        """Insert ``quads``."""
        self._write_quads("INSERT", quads)

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        """Delete ``quads``."""
        self._write_quads("DELETE", quads)

    def as_stored(self, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        """``quads`` unchanged: what a remote server does to literals is its own (Virtuoso: see docs/deploy.md)."""
        return list(quads)

    def apply(self, removed: Sequence[ox.Quad], added: Sequence[ox.Quad]) -> None:
        """Delete ``removed`` then insert ``added`` (requests of :data:`CHUNK` quads: the server makes each atomic)."""
        self.remove(removed)
        self.add(added)

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        """Empty ``graph`` and fill it with ``triples``."""
        self._before_write()
        self._update(f"DROP SILENT GRAPH <{graph}>")
        name = ox.NamedNode(graph)
        self.add(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    def load_triples(self, graph: str, stream: IO[bytes], fmt: ox.RdfFormat, base_iri: str) -> None:
        """Parse the whole document first (a syntax error sends nothing), then insert it into ``graph``."""
        name = ox.NamedNode(graph)
        quads = [ox.Quad(q.subject, q.predicate, q.object, name) for q in ox.parse(stream, format=fmt, base_iri=base_iri)]
        self.add(quads)

    def bulk_load(self, graph: str, stream: IO[bytes], fmt: ox.RdfFormat, base_iri: str) -> None:
        """Stream a validated document in, chunk by chunk (default-graph triples into ``graph``, named graphs kept)."""
        target = ox.NamedNode(graph)

        def quads() -> Iterator[ox.Quad]:
            for quad in ox.parse(stream, format=fmt, base_iri=base_iri, rename_blank_nodes=True):
                default = isinstance(quad.graph_name, ox.DefaultGraph)
                yield ox.Quad(quad.subject, quad.predicate, quad.object, target) if default else quad

        self.add(quads())

    def add_ntriples(self, graph: str, text: str) -> None:
        """Insert N-Triples ``text`` into ``graph`` (labels kept, as skolem IRIs)."""
        name = ox.NamedNode(graph)
        self.add(ox.Quad(q.subject, q.predicate, q.object, name) for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES))

    def clear(self) -> None:
        """Drop the dataset's graphs and the bookkeeping graph (other graphs on the server stay)."""
        self._before_write()
        for graph in self.graph_names():
            self._update(f"DROP SILENT GRAPH <{graph}>")
        self._update(f"DROP SILENT GRAPH <{self._bookkeeping}>")
        self._known_graphs = set()
        self._recorded, self._manifest_read, self._changing = None, True, False

    # -- manifest -------------------------------------------------------------

    def read_manifest(self) -> Manifest | None:
        """The manifest kept in the bookkeeping graph (read once, then as last written)."""
        if not self._manifest_read:
            rows = self._select(
                f"SELECT ?m WHERE {{ GRAPH <{self._bookkeeping}> {{ <{self._bookkeeping}> <{self._manifest_predicate}> ?m }} }}"
            )
            if rows:
                try:
                    self._recorded = Manifest.from_json(rows[0]["m"].value)
                except ManifestError as error:
                    raise StoreError(f"{self.describe()}, graph <{self._bookkeeping}>: {error}") from None
            self._changing = self._recorded is not None and not self._recorded.clean
            self._manifest_read = True
        return self._recorded

    def flush(self, manifest: Manifest) -> None:
        """Every update was applied when the server answered it: record ``manifest``."""
        self._write_manifest(manifest)
        self._recorded, self._manifest_read = manifest, True
        self._changing = not manifest.clean

    def _write_manifest(self, manifest: Manifest) -> None:
        subject, predicate = f"<{self._bookkeeping}>", f"<{self._manifest_predicate}>"
        self._update(
            f"DELETE WHERE {{ GRAPH {subject} {{ {subject} {predicate} ?m }} }} ;\n"
            f"INSERT DATA {{ GRAPH {subject} {{ {subject} {predicate} {ox.Literal(manifest.to_json())} }} }}"
        )

    def optimize(self) -> None:
        """The server organizes its own storage."""

    def close(self) -> None:
        """Nothing held open: every request has its own connection."""


def _or_empty(graphs: Sequence[str] | None) -> list[str] | None:
    """``graphs`` for the protocol, an empty list as a graph never written: sent nothing, a server (Virtuoso) would
    take every graph, and the protocol has no way to name none."""
    if graphs is None:
        return None
    return list(graphs) or [EMPTY_GRAPH]


def _as_query_triples(triples: list[ox.Triple]) -> ox.QueryTriples:
    """The same answer object the embedded engine gives for CONSTRUCT/DESCRIBE, over ``triples``."""
    scratch = ox.Store()
    scratch.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")  # type: ignore[return-value]
