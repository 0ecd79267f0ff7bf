"""Query evaluation in worker processes that can be killed: a time limit that really stops a query.

pyoxigraph cannot cancel a running query, and a query that overflows its stack
kills the process it runs in.  So the server's process keeps the authoritative
graph (and applies updates), while queries run in ``KG_WORKERS`` worker
processes, each holding an in-memory replica of the whole dataset:

* a worker starts from a snapshot (an N-Quads file the pool writes) and then
  replays every committed change it has not seen (generation numbers), before
  its next query — so no query answered after an update's 2xx misses it;
* a query past ``KG_QUERY_TIMEOUT`` gets a 503 and its worker is killed
  (SIGKILL: it stops using CPU at once) and replaced in the background;
  a worker that dies on a query (engine crash) is replaced the same way;
* workers are started from a ``forkserver``, never forked from the threaded server;
* a query is checked against the endpoint's limits (:mod:`kg.sparql.safety`)
  before it is sent, so a refused one never reaches a worker.

Short queries keep being answered while long ones run:

* the pool starts with ``KG_WORKERS`` workers and, as they get busy, starts
  more in the background so that :data:`SPARE_WORKERS` stay idle, up to
  ``KG_MAX_WORKERS`` (workers idle for a minute beyond ``KG_WORKERS`` are
  stopped): a query does not wait behind long ones;
* a query still running after :data:`DEMOTE_AFTER` seconds has its worker moved to
  the idle scheduling class (``SCHED_IDLE``): it only gets the CPU that short
  queries and the HTTP server leave, until it ends (its worker is then
  restored to the normal class, or replaced where the system does not allow
  that) or is killed at the time limit.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.evaluation import worker as worker_module
from kg.evaluation.job import BAD_QUERY, UNAVAILABLE, Outcome, QueryJob
from kg.graph import KnowledgeGraph, StoreDelta
from kg.reasoning import ENTAILING_MODES
from kg.settings import Settings
from kg.sparql.errors import QueryError
from kg.sparql.safety import check_query

logger = logging.getLogger("kg.evaluation")

#: Seconds a new worker may take to load its snapshot.
STARTUP_TIMEOUT = 600.0
#: Re-write the snapshot for a new worker once the changes logged since the last one pass this size.
RESNAPSHOT_BYTES = 8_000_000
#: Seconds a query runs at normal CPU priority; past it, its worker yields the CPU to shorter queries.
DEMOTE_AFTER = 0.2
#: Seconds a worker beyond ``KG_WORKERS`` may stay idle before it is stopped.
IDLE_EXTRA_SECONDS = 60.0
#: Idle workers kept ready (within ``KG_MAX_WORKERS``) so that a query seldom waits for one to start.
SPARE_WORKERS = 2


class PoolError(RuntimeError):
    """Workers could not be started."""


@dataclass(frozen=True)
class _Change:
    generation: int
    removed: bytes
    added: bytes

    @property
    def size(self) -> int:
        return len(self.removed) + len(self.added)


@dataclass(frozen=True)
class _Snapshot:
    path: Path
    generation: int


@dataclass(eq=False)
class _Worker:
    process: Any
    connection: Connection
    pending: list[_Change] = field(default_factory=list)
    idle_since: float = 0.0
    demoted: bool = False

    @property
    def pid(self) -> int:
        return int(self.process.pid)


class WorkerPool:
    """``settings.workers`` query workers (up to ``settings.max_workers`` under load) over replicas of ``graph``.

    :meth:`evaluate` is thread-safe.
    """

    def __init__(self, graph: KnowledgeGraph, settings: Settings) -> None:
        if settings.workers < 1:
            raise PoolError(f"KG_WORKERS must be at least 1: {settings.workers}")
        self.size = settings.workers
        self.max_size = max(settings.workers, settings.max_workers)
        self._graph = graph
        self._settings = settings
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([worker_module.__name__])
        self._directory = Path(tempfile.mkdtemp(prefix="kg-workers-"))
        self._lock = threading.Condition()
        self._spawn_lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._waiting = 0  # evaluations waiting for an idle worker
        self._starting = 0  # workers being started in the background
        self._retry_delay = 0.5  # seconds before starting a worker again after a failure
        self._next_trim = 0.0
        self._log: list[_Change] = []
        self._closed = False
        for mode in ENTAILING_MODES:
            graph.ensure_reasoned(mode)
        with graph.changing():  # holds the graph's lock: no change slips between snapshot and subscription
            self._snapshot = self._write_snapshot()
            self._unsubscribe = graph.subscribe(self._publish)
        try:
            self._spawn(self.size)
        except BaseException:
            self.close()
            raise

    # -- evaluation ---------------------------------------------------------

    def evaluate(self, job: QueryJob) -> Outcome:
        """Answer ``job`` in a worker within ``KG_QUERY_TIMEOUT`` seconds (503 past it, or if every worker stays busy).

        A query past a limit, or using what the endpoint refuses, is answered here and never reaches a worker.
        """
        try:
            check_query(job.text, self._settings)
        except QueryError as error:
            return Outcome(error.status, message=error.message, line=error.line, column=error.column)
        timeout = self._settings.query_timeout
        worker = self._acquire(timeout)
        if worker is None:
            return Outcome(
                UNAVAILABLE,
                message=f"all {self.alive()} query workers (KG_MAX_WORKERS={self.max_size}) stayed busy for {timeout:g} s "
                "(KG_QUERY_TIMEOUT); try again shortly",
            )
        with self._lock:
            pending, worker.pending = worker.pending, []
        try:
            for change in pending:
                worker.connection.send(("delta", change.generation, change.removed, change.added))
            worker.connection.send(("job", job))
            answered = worker.connection.poll(min(DEMOTE_AFTER, timeout))
            if not answered:
                self._demote(worker)
                answered = worker.connection.poll(max(0.0, timeout - DEMOTE_AFTER))
            if not answered:
                self._retire(worker, f"stopped after the {timeout:g} s time limit")
                return Outcome(
                    UNAVAILABLE,
                    message=f"the query ran past the {timeout:g} s time limit (KG_QUERY_TIMEOUT) and was stopped",
                )
            outcome: Outcome = worker.connection.recv()
        except (EOFError, OSError):
            self._retire(worker, "died while evaluating a query")
            code = worker.process.exitcode
            return Outcome(
                BAD_QUERY,
                message=(
                    "the query engine crashed on this query (its worker process "
                    + (f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}")
                    + ") and it was not answered; a very deeply nested query can do this — simplify it"
                ),
            )
        if worker.demoted and not self._promote(worker):
            self._retire(worker, "ran a long query and may not be given its normal CPU priority back")
        else:
            self._release(worker)
        return outcome

    def alive(self) -> int:
        """Workers currently running (idle or busy)."""
        with self._lock:
            return len(self._workers)

    def close(self) -> None:
        """Stop every worker and remove the snapshot files."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
            self._idle.clear()
            self._lock.notify_all()
        self._unsubscribe()
        for worker in workers:
            worker.process.kill()
            worker.process.join(5)
            worker.connection.close()
        shutil.rmtree(self._directory, ignore_errors=True)

    def _acquire(self, timeout: float) -> _Worker | None:
        """An idle worker (the pool grows while evaluations wait, up to its maximum), or None after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._waiting += 1
            try:
                while True:
                    while self._idle:
                        worker = self._idle.pop()
                        if worker.process.is_alive():
                            self._top_up()
                            return worker
                        logger.warning("query worker %d had died while idle", worker.pid)
                        self._workers.discard(worker)
                    remaining = deadline - time.monotonic()
                    if self._closed or remaining <= 0:
                        return None
                    self._top_up()
                    self._lock.wait(remaining)
            finally:
                self._waiting -= 1

    def _top_up(self) -> None:
        """Start workers in the background (call with the lock held) until there are ``KG_WORKERS``, and
        :data:`SPARE_WORKERS` idle or starting beyond the evaluations waiting, within ``KG_MAX_WORKERS``."""
        while not self._closed and len(self._workers) + self._starting < self.max_size and (
            len(self._workers) + self._starting < self.size
            or len(self._idle) + self._starting < SPARE_WORKERS + self._waiting
        ):
            self._starting += 1
            threading.Thread(target=self._grow, daemon=True).start()

    def _grow(self) -> None:
        """Start one worker (it joins the idle ones); after a failure, wait a growing delay before the next try."""
        try:
            self._spawn(1)
            self._retry_delay = 0.5
        except (PoolError, OSError) as error:
            logger.error("could not start a query worker (%s); retrying in %.1f s", error, self._retry_delay)
            time.sleep(self._retry_delay)
            self._retry_delay = min(self._retry_delay * 2, 30.0)
        finally:
            with self._lock:
                self._starting -= 1
                self._top_up()
                self._lock.notify_all()

    def _release(self, worker: _Worker) -> None:
        now = time.monotonic()
        surplus: list[_Worker] = []
        with self._lock:
            if worker in self._workers:
                worker.idle_since = now
                self._idle.append(worker)
                self._lock.notify()
            if now >= self._next_trim and len(self._workers) > self.size and self._waiting == 0:
                self._next_trim = now + 1.0
                for idle in list(self._idle):  # oldest first: the most recently used are at the end
                    if (len(self._workers) - len(surplus) <= self.size or len(self._idle) - len(surplus) <= SPARE_WORKERS
                            or now - idle.idle_since < IDLE_EXTRA_SECONDS):
                        break
                    surplus.append(idle)
                for idle in surplus:
                    self._idle.remove(idle)
                    self._workers.discard(idle)
        for idle in surplus:
            logger.info("query worker %d stopped (idle beyond KG_WORKERS=%d)", idle.pid, self.size)
            idle.process.kill()
            idle.process.join(5)
            idle.connection.close()

    @staticmethod
    def _demote(worker: _Worker) -> None:
        """Let ``worker`` (running a long query) have only the CPU nothing else wants."""
        try:
            os.sched_setscheduler(worker.pid, os.SCHED_IDLE, os.sched_param(0))
            worker.demoted = True
        except OSError:  # gone already, or not allowed: it keeps its priority
            pass

    @staticmethod
    def _promote(worker: _Worker) -> bool:
        """Give ``worker`` its normal CPU priority back (False if the system does not allow it)."""
        try:
            os.sched_setscheduler(worker.pid, os.SCHED_OTHER, os.sched_param(0))
        except OSError:
            return False
        worker.demoted = False
        return True

    def _retire(self, worker: _Worker, reason: str) -> None:
        """Kill ``worker`` now (the pool starts another in the background if it needs one)."""
        logger.warning("query worker %d %s; killed", worker.pid, reason)
        worker.process.kill()
        with self._lock:
            self._workers.discard(worker)
            self._top_up()
        worker.process.join(5)
        worker.connection.close()

    # -- replicas -----------------------------------------------------------

    def _publish(self, delta: StoreDelta) -> None:
        """Queue a committed change for every worker (called under the graph's lock)."""
        change = _Change(delta.generation, worker_module.encode_quads(delta.removed), worker_module.encode_quads(delta.added))
        with self._lock:
            self._log.append(change)
            for worker in self._workers:
                worker.pending.append(change)

    def _write_snapshot(self) -> _Snapshot:
        """The whole dataset as an N-Quads file (call with the graph's lock held)."""
        store = self._graph.store
        path = self._directory / f"snapshot-{self._graph.generation}.nq"
        quads = (
            ox.Quad(*triple, ox.NamedNode(name)) for name in store.graph_names() for triple in store.triples(name)
        )
        ox.serialize(quads, path, format=ox.RdfFormat.N_QUADS)
        return _Snapshot(path, self._graph.generation)

    def _fresh_snapshot(self) -> _Snapshot:
        """The snapshot new workers start from, re-written once enough changes have piled up since it."""
        with self._lock:
            logged = sum(change.size for change in self._log)
        if logged <= max(RESNAPSHOT_BYTES, self._snapshot.path.stat().st_size // 4):
            return self._snapshot
        with self._graph.changing():
            old, self._snapshot = self._snapshot, self._write_snapshot()
            with self._lock:
                self._log = [c for c in self._log if c.generation > self._snapshot.generation]
        old.path.unlink(missing_ok=True)
        return self._snapshot

    def _spawn(self, count: int) -> None:
        """Start ``count`` workers, wait until each has loaded its replica, and put them to work."""
        with self._spawn_lock:
            if self._closed:
                return
            snapshot = self._fresh_snapshot()
            started = []
            for _ in range(count):
                ours, theirs = self._context.Pipe()
                process = self._context.Process(
                    target=worker_module.serve,
                    args=(theirs, self._settings, snapshot.path, ENTAILING_MODES, snapshot.generation),
                    name="kg-query-worker",
                    daemon=True,
                )
                process.start()
                theirs.close()
                started.append(_Worker(process, ours))
            for worker in started:
                try:
                    ready = worker.connection.poll(STARTUP_TIMEOUT) and worker.connection.recv()
                except (EOFError, OSError):
                    ready = None
                if not ready:
                    for other in started:
                        other.process.kill()
                    raise PoolError(f"query worker {worker.pid} did not start (exit code {worker.process.exitcode})")
            with self._lock:
                if self._closed:
                    for worker in started:
                        worker.process.kill()
                    return
                for worker in started:
                    worker.pending = [c for c in self._log if c.generation > snapshot.generation]
                    worker.idle_since = time.monotonic()
                    self._workers.add(worker)
                    self._idle.append(worker)
                self._lock.notify_all()
        for worker in started:
            logger.info("query worker %d ready", worker.pid)
