"""What the pool's replicas replay: the snapshot a new template starts from, the changes committed since, and the
closures of the modes queries have asked for.

The closure of the default reasoning mode is computed before the first snapshot;
another mode's closure is computed on the authoritative graph when a query first
asks for it, and reaches the replicas as a change (:attr:`Change.mode`), in order
with the committed ones.
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

#: Re-write the snapshot for a new template once the changes logged since the last one pass this size.
RESNAPSHOT_BYTES = 8_000_000


class Replication:
    """The snapshot and change log of ``graph``'s replicas; ``deliver`` queues each change for the running ones.

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
        remove_stale_snapshots()
        self._directory = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-"))
        default = graph.settings.default_reasoning
        if default in ENTAILING_MODES:
            graph.ensure_reasoned(default)
        with graph.serialized():  # no change slips between snapshot and subscription
            self._reasoned = set(graph.closures.current)
            self._snapshot = self._write()
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

    def since(self, snapshot: Snapshot) -> list[Change]:
        """The changes a template started from ``snapshot`` must replay (call with the lock held)."""
        return [change for change in self._log if snapshot.lacks(change)]

    def fresh_snapshot(self) -> Snapshot:
        """The snapshot a new template starts from, re-written once enough changes have piled up since it."""
        with self._lock:
            logged = sum(change.size for change in self._log)
        if logged <= max(RESNAPSHOT_BYTES, self._snapshot.path.stat().st_size // 4):
            return self._snapshot
        with self._graph.serialized():
            old, self._snapshot = self._snapshot, self._write()
            with self._lock:
                self._log = self.since(self._snapshot)
        old.path.unlink(missing_ok=True)
        return self._snapshot

    def close(self) -> None:
        """Stop following the graph and remove the snapshot files."""
        self._unsubscribe()
        shutil.rmtree(self._directory, ignore_errors=True)

    def _publish(self, delta: StoreDelta) -> None:
        """Queue a committed change for every replica (called under the graph's lock)."""
        self._queue(Change(delta.generation, encode_quads(delta.removed), encode_quads(delta.added)))

    def _queue(self, change: Change) -> None:
        with self._lock:
            self._log.append(change)
            self._deliver(change)

    def _write(self) -> Snapshot:
        """The whole dataset as an N-Quads file (call with the graph's lock held)."""
        return write_snapshot(self._store, self._directory, self._graph.generation, tuple(sorted(self._reasoned)))
