"""What the pool's replicas start from and replay: the snapshot a new template loads (in-memory store) or the
checkpoint a new worker opens (on-disk store), the changes committed since, and the closures of the modes queries
have asked for.

The closure of the default reasoning mode is computed before the first snapshot;
another mode's closure is computed on the authoritative graph when a query first
asks for it, and reaches the replicas as a change (:attr:`Change.mode`), in order
with the committed ones.

Over an on-disk store (``oxigraph:PATH``) nothing is written at start-up: each
new worker gets a checkpoint of the store (RocksDB's: its data files hard-linked,
milliseconds whatever the size), in a folder beside the data, removed with the
worker.  The data then exists once on disk and once in the page cache, however
many workers read it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from kg.dataset import KnowledgeGraph, StoreDelta
from kg.evaluation.processes import SNAPSHOT_PREFIX, Change, PoolError, Snapshot, remove_stale_snapshots, write_snapshot
from kg.evaluation.worker import encode_quads
from kg.reasoning import ENTAILING_MODES
from kg.store.oxigraph import OxigraphStore
from kg.store.persistent import PersistentOxigraphStore

#: Re-write the snapshot for a new template once the changes logged since the last one pass this size.
RESNAPSHOT_BYTES = 8_000_000


class Replication:
    """The snapshots and change log of ``graph``'s replicas; ``deliver`` queues each change for the running ones.

    ``lock`` (the pool's) guards the log; ``deliver`` is called with it held, and under the graph's lock.
    """

    def __init__(self, graph: KnowledgeGraph, lock: threading.Condition, deliver: Callable[[Change], None]) -> None:
        if not isinstance(graph.store, OxigraphStore):
            raise PoolError(f"query workers need an in-process store, not {graph.store.describe()}")
        self._graph = graph
        self._store = graph.store
        self._lock = lock
        self._deliver = deliver
        self._log: list[Change] = []
        self._checkpoints = 0
        #: True when workers open checkpoints of the on-disk store; False when they share their template's replica.
        self.per_worker = isinstance(graph.store, PersistentOxigraphStore)
        parent = graph.store.directory if self.per_worker else None
        remove_stale_snapshots(parent)
        self._directory = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-", dir=parent))
        default = graph.settings.default_reasoning
        if default in ENTAILING_MODES:
            graph.ensure_reasoned(default)
        with graph.serialized():  # no change slips between snapshot and subscription
            self._reasoned = set(graph.closures.current)
            self._snapshot = None if self.per_worker else self._write()
            self._unsubscribe = graph.subscribe(self._publish)

    def needs_closure(self, mode: str) -> bool:
        """True if queries of ``mode`` need a closure the replicas do not have yet."""
        return mode in ENTAILING_MODES and mode not in self._reasoned

    def reason(self, mode: str) -> None:
        """Compute ``mode``'s closure on the graph (first asked for) and queue it for every replica."""
        with self._graph.serialized():  # the closure is queued before any later change
            if mode in self._reasoned:
                return
            self._graph.ensure_reasoned(mode)
            closure = self._store.dump_ntriples(self._graph.layout.closure(mode)).encode()
            self._queue(Change(self._graph.generation, b"", closure, mode))
            self._reasoned.add(mode)

    def since(self, snapshot: Snapshot | None) -> list[Change]:
        """The changes a template started from ``snapshot`` must replay (call with the lock held)."""
        return [change for change in self._log if snapshot is not None and snapshot.lacks(change)]

    def checkpoint(self) -> Snapshot:
        """A new checkpoint of the on-disk store, for one new worker (it removes the folder when it is done)."""
        with self._graph.serialized():  # between changes: the store holds committed ones alone
            self._checkpoints += 1
            path = self._directory / f"worker-{self._checkpoints}"
            assert isinstance(self._store, PersistentOxigraphStore)
            self._store.checkpoint(path)
            return Snapshot(path, self._graph.generation, tuple(sorted(self._reasoned)), checkpoint=True)

    def fresh_snapshot(self) -> Snapshot | None:
        """The snapshot a new template starts from (None on an on-disk store: its workers open checkpoints),
        re-written once enough changes have piled up since it."""
        old = self._snapshot
        if old is None:
            return None
        with self._lock:
            logged = sum(change.size for change in self._log)
        if logged <= max(RESNAPSHOT_BYTES, old.path.stat().st_size // 4):
            return old
        with self._graph.serialized():
            self._snapshot = fresh = self._write()
            with self._lock:
                self._log = self.since(fresh)
        old.path.unlink(missing_ok=True)
        return fresh

    def close(self) -> None:
        """Stop following the graph and remove the snapshot files."""
        self._unsubscribe()
        shutil.rmtree(self._directory, ignore_errors=True)

    def _publish(self, delta: StoreDelta) -> None:
        """Queue a committed change for every replica (called under the graph's lock)."""
        self._queue(Change(delta.generation, encode_quads(delta.removed), encode_quads(delta.added)))

    def _queue(self, change: Change) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._log.append(change)
            self._deliver(change)

    def _write(self) -> Snapshot:
        """The whole dataset as an N-Quads file (call with the graph's lock held)."""
        return write_snapshot(self._store, self._directory, self._graph.generation, tuple(sorted(self._reasoned)))
