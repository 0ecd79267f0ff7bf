"""Bulk loading (``kg load``) into a store that outlives the command.

Every file is parsed once to check it (a syntax error is reported with file,
line and column, and nothing is written), then streamed into the store; a
progress bar on stderr follows both passes; the closures are recomputed once at the end.
"""

from __future__ import annotations

import getpass
import gzip
import io
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from tqdm import tqdm

from kg.dataset.change_log import ChangeNote
from kg.dataset.graph import KnowledgeGraph
from kg.dataset.source_graphs import assert_source_graphs
from kg.reasoning import ENTAILING_MODES
from kg.sources import RdfSource, SourceError, describe_syntax_error
from kg.store import StoreError
from kg.store.manifest import SourceStamp

Progress = Callable[[str], None]


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
    asserted = graph.layout.asserted
    before = store.count(asserted)
    graph.flush(loading=[str(source.path.resolve()) for source in sources])
    for source in sources:
        with _reading(source, "loading", show_bars) as stream:
            store.bulk_load(asserted, stream, source.format, base)
    assert_source_graphs(store, graph.layout, graph.namespaces)
    graph.mark_stale()
    store.optimize()
    graph.record.add_loaded(stamps)
    after = store.count(asserted)
    graph.change_log.record(ChangeNote(
        writer=_os_user(), operation="load",
        request="; ".join(f"{source.path.name} ({source.path.stat().st_size:,} bytes)" for source in sources),
        extra={"loadedTriples": str(after - before)},
    ))
    progress(f"loaded {after - before:,} new asserted triples ({after:,} in all)")
    for mode in ENTAILING_MODES:
        graph.reason(mode, progress)
    return LoadReport(len(sources), read, before, after, time.perf_counter() - started)


def _os_user() -> str:
    """Who runs ``kg load``: the operating system's user, else ``kg load``."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "kg load"


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
