"""The knowledge graph: a store holding the dataset, its closures kept apart, SPARQL answered per entailment mode.

The layout of the graphs is :mod:`kg.dataset.layout`'s.  A query's default graph
is ``asserted`` plus the closure graph of its mode, and ``GRAPH`` sees the data's
named graphs, unless the query (``FROM``) or the protocol (``default-graph-uri``)
names its own dataset.  Opening a dataset is
:func:`kg.dataset.opening.open_dataset`'s job; this module is the running dataset.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from kg import reasoning
from kg.dataset.change_log import ChangeLog, JournalingStore
from kg.dataset.changes import GraphChange, StoreDelta
from kg.dataset.closure_checkpoints import ClosureCheckpoints
from kg.dataset.closures import Closures, Progress, ReasoningReport, quiet
from kg.dataset.layout import DatasetLayout
from kg.dataset.record import DatasetRecord
from kg.namespaces import ProjectNamespaces
from kg.reasoning.closure import Closure
from kg.settings import Settings
from kg.sparql.entailment import parse_reasoning
from kg.sparql.errors import QueryError
from kg.sparql.lexer import has_dataset_clause, named_iris
from kg.sparql.safety import check_query
from kg.sparql.syntax import query_error_from
from kg.store import Store
from kg.sparql.results import QueryAnswer
from kg.terms import to_ox, to_rdflib


class KnowledgeGraph:
    """The dataset, its closures and SPARQL over them."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.layout = DatasetLayout.under(settings.base_uri)
        self.namespaces = ProjectNamespaces(settings.base_uri)
        self.change_log = ChangeLog(store, self.layout, self.namespaces)
        checkpoints = (ClosureCheckpoints(store.directory, store, self.layout, self.change_log,
                                          settings.reasoner_identity)
                       if store.directory is not None else None)
        self.closures = Closures(store, self.layout, settings.reasoner, checkpoints, settings.axiomatic_triples)
        self.record = DatasetRecord(store, settings.base_uri, settings.reasoner_identity)
        self._lock = threading.RLock()
        self._closed = False
        self._listeners: list[Callable[[StoreDelta], None]] = []
        self.checks: list[Callable[[Mapping[ox.Quad, None], Mapping[ox.Quad, None]], None]] = []
        """Called before a change commits with its (removed, added) quads, closures included: raising refuses it."""
        self._named_graphs: list[str] | None = None
        self.generation = 0
        """Grows by one with every committed change (see :meth:`changing`)."""
        self.changed_at = time.time()
        """When the asserted data last changed (epoch seconds): HTTP ``Last-Modified`` of what is served."""
        self._sizes: tuple[tuple[int, float, frozenset[str]], dict[str, int]] = ((-1, 0.0, frozenset()), {})
        self._sizes_lock = threading.Lock()

    def graph_iri(self, name: str) -> str:
        """The IRI of one of the dataset's graphs (``asserted``, ``inferred``…)."""
        return self.namespaces.graph(name)

    # -- changes ------------------------------------------------------------------

    def apply_changes(self, inserted: Iterable[ox.Quad], deleted: Iterable[ox.Quad]) -> StoreDelta:
        """Apply a change to the asserted data and bring every current closure up to date.

        Quads in the default graph address ``asserted``; quads in another named
        graph change that graph and, to keep ``asserted`` the union of all
        asserted triples, ``asserted`` too (a deleted triple leaves ``asserted``
        only when no other source graph still holds it).  Closure graphs are
        the reasoner's and cannot be changed here.  Returns the exact store delta.
        """
        with self.changing() as change:
            change.apply(inserted, deleted)
        return change.delta

    @contextmanager
    def changing(self) -> Iterator[GraphChange]:
        """A transaction on the asserted data: each ``change.apply(inserted, deleted)`` is seen by the next.

        Writers are serialized by the graph's lock, held throughout.  On a clean
        exit the closures are brought up to date once, every check of :attr:`checks` may refuse the
        change, its change log entry is written, :attr:`generation` grows and every subscriber gets
        the exact :class:`StoreDelta` (the entry's quads included); on an exception every step is undone.
        """
        with self._lock:
            self.closures.restore_kept()
            journal = self.change_log.journal()
            store: Store = JournalingStore(self.store, journal)  # type: ignore[assignment]
            change = GraphChange(store, self.layout, self.namespaces, self.generation, self.forget_graph_names)
            stale: list[str] = []
            brought: tuple[dict[ox.Quad, None], dict[ox.Quad, None]] | None = None
            try:
                yield change
                self.forget_graph_names()
                removed, added = change.net()
                if not removed and not added:
                    journal.discard()
                    if change.has_steps:
                        self.flush()
                    return
                stale = self.closures.begin_change()
                change.bring_closures(self.closures, stale, removed, added)
                brought = removed, added
                for check in self.checks:
                    check(removed, added)
                added.update(dict.fromkeys(journal.commit(removed, added)))
                self.record.count_update()
                self.flush()  # durable before anyone is told (the HTTP answer comes after)
                self.generation += 1
                self.changed_at = time.time()
                change.delta = StoreDelta(tuple(removed), tuple(added), self.generation)
                for listener in self._listeners:
                    listener(change.delta)
            except BaseException:
                journal.abandon()
                journal.paused = True
                change.undo()
                journal.discard()
                self.forget_graph_names()
                if brought is not None:  # refused once the closures were current (a shape check): take the change back
                    undone = self.closures.begin_change()
                    change.bring_closures(self.closures, undone, dict(brought[1]), dict(brought[0]))
                else:  # the closures may be half-maintained: compute them again
                    for mode in stale:
                        self.closures.compute(mode, quiet)
                self.flush()
                raise

    @contextmanager
    def serialized(self) -> Iterator[None]:
        """Hold the writers' lock: no change commits meanwhile (:meth:`changing` may be entered inside)."""
        with self._lock:
            yield

    def subscribe(self, listener: Callable[[StoreDelta], None]) -> Callable[[], None]:
        """Call ``listener`` with the delta of every committed change (under the graph's lock); returns the unsubscriber."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def flush(self, *, loading: Sequence[str] = ()) -> None:
        """Make every write durable and have the store record what it holds (a no-op in memory).

        ``loading`` names files a bulk load is about to write: the record then says
        a change is in progress until the next flush.
        """
        self.record.write(self.closures.current, loading=loading)

    def restore_closures(self) -> None:
        """Read back now the closures the reasoner saved beside a persistent store (see
        :mod:`kg.dataset.closure_checkpoints`), so that the first write costs what any write costs.

        The files are read without the dataset's lock (seconds on millions of triples: a write meanwhile reads
        them itself), then brought up to date from the change log with it.
        """
        with self._lock:
            modes = self.closures.unrestored()
        saved = {mode: self.closures.read_saved(mode) for mode in modes}
        with self._lock:
            if self._closed:
                return
            for mode, closure in saved.items():
                if closure is not None:
                    self.closures.adopt(mode, closure)

    def close(self) -> None:
        """Save what the reasoner keeps beside a persistent store (so the next process need not recompute it) and
        close the store; the dataset must not be used after."""
        with self._lock:
            self._closed = True
            try:
                self.closures.save_kept()
            finally:
                self.store.close()

    def mark_reasoned(self, modes: Iterable[str]) -> None:
        """Trust the stored closure graphs of ``modes`` as up to date (a persistent store recorded them so)."""
        with self._lock:
            self.closures.trust(modes)
            self.forget_graph_names()

    def mark_stale(self) -> None:
        """The asserted data changed outside a transaction (a load): every closure must be recomputed."""
        with self._lock:
            self.closures.invalidate()
            self.forget_graph_names()
            self.changed_at = time.time()

    # -- closures -----------------------------------------------------------------

    def asserted_triples(self) -> set[ox.Triple]:
        """Every asserted triple."""
        return set(self.store.triples(self.layout.asserted))

    def reason(self, mode: str, progress: Progress = quiet,
               share: Callable[[str], None] | None = None) -> ReasoningReport:
        """Compute the closure of ``mode`` and store what it adds in that mode's closure graph (``share``: see
        :meth:`Closures.compute`)."""
        with self._lock:
            report = self.closures.compute(mode, progress, share)
            self.forget_graph_names()
            self.flush()
            self.closures.save_kept(progress)
            return report

    def ensure_reasoned(self, mode: str, progress: Progress = quiet,
                        share: Callable[[str], None] | None = None) -> None:
        """Bring ``mode``'s closure up to date if it is missing or stale."""
        if self.closures.is_current(mode):
            return
        with self._lock:
            if not self.closures.is_current(mode):
                self.reason(mode, progress, share)

    def closure(self, mode: str) -> Closure:
        """``mode``'s closure with its derivations (computed now if the engine keeps none)."""
        with self._lock:
            return self.closures.kept(mode)

    # -- queries ------------------------------------------------------------------

    def default_graph(self, mode: str) -> list[str]:
        """The graphs that make up the default graph under entailment ``mode``."""
        return self.layout.default_graph(mode)

    def named_graphs(self) -> list[str]:
        """The data's named graphs: what ``GRAPH ?g`` ranges over (never a bookkeeping graph)."""
        with self._lock:
            if self._named_graphs is None:
                self._named_graphs = [g for g in self.store.graph_names() if self.layout.is_named_graph_of_the_data(g)]
            return self._named_graphs

    def graphs_for(self, text: str, base_iri: str | None = None) -> list[str]:
        """The named graphs of a query's dataset: the data's, plus the bookkeeping graphs it names itself.

        ``GRAPH ?g`` never ranges over ``asserted`` or a closure graph, but ``GRAPH graph:asserted { … }``
        written in the query reaches it (and then ``?g`` may too, in that query).
        """
        graphs = self.named_graphs()
        if "graph" not in text.lower():
            return graphs
        named = named_iris(text, self.namespaces.prefixes(), base_iri or self.settings.base_uri)
        return graphs + sorted(g for g in self.layout.bookkeeping_graphs if g in named)

    def size(self, name: str) -> int:
        """The number of triples in graph ``name``, counted once per state of the dataset (a count of a large graph
        scans it: describing the service must not do that on every request)."""
        with self._sizes_lock:  # one thread counts; the others asking meanwhile wait for its figure
            state = (self.generation, self.changed_at, self.closures.current)
            if self._sizes[0] != state:
                self._sizes = (state, {})
            sizes = self._sizes[1]
            if name not in sizes:
                sizes[name] = self.store.count(name)
            return sizes[name]

    def forget_graph_names(self) -> None:
        """Graphs may have appeared or gone: list them again when next asked."""
        self._named_graphs = None

    def check_mode(self, reasoning_mode: str | None) -> str:
        """The entailment mode to use (the default when ``None``); a ``QueryError`` if unknown."""
        return parse_reasoning(reasoning_mode) or self.settings.default_reasoning

    def query(
        self,
        text: str,
        reasoning_mode: str | None = None,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        bindings: Mapping[str, Node] | None = None,
        base_iri: str | None = None,
        checked: bool = False,
    ) -> QueryAnswer:
        """Evaluate ``text`` under an entailment mode; protocol dataset IRIs override the query's own.

        ``bindings`` pre-bind variables (values are substituted into the parsed query, never into its text);
        ``base_iri`` resolves the query's relative IRIs (default: the dataset's base, ``KG_BASE_URI``);
        ``checked`` says that the caller has checked ``text`` against the endpoint's limits already.
        """
        base_iri = base_iri or self.settings.base_uri
        mode = self.check_mode(reasoning_mode)
        if not checked:
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
            default_graph, named_graphs = self.default_graph(mode), self.graphs_for(text, base_iri)
            if "graph" not in text.lower():
                # Only GRAPH reaches named graphs; without it the engine's faster whole-store path is exact.
                named_graphs = None
                merged = self._merged_default(mode)
                if merged is not None:
                    store, default_graph = merged, None
        try:
            return store.query(
                text,
                default_graph=default_graph,
                named_graphs=named_graphs,
                prefixes=self.namespaces.prefixes_in(text),
                substitutions={k: to_ox(v) for k, v in bindings.items()} if bindings else None,
                base_iri=base_iri,
            )
        except SyntaxError as error:
            raise query_error_from(error, text) from None

    def _merged_default(self, mode: str) -> Store | None:
        """A store holding ``mode``'s default graph alone, merged, if this graph keeps one (replicas do)."""
        return None

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
