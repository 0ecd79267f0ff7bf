"""Opening a dataset: the configured store made to hold its sources, reusing what a persistent store recorded.

A store that outlives the process (``oxigraph:PATH``, ``sparql:…``) records a
manifest of what it holds (:mod:`kg.dataset.record`).  When the recorded sources
are the files asked for (same path, size and modification time, or else same
SHA-256), the base IRI is the same and the last process did not stop mid-change,
nothing is read or reasoned again.  Closures computed by other reasoner code, or
interrupted mid-change, are recomputed.  Changed sources rebuild the store from
the files, unless it holds what a rebuild would lose (changes made through SPARQL
Update, or ``kg load`` files gone since): then it is kept as it is, with a warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.dataset.bulk_load import load_files
from kg.dataset.closures import quiet
from kg.dataset.graph import KnowledgeGraph
from kg.dataset.source_graphs import assert_source_graphs
from kg.settings import Settings
from kg.sources import RdfSource, SourceError, describe_syntax_error, shipped_sources
from kg.store import Store, StoreError, open_store
from kg.store.manifest import Manifest, SourceStamp

Progress = Callable[[str], None]
#: formats without named graphs: loaded by the store's own parser straight into ``asserted``
TRIPLE_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML)


def open_dataset(
    settings: Settings, sources: Sequence[RdfSource] | None = None, progress: Progress = quiet
) -> KnowledgeGraph:
    """The dataset of the configured store holding ``sources`` (default: ``settings.data_files`` or the shipped files).

    A persistent store's record is reused when it matches; otherwise the sources are (re)loaded.
    """
    if sources is None:
        sources = [RdfSource(Path(p)) for p in settings.data_files] or shipped_sources()
    graph = KnowledgeGraph(settings, open_store(settings))
    _open(graph, sources, progress)
    return graph


def _open(graph: KnowledgeGraph, sources: Sequence[RdfSource], progress: Progress) -> None:
    """Make ``graph``'s store hold ``sources``: reuse what a persistent store recorded, or (re)load them."""
    store = graph.store
    recorded = store.read_manifest() if store.persistent else None
    if recorded is None:
        if store.persistent and store.size():
            raise StoreError(
                f"{store.describe()} holds data that ipkg did not load (it has no manifest); "
                "name a new or empty store, or load that data with `kg load` into a new one"
            )
        _build(graph, sources, progress)
        return
    if not recorded.built:
        progress(f"{store.describe()}: its first load was interrupted; loading the sources again")
        store.clear()
        _build(graph, sources, progress)
        return
    if recorded.base_iri != graph.settings.base_uri:
        raise StoreError(
            f"{store.describe()} was built for KG_BASE_URI={recorded.base_iri}, not {graph.settings.base_uri}: "
            f"every IRI in it is minted under its base; set KG_BASE_URI={recorded.base_iri} or name another store"
        )
    undone = graph.change_log.recover()
    if undone:
        progress(f"{store.describe()}: undid the {undone} step{'s' if undone != 1 else ''} of a change the last process "
                 "did not finish (it was never acknowledged, nor logged)")
    changes = _differences(recorded.sources, sources)
    if changes:
        keeps = _unrebuildable(recorded)
        if not keeps:
            progress(f"{store.describe()}: the sources changed ({changes}); rebuilding it from the files")
            store.clear()
            _build(graph, sources, progress)
            if recorded.loaded:
                load_files(graph, [Path(stamp.path) for stamp in recorded.loaded], progress, show_bars=False)
            return
        progress(
            f"warning: the sources changed ({changes}) but {store.describe()} holds {keeps}, which a rebuild would "
            "lose: it is served as it is; to rebuild it from the files, remove it and start again"
        )
    graph.record.adopt(recorded)
    if recorded.loading:
        progress(
            f"warning: a `kg load` of {', '.join(recorded.loading)} was interrupted: the store may hold part of it; "
            "run it again (triples already in the store are not added twice)"
        )
    if graph.record.closures_trusted(recorded):
        graph.mark_reasoned(recorded.closures)
        progress(f"opened {store.describe()}: sources unchanged, closures up to date ({', '.join(recorded.closures) or 'none yet'})")
    else:
        why = "the last process stopped in the middle of a change" if not recorded.clean else "the reasoner changed"
        progress(f"opened {store.describe()}: sources unchanged; closures will be recomputed ({why})")


def _build(graph: KnowledgeGraph, sources: Sequence[RdfSource], progress: Progress) -> None:
    stamps = tuple(SourceStamp.of(source.path) for source in sources) if graph.store.persistent else ()
    add_sources(graph, sources, progress)
    assert_source_graphs(graph.store, graph.layout, graph.namespaces)
    graph.record.built_from(stamps)
    graph.flush()


def _differences(recorded: Sequence[SourceStamp], sources: Sequence[RdfSource]) -> str:
    """What differs between the recorded source files and ``sources`` ('' if nothing)."""
    wanted = {str(source.path.resolve()): source.path for source in sources}
    stamps = {stamp.path: stamp for stamp in recorded}
    added = [path for path in wanted if path not in stamps]
    removed = [path for path in stamps if path not in wanted]
    changed = [path for path in wanted if path in stamps and not stamps[path].matches(wanted[path])]
    parts = [f"{label}: {', '.join(Path(p).name for p in paths)}" for label, paths in
             (("new", added), ("no longer used", removed), ("changed", changed)) if paths]
    return "; ".join(parts)


def _unrebuildable(recorded: Manifest) -> str:
    """What a rebuild from the files would lose ('' if nothing)."""
    lost = []
    if recorded.updates:
        lost.append(f"{recorded.updates} change{'s' if recorded.updates != 1 else ''} made through SPARQL Update")
    gone = [Path(stamp.path).name for stamp in recorded.loaded if not stamp.matches(Path(stamp.path))]
    if gone:
        lost.append(f"files loaded with `kg load` that changed or are gone ({', '.join(gone)})")
    if recorded.loading:
        lost.append("an interrupted `kg load`")
    return " and ".join(lost)


def add_sources(graph: KnowledgeGraph, sources: Iterable[RdfSource], progress: Progress = quiet) -> int:
    """Parse and add ``sources``; returns the number of quads read.  Closures become stale.

    Default-graph triples go to ``asserted``, named graphs stay named; each file's blank nodes are its own.
    """
    asserted = ox.NamedNode(graph.layout.asserted)
    total = 0
    for source in sources:
        started = time.perf_counter()
        if source.format in TRIPLE_FORMATS:
            count = _load_triples(graph, source)
            total += count
            progress(f"loaded {source.path} ({count:,} triples, {time.perf_counter() - started:.2f} s)")
            continue
        batch = [
            ox.Quad(quad.subject, quad.predicate, quad.object, asserted)
            if isinstance(quad.graph_name, ox.DefaultGraph) else quad
            for quad in source.quads(graph.settings.base_uri)
        ]
        graph.store.add(batch)
        graph.mark_stale()
        count = len(batch)
        total += count
        progress(f"loaded {source.path} ({count:,} triples, {time.perf_counter() - started:.2f} s)")
    return total


def _load_triples(graph: KnowledgeGraph, source: RdfSource) -> int:
    """Load a triples-only file with the store's own parser (no Python object per triple); returns the triples added."""
    before = graph.store.size()
    try:
        with source.open() as stream:
            graph.store.load_triples(graph.layout.asserted, stream, source.format, graph.settings.base_uri)
    except SyntaxError as error:
        raise SourceError(f"{source.path}: {describe_syntax_error(error)}") from None
    except (OSError, EOFError) as error:
        raise SourceError(f"{source.path}: {error}") from None
    graph.mark_stale()
    return graph.store.size() - before
