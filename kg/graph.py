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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from kg import reasoning
from kg.namespaces import ProjectNamespaces
from kg.settings import Settings
from kg.sources import RdfSource, shipped_sources
from kg.sparql.lexer import has_dataset_clause, tokens
from kg.store import open_store
from kg.store.oxigraph import OxigraphStore, QueryAnswer
from kg.terms import to_ox, to_rdflib

ASSERTED = "asserted"
INFERRED_BY_MODE = {"owlrl": "inferred", "rdfs": "inferred-rdfs"}

Progress = Callable[[str], None]


class QueryError(ValueError):
    """A query that cannot be answered as asked; ``line``/``column`` locate a syntax error."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class ReasoningReport:
    """What computing one closure did."""

    mode: str
    asserted: int
    inferred: int
    seconds: float


def _quiet(_message: str) -> None:
    """A progress sink that discards messages."""


class KnowledgeGraph:
    """The dataset, its closures and SPARQL over them."""

    def __init__(self, settings: Settings, store: OxigraphStore) -> None:
        self.settings = settings
        self.store = store
        self.namespaces = ProjectNamespaces(settings.base_uri)
        self._reasoned: set[str] = set()
        self._named_graphs: dict[str, list[str]] = {}
        self._lock = threading.RLock()

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
        graph.add_sources(sources, progress)
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
            batch: list[ox.Quad] = []
            for quad in source.quads(self.settings.base_uri):
                batch.append(ox.Quad(quad.subject, quad.predicate, quad.object, asserted))
                if not isinstance(quad.graph_name, ox.DefaultGraph):
                    batch.append(quad)
            with self._lock:
                self.store.add(batch)
                self._reasoned.clear()
                self._named_graphs.clear()
            count = sum(1 for q in batch if q.graph_name == asserted)
            total += count
            progress(f"loaded {source.path} ({count:,} triples, {time.perf_counter() - started:.2f} s)")
        return total

    def apply_changes(self, inserted: Iterable[ox.Quad], deleted: Iterable[ox.Quad]) -> None:
        """Apply a change to the asserted data and bring every computed closure up to date.

        Quads in the default graph address ``asserted``; quads in another named
        graph change that graph and, to keep ``asserted`` the union of all
        asserted triples, ``asserted`` too (a deleted triple leaves ``asserted``
        only when no other source graph still holds it).  Inferred graphs are
        the reasoner's and cannot be changed here.
        """
        asserted_iri = self.graph_iri(ASSERTED)
        asserted = ox.NamedNode(asserted_iri)
        inferred = {self.graph_iri(name) for name in INFERRED_BY_MODE.values()}
        inserted, deleted = list(inserted), list(deleted)
        for quad in (*inserted, *deleted):
            if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in inferred:
                raise QueryError(f"the graph <{quad.graph_name.value}> is computed by the reasoner and cannot be changed")
        with self._lock:
            stale = set(self._reasoned)
            removals: list[ox.Quad] = []
            for quad in deleted:
                if isinstance(quad.graph_name, ox.DefaultGraph) or quad.graph_name == asserted:
                    removals.append(ox.Quad(quad.subject, quad.predicate, quad.object, asserted))
                else:
                    removals.append(quad)
                    others = {g for g in self.store.graphs_containing(quad.triple)} - {asserted_iri, quad.graph_name.value}
                    if not others - inferred:
                        removals.append(ox.Quad(quad.subject, quad.predicate, quad.object, asserted))
            additions: list[ox.Quad] = []
            for quad in inserted:
                additions.append(ox.Quad(quad.subject, quad.predicate, quad.object, asserted))
                if not (isinstance(quad.graph_name, ox.DefaultGraph) or quad.graph_name == asserted):
                    additions.append(quad)
            self.store.remove(removals)
            self.store.add(additions)
            self._reasoned.clear()
            self._named_graphs.clear()
            for mode in stale:
                self.reason(mode)

    def asserted_triples(self) -> set[ox.Triple]:
        """Every asserted triple."""
        return set(self.store.triples(self.graph_iri(ASSERTED)))

    def reason(self, mode: str, progress: Progress = _quiet) -> ReasoningReport:
        """Compute the closure of ``mode`` and store what it adds in that mode's inferred graph."""
        with self._lock:
            progress(f"reasoning ({mode}, engine {self.settings.reasoner}) ...")
            started = time.perf_counter()
            asserted = self.asserted_triples()
            inferred = reasoning.infer(asserted, mode, self.settings.reasoner)
            self.store.replace_graph(self.graph_iri(INFERRED_BY_MODE[mode]), inferred)
            self._reasoned.add(mode)
            self._named_graphs.clear()
            report = ReasoningReport(mode, len(asserted), len(inferred), time.perf_counter() - started)
            progress(f"reasoned ({mode}): {report.inferred:,} inferred from {report.asserted:,} asserted in {report.seconds:.2f} s")
            return report

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
        self.ensure_reasoned(mode)
        default_graph: list[str] | None
        named_graphs: list[str] | None
        if default_graph_uris or named_graph_uris:
            default_graph, named_graphs = list(default_graph_uris), list(named_graph_uris)
        elif has_dataset_clause(text):
            default_graph = named_graphs = None
        else:
            default_graph, named_graphs = self.default_graph(mode), self.named_graphs(mode)
        try:
            return self.store.query(
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
    if not named:
        return f"{head}unexpected input".strip()
    shown = ", ".join(named[:keep])
    more = len(named) - keep
    return f"{head}expected one of {shown}" + (f", … ({more} more)" if more > 0 else "")
