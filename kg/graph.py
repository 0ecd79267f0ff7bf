"""The knowledge graph: sources loaded into a store, closures kept apart, queries answered per entailment mode.

Layout of the dataset (graph IRIs under ``<base>graph/``):

* ``asserted`` — every loaded triple, whatever graph it came in;
* ``inferred`` — what the OWL 2 RL closure adds (``reasoning=owlrl``);
* ``inferred-rdfs`` — what the RDFS closure adds (``reasoning=rdfs``);
* the named graphs of the sources, kept under their own names as provenance
  (the shipped data has one per passage of the article: ``source/p05``…).

A query's default graph is ``asserted`` plus the inferred graph of its mode,
and ``GRAPH`` sees every graph but the closures of other modes, unless the
query (``FROM``) or the protocol (``default-graph-uri``) names its own dataset.
Inferred graphs never repeat an asserted triple, so the union has no duplicates.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from kg import reasoning
from kg.reasoning.closure import Closure
from kg.namespaces import ProjectNamespaces
from kg.settings import Settings
from kg.sources import RdfSource, SourceError, describe_syntax_error, shipped_sources
from kg.sparql.errors import QueryError
from kg.sparql.lexer import has_dataset_clause, tokens
from kg.sparql.safety import check_query
from kg.loading import open_dataset
from kg.store import Store, open_store
from kg.store.manifest import Manifest, reasoner_fingerprint
from kg.store.oxigraph import OxigraphStore, QueryAnswer
from kg.terms import to_ox, to_rdflib

ASSERTED = "asserted"
#: formats without named graphs: loaded by the store's own parser straight into ``asserted``
TRIPLE_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML)
INFERRED_BY_MODE = {"owlrl": "inferred", "rdfs": "inferred-rdfs"}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class StoreDelta:
    """An exact change of the store, closures included: ``removed`` quads go, then ``added`` quads come.

    ``generation`` is the graph's generation once the change is applied; replicas replay deltas in order.
    """

    removed: tuple[ox.Quad, ...]
    added: tuple[ox.Quad, ...]
    generation: int


@dataclass(frozen=True)
class ReasoningReport:
    """What computing one closure did."""

    mode: str
    asserted: int
    inferred: int
    seconds: float
    inconsistencies: tuple[str, ...] = ()
    """What the engine found contradicting the ontology (fast engine), one line each."""


def _quiet(_message: str) -> None:
    """A progress sink that discards messages."""


class KnowledgeGraph:
    """The dataset, its closures and SPARQL over them."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.manifest = Manifest(settings.base_uri)
        """What the store holds (sources, loaded files, updates), recorded by persistent stores at each :meth:`flush`."""
        self.namespaces = ProjectNamespaces(settings.base_uri)
        self._reasoned: set[str] = set()
        self._closures: dict[str, Closure] = {}
        self._named_graphs: dict[str, list[str]] = {}
        self._lock = threading.RLock()
        self._listeners: list[Callable[[StoreDelta], None]] = []
        self.generation = 0
        """Grows by one with every committed change (see :meth:`changing`)."""
        self.changed_at = time.time()
        """When the asserted data last changed (epoch seconds): HTTP ``Last-Modified`` of what is served."""
        self._union_mode: str | None = None
        """The mode whose default graph is also kept, merged, in :attr:`_merged` (replicas answering queries)."""
        self._merged: OxigraphStore | None = None

    @classmethod
    def load(
        cls,
        settings: Settings,
        sources: Sequence[RdfSource] | None = None,
        progress: Progress = _quiet,
    ) -> KnowledgeGraph:
        """Open the configured store and load ``sources`` (default: ``settings.data_files`` or the shipped files)."""
        if sources is None:
            sources = [RdfSource(Path(p)) for p in settings.data_files] or shipped_sources()
        graph = cls(settings, open_store(settings))
        open_dataset(graph, sources, progress)
        return graph

    def graph_iri(self, name: str) -> str:
        """The IRI of one of the dataset's graphs (``asserted``, ``inferred``…)."""
        return self.namespaces.graph(name)

    def add_sources(self, sources: Iterable[RdfSource], progress: Progress = _quiet) -> int:
        """Parse and add ``sources``; returns the number of quads read.  Closures become stale."""
        asserted = ox.NamedNode(self.graph_iri(ASSERTED))
        total = 0
        for source in sources:
            started = time.perf_counter()
            if source.format in TRIPLE_FORMATS:
                count = self._load_triples(source)
                total += count
                progress(f"loaded {source.path} ({count:,} triples, {time.perf_counter() - started:.2f} s)")
                continue
            batch: list[ox.Quad] = []
            for quad in source.quads(self.settings.base_uri):
                batch.append(ox.Quad(quad.subject, quad.predicate, quad.object, asserted))
                if not isinstance(quad.graph_name, ox.DefaultGraph):
                    batch.append(quad)
            with self._lock:
                self.store.add(batch)
                self._reasoned.clear()
                self._closures.clear()
                self._named_graphs.clear()
                self.changed_at = time.time()
            count = sum(1 for q in batch if q.graph_name == asserted)
            total += count
            progress(f"loaded {source.path} ({count:,} triples, {time.perf_counter() - started:.2f} s)")
        return total

    def _load_triples(self, source: RdfSource) -> int:
        """Load a triples-only file with the store's own parser (no Python object per triple); returns the triples added."""
        with self._lock:
            before = self.store.size()
            try:
                with source.open() as stream:
                    self.store.load_triples(self.graph_iri(ASSERTED), stream, source.format, self.settings.base_uri)
            except SyntaxError as error:
                raise SourceError(f"{source.path}: {describe_syntax_error(error)}") from None
            except (OSError, EOFError) as error:
                raise SourceError(f"{source.path}: {error}") from None
            self._reasoned.clear()
            self._closures.clear()
            self._named_graphs.clear()
            self.changed_at = time.time()
            return self.store.size() - before

    def apply_changes(self, inserted: Iterable[ox.Quad], deleted: Iterable[ox.Quad]) -> StoreDelta:
        """Apply a change to the asserted data and bring every computed closure up to date.

        Quads in the default graph address ``asserted``; quads in another named
        graph change that graph and, to keep ``asserted`` the union of all
        asserted triples, ``asserted`` too (a deleted triple leaves ``asserted``
        only when no other source graph still holds it).  Inferred graphs are
        the reasoner's and cannot be changed here.  Returns the exact store delta.
        """
        with self.changing() as change:
            change.apply(inserted, deleted)
        return change.delta

    @contextmanager
    def changing(self) -> Iterator[GraphChange]:
        """A transaction on the asserted data: each ``change.apply(inserted, deleted)`` is seen by the next.

        Writers are serialized by the graph's lock, held throughout.  On a clean
        exit the closures are recomputed once, :attr:`generation` grows and every
        subscriber gets the exact :class:`StoreDelta`; on an exception every step is undone.
        """
        with self._lock:
            change = GraphChange(self)
            try:
                yield change
                change.commit()
            except BaseException:
                change.undo()
                raise

    def subscribe(self, listener: Callable[[StoreDelta], None]) -> Callable[[], None]:
        """Call ``listener`` with the delta of every committed change (under the graph's lock); returns the unsubscriber."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @classmethod
    def replica(
        cls, settings: Settings, store: Store, reasoned: Iterable[str], generation: int, *, merged_default: bool = False
    ) -> KnowledgeGraph:
        """A copy over ``store``, which already holds the closures of ``reasoned`` modes computed elsewhere.

        With ``merged_default`` (an in-memory replica answering queries), the default reasoning mode's
        asserted and inferred triples are also kept, merged, alone in a second in-memory store, which
        answers that mode's queries when they name no graph and no dataset: the engine's indexes then
        hold each triple once, as in a plain store (on LUBM the query mix runs 1.3-1.9x faster than
        over the full layout), for about twice the memory.
        """
        graph = cls(settings, store)
        graph._reasoned = set(reasoned)
        graph.generation = generation
        mode = settings.default_reasoning
        if merged_default and mode in INFERRED_BY_MODE and mode in graph._reasoned:
            graph._union_mode = mode
            graph._merged = OxigraphStore.in_memory()
            for name in graph.default_graph(mode):
                graph._merged.add([ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in store.triples(name)])
        return graph

    def flush(self, *, loading: Sequence[str] = ()) -> None:
        """Make every write durable and have the store record what it holds (a no-op in memory).

        ``loading`` names files a bulk load is about to write: the record then says
        a change is in progress until the next flush.
        """
        self.store.flush(self.manifest.replace(
            reasoner=reasoner_fingerprint(self.settings.reasoner), closures=tuple(sorted(self._reasoned)),
            loading=tuple(loading), clean=not loading,
        ))

    def mark_reasoned(self, modes: Iterable[str]) -> None:
        """Trust the stored inferred graphs of ``modes`` as up to date (a persistent store recorded them so)."""
        with self._lock:
            self._reasoned.update(modes)
            self._named_graphs.clear()

    def mark_stale(self) -> None:
        """The asserted data changed outside a transaction (a bulk load): every closure must be recomputed."""
        with self._lock:
            self._reasoned.clear()
            self._closures.clear()
            self._named_graphs.clear()
            self.changed_at = time.time()

    def apply_delta(self, delta: StoreDelta) -> None:
        """Replay a change committed on the graph this one replicates (closures come with the delta)."""
        with self._lock:
            self.store.remove(delta.removed)
            self.store.add(delta.added)
            if self._merged is not None:
                self._merge(delta, self._merged)
            self._closures.clear()
            self._named_graphs.clear()
            self.generation = delta.generation
            self.changed_at = time.time()

    def _merge(self, delta: StoreDelta, merged: OxigraphStore) -> None:
        """Mirror ``delta``'s changes to the merged store of the default mode.

        Asserted and inferred graphs never share a triple, so removals then additions keep the merge exact.
        """
        sources = {ox.NamedNode(name) for name in self.default_graph(self._union_mode or "none")}
        default = ox.DefaultGraph()
        merged.remove(ox.Quad(q.subject, q.predicate, q.object, default) for q in delta.removed if q.graph_name in sources)
        merged.add([ox.Quad(q.subject, q.predicate, q.object, default) for q in delta.added if q.graph_name in sources])

    def asserted_triples(self) -> set[ox.Triple]:
        """Every asserted triple."""
        return set(self.store.triples(self.graph_iri(ASSERTED)))

    def reason(self, mode: str, progress: Progress = _quiet) -> ReasoningReport:
        """Compute the closure of ``mode`` and store what it adds in that mode's inferred graph."""
        with self._lock:
            progress(f"reasoning ({mode}, engine {self.settings.reasoner}) ...")
            started = time.perf_counter()
            if self.settings.reasoner in reasoning.INCREMENTAL_ENGINES:
                report = self._materialize(mode, started, progress)
                self.flush()
                return report
            asserted = self.asserted_triples()
            inferred = reasoning.infer(asserted, mode, self.settings.reasoner)
            self.store.replace_graph(self.graph_iri(INFERRED_BY_MODE[mode]), inferred)
            self._reasoned.add(mode)
            self._named_graphs.clear()
            self.flush()
            report = ReasoningReport(mode, len(asserted), len(inferred), time.perf_counter() - started)
            progress(f"reasoned ({mode}): {report.inferred:,} inferred from {report.asserted:,} asserted in {report.seconds:.2f} s")
            return report

    def _materialize(self, mode: str, started: float, progress: Progress) -> ReasoningReport:
        """The fast engine's path: asserted graph out as N-Triples, closure kept, additions in as N-Triples."""
        reasoning.check_mode(mode)
        closure = Closure.of_ntriples(mode, self.store.dump_ntriples(self.graph_iri(ASSERTED)))
        additions = closure.additions()
        target = self.graph_iri(INFERRED_BY_MODE[mode])
        self.store.replace_graph(target, ())
        self.store.add_ntriples(target, closure.ntriples(additions))
        self._closures[mode] = closure
        self._reasoned.add(mode)
        self._named_graphs.clear()
        problems = tuple(closure.describe(i) for i in closure.engine.inconsistencies)
        report = ReasoningReport(mode, closure.asserted_count, len(additions), time.perf_counter() - started, problems)
        progress(f"reasoned ({mode}): {report.inferred:,} inferred from {report.asserted:,} asserted in {report.seconds:.2f} s")
        for problem in problems:
            progress(f"inconsistent ({mode}): {problem}")
        return report

    def closure(self, mode: str) -> Closure:
        """The fast engine's closure of ``mode`` with its derivations (computed now if the reasoner is another engine)."""
        reasoning.check_mode(mode)
        with self._lock:
            if mode not in self._closures:
                self._closures[mode] = Closure.of_ntriples(mode, self.store.dump_ntriples(self.graph_iri(ASSERTED)))
            return self._closures[mode]

    def grow_closure(self, mode: str, triples: Sequence[ox.Triple]) -> tuple[list[ox.Triple], list[ox.Triple]] | None:
        """Extend ``mode``'s stored closure from newly asserted ``triples`` (semi-naive from the delta).

        Returns the triples taken out of and put into the inferred graph, or
        ``None`` when the configured engine keeps no closure (then recompute).
        """
        closure = self._closures.get(mode)
        if closure is None or self.settings.reasoner not in reasoning.INCREMENTAL_ENGINES:
            return None
        now_asserted, fresh = closure.grow(triples)
        target = self.graph_iri(INFERRED_BY_MODE[mode])
        gone = list(closure.engine.terms.triples(now_asserted))
        self.store.remove(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(target)) for t in gone)
        self.store.add_ntriples(target, closure.ntriples(fresh))
        self._reasoned.add(mode)
        self._named_graphs.clear()
        return gone, list(closure.engine.terms.triples(fresh))

    def ensure_reasoned(self, mode: str, progress: Progress = _quiet) -> None:
        """Bring ``mode``'s closure up to date if it is missing or stale."""
        if mode == "none" or mode in self._reasoned:
            return
        with self._lock:
            if mode not in self._reasoned:
                self.reason(mode, progress)

    def default_graph(self, mode: str) -> list[str]:
        """The graphs that make up the default graph under entailment ``mode``."""
        graphs = [self.graph_iri(ASSERTED)]
        if mode in INFERRED_BY_MODE:
            graphs.append(self.graph_iri(INFERRED_BY_MODE[mode]))
        return graphs

    def named_graphs(self, mode: str) -> list[str]:
        """The graphs ``GRAPH`` can see under ``mode``: all but the closures of the other modes."""
        with self._lock:
            if mode not in self._named_graphs:
                hidden = {self.graph_iri(name) for other, name in INFERRED_BY_MODE.items() if other != mode}
                self._named_graphs[mode] = [g for g in self.store.graph_names() if g not in hidden]
            return self._named_graphs[mode]

    def check_mode(self, reasoning_mode: str | None) -> str:
        """The entailment mode to use (the default when ``None``); a ``QueryError`` if unknown."""
        mode = reasoning_mode or self.settings.default_reasoning
        if mode not in reasoning.MODES:
            raise QueryError(f"unknown reasoning {mode!r}; use one of: {', '.join(reasoning.MODES)}")
        return mode

    def query(
        self,
        text: str,
        reasoning_mode: str | None = None,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        bindings: Mapping[str, Node] | None = None,
    ) -> QueryAnswer:
        """Evaluate ``text`` under an entailment mode; protocol dataset IRIs override the query's own.

        ``bindings`` pre-bind variables (values are substituted into the parsed query, never into its text).
        """
        mode = self.check_mode(reasoning_mode)
        check_query(text, self.settings)
        self.ensure_reasoned(mode)
        store: Store = self.store
        default_graph: list[str] | None
        named_graphs: list[str] | None
        if default_graph_uris or named_graph_uris:
            default_graph, named_graphs = list(default_graph_uris), list(named_graph_uris)
        elif has_dataset_clause(text):
            default_graph = named_graphs = None
        else:
            default_graph, named_graphs = self.default_graph(mode), self.named_graphs(mode)
            if "graph" not in text.lower():
                # Only GRAPH reaches named graphs; without it the engine's faster whole-store path is exact.
                named_graphs = None
                if mode == self._union_mode and self._merged is not None:
                    store, default_graph = self._merged, None
        try:
            return store.query(
                text,
                default_graph=default_graph,
                named_graphs=named_graphs,
                prefixes=self.namespaces.prefixes(),
                substitutions={k: to_ox(v) for k, v in bindings.items()} if bindings else None,
                base_iri=self.settings.base_uri,
            )
        except SyntaxError as error:
            raise query_error_from(error, text) from None

    def select(self, text: str, reasoning: str | None = None, **kwargs: object) -> list[dict[str, Node]]:
        """Rows of a SELECT query as ``{variable: rdflib term}`` (unbound variables absent)."""
        answer = self.query(text, reasoning, **kwargs)  # type: ignore[arg-type]
        if not isinstance(answer, ox.QuerySolutions):
            raise QueryError("select() needs a SELECT query")
        names = [v.value for v in answer.variables]
        return [{name: to_rdflib(row[name]) for name in names if row[name] is not None} for row in answer]

    def ask(self, text: str, reasoning: str | None = None, **kwargs: object) -> bool:
        """The answer to an ASK query."""
        answer = self.query(text, reasoning, **kwargs)  # type: ignore[arg-type]
        if not isinstance(answer, ox.QueryBoolean):
            raise QueryError("ask() needs an ASK query")
        return bool(answer)

    def construct(self, text: str, reasoning: str | None = None, **kwargs: object) -> rdflib.Graph:
        """The graph of a CONSTRUCT or DESCRIBE query, as an rdflib graph."""
        answer = self.query(text, reasoning, **kwargs)  # type: ignore[arg-type]
        if not isinstance(answer, ox.QueryTriples):
            raise QueryError("construct() needs a CONSTRUCT or DESCRIBE query")
        graph = rdflib.Graph()
        for prefix, iri in self.namespaces.prefixes().items():
            graph.bind(prefix, iri, override=True, replace=True)
        for triple in answer:
            graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
        return graph


class GraphChange:
    """The steps of one transaction on the asserted data (see :meth:`KnowledgeGraph.changing`).

    Every step is recorded exactly (only quads that were present are removed,
    only absent ones added), so that it can be undone and replayed elsewhere.
    """

    def __init__(self, graph: KnowledgeGraph) -> None:
        self._graph = graph
        self._steps: list[tuple[list[ox.Quad], list[ox.Quad]]] = []
        self._stale: list[str] = []
        self.delta = StoreDelta((), (), graph.generation)

    def apply(self, inserted: Iterable[ox.Quad], deleted: Iterable[ox.Quad]) -> None:
        """Delete ``deleted`` then insert ``inserted`` (default graph = ``asserted``), keeping ``asserted`` the union."""
        graph = self._graph
        asserted = ox.NamedNode(graph.graph_iri(ASSERTED))
        inferred = {graph.graph_iri(name) for name in INFERRED_BY_MODE.values()}
        inserted, deleted = list(inserted), list(deleted)
        for quad in (*inserted, *deleted):
            if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in inferred:
                raise QueryError(f"the graph <{quad.graph_name.value}> is computed by the reasoner and cannot be changed")
        holders = _Holders(graph.store)
        named_removals = {q for q in deleted if not _addresses(q, asserted) and holders.has(q)}
        removals = list(named_removals)
        for quad in deleted:
            in_asserted = ox.Quad(quad.subject, quad.predicate, quad.object, asserted)
            if not holders.has(in_asserted) or in_asserted in removals:
                continue
            if _addresses(quad, asserted):
                removals.append(in_asserted)
                continue
            remaining = {g for g in holders.graphs(quad.triple) if g not in inferred and g != asserted.value}
            if not {g for g in remaining if ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(g)) not in named_removals}:
                removals.append(in_asserted)
        removed = set(removals)
        additions: list[ox.Quad] = []
        for quad in inserted:
            for target in {ox.Quad(quad.subject, quad.predicate, quad.object, asserted), ox.Quad(*quad.triple, quad.graph_name)}:
                absent = not holders.has(target) or target in removed  # once the removals are done
                if not isinstance(target.graph_name, ox.DefaultGraph) and absent and target not in additions:
                    additions.append(target)
        graph.store.apply(removals, additions)  # one store transaction: a crash leaves all of this step or none
        graph._named_graphs.clear()
        self._steps.append((removals, additions))

    def pending(self) -> StoreDelta:
        """The net change of the steps so far, not committed yet (closures not included), at the current generation."""
        removed, added = self._net()
        return StoreDelta(tuple(removed), tuple(added), self._graph.generation)

    def _net(self) -> tuple[dict[ox.Quad, None], dict[ox.Quad, None]]:
        """(quads removed, quads added) by all the steps together, in order."""
        removed: dict[ox.Quad, None] = {}
        added: dict[ox.Quad, None] = {}
        for removals, additions in self._steps:
            for quad in removals:
                if added.pop(quad, 0) == 0:
                    removed[quad] = None
            for quad in additions:
                if removed.pop(quad, 0) == 0:
                    added[quad] = None
        return removed, added

    def commit(self) -> None:
        """Recompute the stale closures once, then publish the exact delta of the whole transaction."""
        graph = self._graph
        removed, added = self._net()
        if not removed and not added:
            if self._steps:
                graph.flush()
            return
        self._stale = sorted(graph._reasoned)
        graph._reasoned.clear()
        asserted = graph.graph_iri(ASSERTED)
        grown_only = not any(q.graph_name.value == asserted for q in removed)
        new_asserted = [q.triple for q in added if q.graph_name.value == asserted]
        for mode in self._stale:
            name = ox.NamedNode(graph.graph_iri(INFERRED_BY_MODE[mode]))
            grown = graph.grow_closure(mode, new_asserted) if grown_only else None
            if grown is not None:
                removed.update((ox.Quad(*t, name), None) for t in grown[0])
                added.update((ox.Quad(*t, name), None) for t in grown[1])
                continue
            before = set(graph.store.triples(name.value))
            graph.reason(mode)
            after = set(graph.store.triples(name.value))
            removed.update((ox.Quad(*t, name), None) for t in before - after)
            added.update((ox.Quad(*t, name), None) for t in after - before)
        graph.manifest = graph.manifest.replace(updates=graph.manifest.updates + 1)
        graph.flush()  # durable before anyone is told (the HTTP answer comes after)
        graph.generation += 1
        graph.changed_at = time.time()
        self.delta = StoreDelta(tuple(removed), tuple(added), graph.generation)
        for listener in graph._listeners:
            listener(self.delta)

    def undo(self) -> None:
        """Take back every step (closures are recomputed if the commit had started on them)."""
        graph = self._graph
        for removals, additions in reversed(self._steps):
            graph.store.apply(additions, removals)
        self._steps.clear()
        graph._named_graphs.clear()
        for mode in self._stale:
            graph.reason(mode)
        graph.flush()


def _addresses(quad: ox.Quad, asserted: ox.NamedNode) -> bool:
    """True if ``quad`` is in the default graph or in ``asserted`` (the same thing for changes)."""
    return isinstance(quad.graph_name, ox.DefaultGraph) or quad.graph_name == asserted


class _Holders:
    """Which named graphs hold a triple, asked once per triple."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[ox.Triple, set[str]] = {}

    def graphs(self, triple: ox.Triple) -> set[str]:
        if triple not in self._cache:
            self._cache[triple] = set(self._store.graphs_containing(triple))
        return self._cache[triple]

    def has(self, quad: ox.Quad) -> bool:
        return isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in self.graphs(quad.triple)


def query_error_from(error: SyntaxError, text: str) -> QueryError:
    """A ``QueryError`` carrying the line and column of the engine's ``error at L:C: ...`` message."""
    message = str(error.msg if error.msg else error)
    line = column = None
    if message.startswith("error at "):
        position, _, rest = message[len("error at "):].partition(": ")
        line_text, _, column_text = position.partition(":")
        if line_text.isdigit() and column_text.isdigit():
            line, column = int(line_text), int(column_text)
            detail = _shorten_expected(rest)
            if detail == "undeclared prefix":
                detail = _undeclared_prefix(text, line, column)
            message = f"syntax error at line {line}, column {column}: {detail}"
    return QueryError(message, line, column)


def _undeclared_prefix(text: str, line: int, column: int) -> str:
    """Name the prefix of the prefixed name that ends at ``line``:``column``."""
    for token in tokens(text):
        if token.kind == "PNAME" and token.line == line and token.column <= column <= token.column + len(token.text):
            return f"undeclared prefix '{token.text.split(':', 1)[0]}:' in {token.text}"
    return "undeclared prefix"


def _shorten_expected(detail: str, keep: int = 8) -> str:
    """The parser's "expected one of A, B, ..." list, without character classes and cut to ``keep`` items."""
    head, marker, alternatives = detail.partition("expected one of ")
    if not marker:
        return detail
    items: list[str] = []
    depth, current = 0, ""
    for char in alternatives.replace("\n", " "):
        depth += char == "["
        depth -= char == "]"
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    if "Prefix not found" in items:
        return "undeclared prefix"
    named = [item for item in items if item and not item.startswith("[")]
    if len(named) == 1 and " " in named[0]:  # the parser's own sentence ("Variables are not allowed in ...")
        return named[0]
    if not named:
        return f"{head}unexpected input".strip()
    shown = ", ".join(named[:keep])
    more = len(named) - keep
    return f"{head}expected one of {shown}" + (f", … ({more} more)" if more > 0 else "")
