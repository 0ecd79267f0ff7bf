"""Getting data into the store: the dataset's sources when a graph opens, and bulk loading (``kg load``).

Opening (:func:`open_dataset`): a store that outlives the process (``oxigraph:PATH``,
``sparql:…``) records a manifest of what it holds (:mod:`kg.store.manifest`).
When the recorded sources are the files asked for (same path, size and
modification time, or else same SHA-256), the base IRI is the same and the last
process did not stop mid-change, nothing is read or reasoned again.  Closures
computed by other reasoner code, or interrupted mid-change, are recomputed.
Changed sources rebuild the store from the files, unless it holds what a
rebuild would lose (changes made through SPARQL Update, or ``kg load`` files
gone since): then it is kept as it is, with a warning.

Bulk loading (:func:`load_files`): every file is parsed once to check it (a
syntax error is reported with file, line and column, and nothing is written),
then streamed into the store; a progress bar on stderr follows both passes;
the closures are recomputed once at the end.
"""

from __future__ import annotations

import gzip
import io
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyoxigraph as ox
from tqdm import tqdm

from kg.reasoning import ENTAILING_MODES
from kg.sources import RdfSource, SourceError, describe_syntax_error
from kg.store.base import StoreError
from kg.store.manifest import Manifest, SourceStamp, reasoner_fingerprint

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

Progress = Callable[[str], None]


# -- opening --------------------------------------------------------------------


def open_dataset(graph: KnowledgeGraph, sources: Sequence[RdfSource], progress: Progress) -> None:
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
    graph.manifest = recorded.replace(loading=(), clean=True)
    if recorded.loading:
        progress(
            f"warning: a `kg load` of {', '.join(recorded.loading)} was interrupted: the store may hold part of it; "
            "run it again (triples already in the store are not added twice)"
        )
    if recorded.clean and recorded.reasoner == reasoner_fingerprint(graph.settings.reasoner):
        graph.mark_reasoned(recorded.closures)
        progress(f"opened {store.describe()}: sources unchanged, closures up to date ({', '.join(recorded.closures) or 'none yet'})")
    else:
        why = "the last process stopped in the middle of a change" if not recorded.clean else "the reasoner changed"
        progress(f"opened {store.describe()}: sources unchanged; closures will be recomputed ({why})")


def _build(graph: KnowledgeGraph, sources: Sequence[RdfSource], progress: Progress) -> None:
    stamps = tuple(SourceStamp.of(source.path) for source in sources) if graph.store.persistent else ()
    graph.add_sources(sources, progress)
    graph.manifest = Manifest(graph.settings.base_uri, sources=stamps)
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


# -- bulk loading ---------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    """What a ``kg load`` did."""

    files: int
    quads_read: int
    asserted_before: int
    asserted_after: int
    seconds: float


def load_files(graph: KnowledgeGraph, paths: Sequence[Path], progress: Progress, show_bars: bool = True) -> LoadReport:
    """Check every file, then stream them all into the graph's store and recompute the closures once."""
    store = graph.store
    if not store.persistent:
        raise StoreError(
            "`kg load` writes into a store that outlives the command, and the memory store is rebuilt by every process: "
            "use --store oxigraph:PATH or --store sparql:URL (KG_STORE); to serve files from memory, use `kg serve --data FILE`"
        )
    started = time.perf_counter()
    sources = [RdfSource(path) for path in paths]
    for source in sources:
        source.format  # noqa: B018 — raises SourceError for an unknown extension, before anything is read
        if not source.path.is_file():
            raise SourceError(f"{source.path}: no such file")
    base = graph.settings.base_uri
    read = sum(_check(source, base, show_bars) for source in sources)
    progress(f"checked {len(sources)} file{'s' if len(sources) != 1 else ''}: {read:,} triples or quads, no errors")
    stamps = tuple(SourceStamp.of(source.path) for source in sources)
    asserted = graph.graph_iri("asserted")
    before = store.count(asserted)
    graph.flush(loading=[str(source.path.resolve()) for source in sources])
    for source in sources:
        with _reading(source, "loading", show_bars) as stream:
            store.bulk_load(asserted, stream, source.format, base)
    graph.mark_stale()
    store.optimize()
    graph.manifest = graph.manifest.replace(loaded=graph.manifest.loaded + stamps)
    after = store.count(asserted)
    progress(f"loaded {after - before:,} new asserted triples ({after:,} in all)")
    for mode in ENTAILING_MODES:
        graph.reason(mode, progress)
    return LoadReport(len(sources), read, before, after, time.perf_counter() - started)


def _check(source: RdfSource, base_iri: str, show_bar: bool) -> int:
    """Parse ``source`` to the end; the number of triples or quads, or a ``SourceError`` with the position."""
    count = 0
    with _reading(source, "checking", show_bar) as stream:
        for _ in ox.parse(stream, format=source.format, base_iri=base_iri):
            count += 1
    return count


@contextmanager
def _reading(source: RdfSource, verb: str, show_bar: bool) -> Iterator[IO[bytes]]:
    """``source``'s bytes (decompressed if .gz), with a progress bar over the file's size; errors name the file."""
    size = source.path.stat().st_size
    with tqdm(total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=f"{verb} {source.path.name}",
              file=sys.stderr, disable=not show_bar, leave=True, dynamic_ncols=True) as bar:
        try:
            with source.path.open("rb") as raw:
                counted: IO[bytes] = io.BufferedReader(_CountingReader(raw, bar))
                stream = gzip.GzipFile(fileobj=counted) if source.path.suffix.lower() == ".gz" else counted
                with stream:
                    yield stream
        except SyntaxError as error:
            raise SourceError(f"{source.path}: {describe_syntax_error(error)}") from None
        except (OSError, EOFError) as error:
            raise SourceError(f"{source.path}: {error}") from None


class _CountingReader(io.RawIOBase):
    """A raw binary reader that advances a progress bar by the bytes read."""

    def __init__(self, raw: IO[bytes], bar: tqdm) -> None:
        self._raw = raw
        self._bar = bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._bar.update(count or 0)
        return count or 0
