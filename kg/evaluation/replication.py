"""What the pool's replicas start from and replay: the snapshot a new template loads (in-memory store) or the
checkpoint a new worker opens (on-disk store), the changes committed since, and the closures of the modes queries
have asked for.

Over the in-memory store, the first template is forked from the server's
process before it serves (it runs one thread then): it shares the loaded
dataset's pages instead of reading a copy, and builds its merged default graph
while the server computes the default mode's closure.  A template started later
(the first one died) loads a snapshot, an N-Quads file written when first needed.

Every closure (the default mode's at start-up, another mode's when a query first
asks for it) is computed on the authoritative graph and reaches the replicas as
a change (:attr:`Change.mode`), in order with the committed ones.

Over an on-disk store (``oxigraph:PATH``) nothing is written at start-up: each
new worker gets a checkpoint of the store (RocksDB's: its data files hard-linked,
milliseconds whatever the size), in a folder beside the data, removed with the
worker.  The data then exists once on disk and once in the page cache, however
many workers read it.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from kg.dataset import KnowledgeGraph, Replica, StoreDelta
from kg.dataset.closures import Progress, quiet
from kg.evaluation.processes import (
    SNAPSHOT_PREFIX, Change, PoolError, Snapshot, remove_stale_snapshots, single_threaded, write_snapshot,
)
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
        self._log: list[Change] = []  # the changes since the snapshot, if there is one
        self._snapshot: Snapshot | None = None
        self._checkpoints = 0
        self._forked = False
        #: True when workers open checkpoints of the on-disk store; False when they share their template's replica.
        self.per_worker = isinstance(graph.store, PersistentOxigraphStore)
        parent = graph.store.directory if self.per_worker else None
        remove_stale_snapshots(parent)
        self._directory = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-", dir=parent))
        with graph.serialized():  # no change slips between what is reasoned and the subscription
            self._reasoned = set(graph.closures.current)
            self._unsubscribe = graph.subscribe(self._publish)

    def needs_closure(self, mode: str) -> bool:
        """True if queries of ``mode`` need a closure the replicas do not have yet."""
        return mode in ENTAILING_MODES and mode not in self._reasoned

    def reason(self, mode: str, progress: Progress = quiet, queued: Callable[[], None] = lambda: None) -> None:
        """Compute ``mode``'s closure on the graph (at start-up for the default mode, else when first asked for) and
        queue it for every replica; ``queued`` is called once it is (the pool may send it on at once: the
        replicas then take it while the graph stores it)."""
        with self._graph.serialized():  # the closure is queued before any later change
            if mode in self._reasoned:
                return
            shared = False

            def share(ntriples: str) -> None:
                nonlocal shared
                self._queue(Change(self._graph.generation, b"", ntriples.encode(), mode))
                shared = True
                queued()

            self._graph.ensure_reasoned(mode, progress, share)
            if not shared:  # computed earlier, or by an engine that shares nothing
                closure = self._store.dump_ntriples(self._graph.layout.closure(mode)).encode()
                self._queue(Change(self._graph.generation, b"", closure, mode))
                queued()
            self._reasoned.add(mode)

    def since(self, snapshot: Snapshot) -> list[Change]:
        """The changes a template started from ``snapshot`` must replay (call with the lock held)."""
        return [change for change in self._log if snapshot.lacks(change)]

    def forkable(self) -> bool:
        """True if the template can be forked from this process, sharing its in-memory dataset: for the first
        template only (later, the server runs threads), and only while this process runs a single thread."""
        return not self.per_worker and not self._forked and single_threaded()

    def inherited(self) -> Callable[[], Replica]:
        """What a template forked from this process builds its replica from: the dataset as it is (call under the
        graph's lock, held until the template is registered for the changes that follow)."""
        self._forked = True
        return functools.partial(Replica, self._graph.settings, self._store, tuple(sorted(self._reasoned)),
                                 self._graph.generation, merged_default=True)

    def checkpoint(self) -> Snapshot:
        """A new checkpoint of the on-disk store, for one new worker (it removes the folder when it is done)."""
        with self._graph.serialized():  # between changes: the store holds committed ones alone
            self._checkpoints += 1
            path = self._directory / f"worker-{self._checkpoints}"
            assert isinstance(self._store, PersistentOxigraphStore)
            self._store.checkpoint(path)
            return Snapshot(path, self._graph.generation, tuple(sorted(self._reasoned)))

    def fresh_snapshot(self) -> Snapshot:
        """The snapshot a new template (not forked from this process) loads: written when first needed, and again
        once enough changes have piled up since it."""
        return self._snapshot if self._snapshot is not None and not self._stale() else self._rewrite()

    def trim(self) -> None:
        """Re-write the snapshot, if there is one, once the log of changes since it has grown too long."""
        if self._snapshot is not None and self._stale():
            self._rewrite()

    def close(self) -> None:
        """Stop following the graph and remove the snapshot files."""
        self._unsubscribe()
        shutil.rmtree(self._directory, ignore_errors=True)

    def _stale(self) -> bool:
        assert self._snapshot is not None
        with self._lock:
            logged = sum(change.size for change in self._log)
        return logged > max(RESNAPSHOT_BYTES, self._snapshot.path.stat().st_size // 4)

    def _rewrite(self) -> Snapshot:
        """Write the whole dataset as an N-Quads file, the snapshot from now on."""
        old = self._snapshot
        with self._graph.serialized():
            fresh = write_snapshot(self._store, self._directory, self._graph.generation, tuple(sorted(self._reasoned)))
            with self._lock:
                self._snapshot = fresh
                self._log = self.since(fresh)
        if old is not None:
            old.path.unlink(missing_ok=True)
        return fresh

    def _publish(self, delta: StoreDelta) -> None:
        """Queue a committed change for every replica (called under the graph's lock)."""
        self._queue(Change(delta.generation, encode_quads(delta.removed), encode_quads(delta.added)))

    def _queue(self, change: Change) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._log.append(change)
            self._deliver(change)
