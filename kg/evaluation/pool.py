"""Query evaluation in worker processes that can be killed: a time limit that really stops a query.

pyoxigraph cannot cancel a running query, and a query that overflows its stack
kills the process it runs in.  So the server's process keeps the authoritative
graph (and applies updates), while queries run in ``KG_WORKERS`` worker
processes, each holding a replica of the whole dataset:

* workers are forked from a template process (:mod:`kg.evaluation.worker`).
  Over the in-memory store, the first template is forked from the server's
  process before it runs threads, sharing the dataset's memory (a later one
  starts from a ``forkserver`` and loads a snapshot); it replays every committed
  change, so a new worker starts in milliseconds sharing the template's replica.
  Over an on-disk store, each new worker opens a checkpoint of it (hard-linked
  files, made in milliseconds whatever the size) as its own store (see
  :mod:`kg.evaluation.replication`).  Each worker then replays every change it has
  not seen (generation numbers) before its next query — so no query answered
  after an update's 2xx misses it;
* a query past its time limit (its job's, else ``KG_QUERY_TIMEOUT``, counted once its worker has caught up and
  starts evaluating it) gets a 503 and its worker is killed (SIGKILL: it stops using CPU at once) and replaced in
  the background; waiting for a worker is bounded apart (``KG_QUEUE_TIMEOUT``: 503 "busy");
  a worker that dies on a query (engine crash) is replaced the same way;
* a query is checked against the endpoint's limits (:mod:`kg.sparql.safety`)
  before it is sent, so a refused one never reaches a worker.

Short queries keep being answered while long ones run:

* the pool starts with ``KG_WORKERS`` workers and, as they get busy, starts
  more in the background so that :data:`SPARE_WORKERS` stay idle, up to
  ``KG_MAX_WORKERS`` while ``MemAvailable`` stays above ``KG_MIN_FREE_MEMORY_MB`` (workers idle for a minute
  beyond ``KG_WORKERS`` are stopped): a query does not wait behind long ones;
* on the event-loop path (``kg serve``), when as many workers as they have CPUs
  are busy, a query may be sent behind one that started a moment ago (the worker
  takes it up with no process to wake); if that one is still running after
  :data:`DEMOTE_AFTER` seconds, the query goes to another worker, and the first
  one's answer to it is dropped;
* a query still running after :data:`DEMOTE_AFTER` seconds has its worker moved to
  the idle scheduling class (``SCHED_IDLE``): it only gets the CPU that short
  queries and the HTTP server leave, until it ends (its worker is then
  restored to the normal class, or replaced where the system does not allow
  that) or is killed at the time limit.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
import shutil
import signal
import threading
import time
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.reduction import send_handle

from kg.evaluation import worker as worker_module
from kg.evaluation.job import BAD_QUERY, UNAVAILABLE, Outcome, QueryJob, Solution, solutions_of
from kg.evaluation.processes import (
    Change, Follower, PoolError, Snapshot, Template, WorkerHandle, available_memory_mb, catch_up, crash_message,
    demote, pin, promote, readable, start_template,
)
from kg.evaluation.replication import Replication
from kg.evaluation.wire import Channel, receive, send
from kg.dataset import KnowledgeGraph, StoreDelta
from kg.dataset.closures import Progress, quiet
from kg.reasoning import ENTAILING_MODES
from kg.settings import Settings
from kg.sparql.errors import QueryError
from kg.sparql.safety import check_query
from kg.store import StoreError

logger = logging.getLogger("kg.evaluation")

#: Seconds a new worker may take to load its snapshot.
STARTUP_TIMEOUT = 600.0
#: Seconds a query runs at normal CPU priority; past it, its worker yields the CPU to shorter queries.
DEMOTE_AFTER = 0.05
#: Seconds a worker beyond ``KG_WORKERS`` may stay idle before it is stopped.
IDLE_EXTRA_SECONDS = 60.0
#: Idle workers kept ready (within ``KG_MAX_WORKERS``) so that a query seldom waits for one to start.
SPARE_WORKERS = 2
#: Seconds since a worker started its job within which another may be sent behind it (see ``evaluate_async``).
FOLLOW_WITHIN = 0.001


class WorkerPool:
    """``settings.workers`` query workers (up to ``settings.max_workers`` under load) over replicas of ``graph``.

    Starting it computes the default mode's closure (``progress`` says how it goes) while the worker template
    builds its replica.  :meth:`evaluate` is thread-safe.
    """

    def __init__(self, graph: KnowledgeGraph, settings: Settings, progress: Progress = quiet,
                 cpus: set[int] | None = None) -> None:
        self.size = settings.workers
        self._cpus = cpus  # where the template, and so every worker it forks, runs (None: anywhere)
        self.max_size = max(settings.workers, settings.max_workers)
        self._graph = graph
        self._settings = settings
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([worker_module.__name__])
        self._lock = threading.Condition()
        self._spawn_lock = threading.Lock()  # held while talking to the template
        self._template: Template | None = None
        self._idle: list[WorkerHandle] = []
        self._workers: set[WorkerHandle] = set()
        self._waiting = 0  # evaluations waiting for an idle worker
        self._starting = 0  # workers being started in the background
        self._retry_delay = 0.5  # seconds before starting a worker again after a failure
        self._next_trim = 0.0
        self._memory_warned = -60.0
        self._closed = False
        self._spawning = False  # a _spawn is starting workers (the spawn lock held)
        self._replication = Replication(graph, self._lock, self._deliver)
        # evaluate_async's jobs that must wait (for a worker, a replay, a closure) wait in these threads
        self._waiters = ThreadPoolExecutor(settings.threads, thread_name_prefix="kg-pool-wait")
        # The workers evaluating evaluate_async's jobs, and its tasks dropping orphan answers (the loop's thread only)
        self._leading: set[WorkerHandle] = set()
        self._dropping: set[asyncio.Task[None]] = set()
        self._worker_cpus = len(cpus) if cpus else len(os.sched_getaffinity(0))
        try:
            with self._spawn_lock:
                template = self._start_template()  # it builds its replica while the default closure is computed
                if settings.default_reasoning in ENTAILING_MODES:
                    self._replication.reason(settings.default_reasoning, progress, lambda: self._feed(template))
            self._spawn(self.size)
        except BaseException:
            self.close()
            raise

    def evaluate(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> Outcome:
        """Answer ``job`` in a worker within its time limit, else ``KG_QUERY_TIMEOUT`` seconds, counted from when the
        worker starts evaluating it (503 past it); 503 "busy" if no worker is free within ``KG_QUEUE_TIMEOUT``.

        A query past a limit, or using what the endpoint refuses, is answered here and never reaches a worker.
        ``uncommitted`` changes (an update's earlier operations) are replayed on the worker before the job, and the
        worker, whose replica no longer matches the committed data, is stopped afterwards.
        """
        try:
            mode = self._checked_mode(job)
        except QueryError as error:
            return _refusal(error)
        return self._evaluate_checked(job, mode, uncommitted)

    async def evaluate_async(self, job: QueryJob) -> Outcome:
        """:meth:`evaluate` ``job`` without blocking the running event loop.

        When every CPU the workers may use is busy with a job this path sent, and one of those jobs started less
        than :data:`FOLLOW_WITHIN` ago, ``job`` is sent behind it: the worker takes it up as soon as it is done,
        with no process to wake (see :meth:`_follow`).  Otherwise, when an idle worker has nothing to replay, the
        job goes down its pipe and the loop waits for the answer; else (waiting for a worker, a replay or a
        closure) one of the pool's waiting threads evaluates it.
        """
        try:
            mode = self._checked_mode(job)
        except QueryError as error:
            return _refusal(error)
        loop = asyncio.get_running_loop()
        if not self._replication.needs_closure(mode):
            leader = self._leader()
            if leader is not None:
                outcome = await self._follow(loop, leader, job)
                if outcome is not None:
                    return outcome
            while (worker := self._idle_caught_up()) is not None:
                self._leading.add(worker)
                worker.started = time.monotonic()
                try:
                    send(worker.connection, ("job", job))
                except OSError:  # nothing reads its pipe: it died while idle; the job goes to another
                    self._leading.discard(worker)
                    await loop.run_in_executor(None, self._retire, worker, "had died while idle", True)
                    continue
                return await self._answer(loop, worker, job)
        return await loop.run_in_executor(self._waiters, self._evaluate_checked, job, mode, None, time.monotonic())

    def _leader(self) -> WorkerHandle | None:
        """A worker to send a job behind: when as many workers as they have CPUs evaluate jobs of this path, the one
        whose job started last, if less than :data:`FOLLOW_WITHIN` ago, with no job behind it and nothing to replay."""
        if len(self._leading) < self._worker_cpus:
            return None
        now = time.monotonic()
        best = None
        for worker in self._leading:
            if (not worker.queued and not worker.demoted and not worker.pending and now - worker.started < FOLLOW_WITHIN
                    and (best is None or worker.started > best.started)):
                best = worker
        return best

    async def _follow(self, loop: asyncio.AbstractEventLoop, leader: WorkerHandle, job: QueryJob) -> Outcome | None:
        """Send ``job`` to ``leader`` behind its current job and wait for the answer; None if that job ran past
        :data:`DEMOTE_AFTER` (or ``leader`` died): ``job`` must then go to another worker.

        Waking a worker costs a virtual machine's CPUs about as much as a light query, and a worker that finds its
        next job in its pipe is not put to sleep: sending jobs two at a time to one worker cut its CPU per light
        job by a fifth, and the sender's by two fifths, against one at a time (on this project's 2-CPU machine).
        """
        follower = Follower(job, loop.create_future())
        leader.follower = follower
        try:
            send(leader.connection, ("job", job))
        except OSError:  # the leader died: its own caller finds out
            leader.follower = None
            return None
        try:
            if not await follower.turn:
                return None
        except BaseException:  # cancelled: the job is in the pipe, its answer is dropped (or, if our turn had come, the
            if leader.follower is follower:  # worker is ours and cannot be given another job)
                leader.follower, leader.orphan = None, job
            elif follower.turn.done() and not follower.turn.cancelled() and follower.turn.result():
                self._abandon(leader)
            raise
        return await self._answer(loop, leader, job)

    async def _answer(self, loop: asyncio.AbstractEventLoop, worker: WorkerHandle, job: QueryJob) -> Outcome:
        """The answer to ``job``, which ``worker`` evaluates now (started by this path), within the job's time limit;
        then the worker goes to the job behind it, if any, or back to the idle ones."""
        timeout = self._time_limit(job)
        demote_at = min(DEMOTE_AFTER, timeout)
        connection = worker.connection
        readable_soon = _Readable(loop, connection)
        try:
            answered = await readable_soon.within(demote_at)
            if not answered:  # a long query: the job behind it goes elsewhere, and its worker yields the CPU
                self._turn_away(worker)
                demote(worker)
                answered = await readable_soon.within(timeout - demote_at)
            readable_soon.stop()
            # Killing a worker talks to the template: in the loop's own executor, never queued behind the waiting
            # threads, which may all be waiting for the very worker this kill frees.
            if not answered:
                self._leading.discard(worker)
                return await loop.run_in_executor(None, self._stopped_at_limit, worker, job)
            outcome: Outcome = receive(connection, exact=worker.queued)
        except (EOFError, OSError):
            self._turn_away(worker)
            self._leading.discard(worker)
            return await loop.run_in_executor(None, self._crashed, worker)
        except BaseException:  # cancelled while the worker evaluates: it cannot be given another job
            readable_soon.stop()
            self._turn_away(worker)
            self._abandon(worker)
            raise
        self._hand_on(loop, worker)
        return outcome

    def _turn_away(self, worker: WorkerHandle) -> None:
        """Send the caller of the job behind ``worker``'s current one elsewhere; that job's answer will be dropped."""
        follower = worker.follower
        if follower is not None:
            worker.follower, worker.orphan = None, follower.job
            follower.turn.set_result(False)

    def _hand_on(self, loop: asyncio.AbstractEventLoop, worker: WorkerHandle) -> None:
        """``worker`` has answered its current job: give it to the job behind, drop that job's answer, or release it."""
        follower = worker.follower
        if follower is not None:
            worker.follower = None
            worker.started = time.monotonic()
            follower.turn.set_result(True)
        elif worker.orphan is not None:
            task = loop.create_task(self._drop_orphan(loop, worker))
            self._dropping.add(task)
            task.add_done_callback(self._dropping.discard)
        else:
            self._leading.discard(worker)
            self._after_answer(worker, tentative=False)

    async def _drop_orphan(self, loop: asyncio.AbstractEventLoop, worker: WorkerHandle) -> None:
        """Read and drop the answer to ``worker``'s orphan job, then give the worker back; kill it past that job's
        time limit, or if it died."""
        readable_soon = _Readable(loop, worker.connection)
        try:
            answered = await readable_soon.within(self._time_limit(worker.orphan))
            readable_soon.stop()
            if answered:
                worker.connection.recv_bytes()
        except (EOFError, OSError):
            answered = False
        except BaseException:  # the loop is closing: the worker cannot be given another job
            readable_soon.stop()
            self._abandon(worker)
            raise
        worker.orphan = None
        self._leading.discard(worker)
        if answered:
            self._after_answer(worker, tentative=False)
        else:
            await loop.run_in_executor(None, self._retire, worker,
                                       "did not answer a query that went to another worker (past its time limit, or died)")

    def _abandon(self, worker: WorkerHandle) -> None:
        """Retire ``worker``, whose caller was cancelled while it evaluated (from a thread: it talks to the template)."""
        self._leading.discard(worker)
        threading.Thread(target=self._retire, args=(worker, "was abandoned with a query in flight"), daemon=True).start()

    def _checked_mode(self, job: QueryJob) -> str:
        """The entailment mode ``job`` asks for, once the query is within the endpoint's limits (else ``QueryError``)."""
        check_query(job.text, self._settings)
        return self._graph.check_mode(job.reasoning)

    def _time_limit(self, job: QueryJob) -> float:
        return self._settings.query_timeout if job.time_limit is None else job.time_limit

    def _evaluate_checked(self, job: QueryJob, mode: str, uncommitted: StoreDelta | None,
                          queued_at: float | None = None) -> Outcome:
        """:meth:`evaluate` the checked ``job`` of entailment ``mode`` (waiting since ``queued_at``, if given: the
        time it waited for this thread counts in ``KG_QUEUE_TIMEOUT``)."""
        timeout = self._time_limit(job)
        queue_timeout = self._settings.queue_timeout
        if self._replication.needs_closure(mode):  # computed once, the first time a query asks for it
            self._replication.reason(mode)
        waited = 0.0 if queued_at is None else time.monotonic() - queued_at
        worker = self._acquire(max(0.0, queue_timeout - waited))
        if worker is None:
            return self._busy(queue_timeout)
        with self._lock:
            pending, worker.pending = worker.pending, []
        tentative = uncommitted if uncommitted is not None and (uncommitted.removed or uncommitted.added) else None
        if tentative is not None:
            pending.append(Change(tentative.generation, worker_module.encode_quads(tentative.removed),
                                  worker_module.encode_quads(tentative.added)))
        try:
            if not catch_up(worker, pending, queue_timeout):  # not charged to the time limit
                self._retire(worker, f"did not replay committed changes within {queue_timeout:g} s")
                return self._busy(queue_timeout)
            send(worker.connection, ("job", job))
            answered = readable(worker.connection, min(DEMOTE_AFTER, timeout))
            if not answered:
                demote(worker)
                answered = readable(worker.connection, max(0.0, timeout - DEMOTE_AFTER))
            if not answered:
                return self._stopped_at_limit(worker, job)
            outcome: Outcome = receive(worker.connection)
        except (EOFError, OSError):
            return self._crashed(worker)
        self._after_answer(worker, tentative is not None)
        return outcome

    def _stopped_at_limit(self, worker: WorkerHandle, job: QueryJob) -> Outcome:
        """Kill ``worker``, still evaluating ``job`` at its time limit: the 503 that says so."""
        timeout = self._time_limit(job)
        limit = "KG_QUERY_TIMEOUT" if job.time_limit is None else "the time limit of the caller's role"
        self._retire(worker, f"stopped after the {timeout:g} s time limit")
        return Outcome(UNAVAILABLE, message=f"the query ran past the {timeout:g} s time limit ({limit}) and was stopped")

    def _crashed(self, worker: WorkerHandle) -> Outcome:
        """Collect ``worker``, which died evaluating a query: the answer that says so."""
        code = self._retire(worker, "died while evaluating a query", dead=True)
        return Outcome(BAD_QUERY, message=crash_message(code))

    def _after_answer(self, worker: WorkerHandle, tentative: bool) -> None:
        """Give ``worker`` back to the idle ones, unless it holds ``tentative`` changes or keeps a lowered priority."""
        if tentative:
            self._retire(worker, "holds the uncommitted changes of an update", level=logging.INFO)
        elif worker.demoted and not promote(worker):
            self._retire(worker, "ran a long query and may not be given its normal CPU priority back")
        else:
            self._release(worker)

    def _idle_caught_up(self) -> WorkerHandle | None:
        """An idle worker with no change to replay, taken without waiting, or None (also while evaluations wait for
        a worker: they come first).  Whether it is still alive is known when a job is sent to it: a dead worker's
        pipe has no reader (one system call less per query than asking first)."""
        with self._lock:
            if not self._idle or self._waiting or self._idle[-1].pending:
                return None
            worker = self._idle.pop()
            self._top_up()
            return worker

    def solutions(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> list[Solution]:
        """The rows of the SELECT ``job``, answered by a worker as SPARQL JSON (the bytes cross the pipe anyway)."""
        return solutions_of(self.evaluate(replace(job, solutions_format="json", graph_format=None), uncommitted))

    def _busy(self, waited: float) -> Outcome:  # 503 with Retry-After, as every 503 of the pool
        return Outcome(UNAVAILABLE, message=f"the server is busy: all {self.alive()} query workers stayed busy for "
                       f"{waited:g} s (KG_QUEUE_TIMEOUT; KG_MAX_WORKERS={self.max_size}); try again shortly")

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
        self._waiters.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            self._kill(worker)
        with self._spawn_lock:
            if self._template is not None:
                self._template.process.kill()
                self._template.process.join(5)
                self._template.control.close()
                self._template = None
        self._replication.close()  # after the workers: none still writes in its checkpoint folder

    def _acquire(self, timeout: float) -> WorkerHandle | None:
        """An idle worker (the pool grows while evaluations wait, up to its maximum), or None after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._waiting += 1
            try:
                while True:
                    while self._idle:
                        worker = self._idle.pop()
                        if worker.is_alive():
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
            or len(self._idle) + self._starting < SPARE_WORKERS + self._waiting and self._memory_allows_more()
        ):
            self._starting += 1
            threading.Thread(target=self._grow, daemon=True).start()

    def _memory_allows_more(self) -> bool:
        """False (logged, at most once a minute) while ``MemAvailable`` is below ``KG_MIN_FREE_MEMORY_MB``."""
        available = available_memory_mb()
        if available is None or available >= self._settings.min_free_memory_mb:
            return True
        if time.monotonic() >= self._memory_warned + 60:
            self._memory_warned = time.monotonic()
            logger.warning("not starting more query workers: %.0f MB available, below KG_MIN_FREE_MEMORY_MB=%d",
                           available, self._settings.min_free_memory_mb)
        return False

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

    def _release(self, worker: WorkerHandle) -> None:
        now = time.monotonic()
        surplus: list[WorkerHandle] = []
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
            self._kill(idle)

    def _retire(self, worker: WorkerHandle, reason: str, dead: bool = False, level: int = logging.WARNING) -> int | None:
        """Kill ``worker`` now (the pool starts another in the background if it needs one).

        With ``dead`` (it died on its own), wait for it and return its exit code.
        """
        logger.log(level, "query worker %d %s; %s", worker.pid, reason, "collected" if dead else "killed")
        with self._lock:
            self._workers.discard(worker)
            self._top_up()
        return self._kill(worker, wait=dead)

    def _kill(self, worker: WorkerHandle, wait: bool = False) -> int | None:
        """SIGKILL ``worker`` and have its template reap it; with ``wait``, its exit code (None if unknown).

        The template reaps its workers only when told, so a worker's pid cannot be reused before it is killed here.
        A worker with a checkpoint folder is always waited for, so that it has stopped writing there when the folder
        is removed.
        """
        wait = wait or worker.source is not None
        worker.connection.close()
        try:
            with self._spawn_lock:
                template = worker.template
                if template is not self._template:  # its template died: the worker was stopped by PR_SET_PDEATHSIG
                    return None
                try:
                    os.kill(worker.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    template.control.send(("reap", worker.pid, wait))
                    return template.control.recv()[1] if wait else None
                except (EOFError, OSError):
                    self._drop_template()
                    return None
        finally:
            _remove(worker.source)

    def _deliver(self, change: Change) -> None:
        """Queue a change for the template (its replica, or the workers it is starting) and every worker (the lock
        held)."""
        if self._template is not None and (self._spawning or not self._replication.per_worker):
            self._template.pending.append(change)
        for worker in self._workers:
            worker.pending.append(change)

    def _spawn(self, count: int) -> None:
        """Fork ``count`` workers from the template (started first if need be) and put them to work."""
        started: list[WorkerHandle] = []
        per_worker = self._replication.per_worker
        with self._spawn_lock:
            if self._closed:
                return
            template = self._template or self._start_template()
            try:
                with self._lock:
                    self._spawning = True  # from here on, changes are kept for the workers being started
                    if per_worker:
                        template.pending = []
                if not per_worker:
                    self._feed(template)
                    self._replication.trim()  # keeps the log of changes for a future template short
                for _ in range(count):
                    checkpoint = self._replication.checkpoint() if per_worker else None
                    ours_read, ours_write, theirs_read, theirs_write = Channel.pipes()
                    ours = Channel(ours_read, ours_write)
                    try:
                        try:
                            template.control.send(("fork", checkpoint))
                            send_handle(template.control, theirs_read, template.pid)
                            send_handle(template.control, theirs_write, template.pid)
                        finally:  # the worker's ends: only the worker may hold them, or its death would go unseen
                            os.close(theirs_read)
                            os.close(theirs_write)
                        reply = template.control.recv() if template.control.poll(STARTUP_TIMEOUT) else None
                        if not reply:
                            raise PoolError(f"the worker template {template.pid} did not fork a worker")
                    except BaseException:
                        ours.close()
                        _remove(checkpoint)
                        raise
                    started.append(WorkerHandle(reply[1], ours, template, source=checkpoint))
            except (EOFError, OSError, PoolError, StoreError) as error:
                self._drop_template()
                for worker in started:
                    worker.connection.close()  # no template to reap them: PR_SET_PDEATHSIG stopped them
                    _remove(worker.source)
                with self._lock:
                    self._spawning = False
                raise PoolError(f"could not start a query worker: {error}") from None
            with self._lock:
                self._spawning = False
                if self._closed:
                    for worker in started:
                        worker.connection.close()
                    return
                for worker in started:
                    # the changes published since the template's state, or since the worker's checkpoint
                    worker.pending = [change for change in template.pending
                                      if worker.source is None or worker.source.lacks(change)]
                    worker.idle_since = time.monotonic()
                    self._workers.add(worker)
                    self._idle.append(worker)
                if per_worker:
                    template.pending = []
                self._lock.notify_all()
        for worker in started:
            logger.info("query worker %d ready", worker.pid)

    def _feed(self, template: Template) -> None:
        """Send ``template`` the changes queued for it (spawn lock held; its replica replays them in order)."""
        with self._lock:
            pending, template.pending = template.pending, []
        for change in pending:
            template.control.send(change.message())

    def _start_template(self) -> Template:
        """Start the template and wait until it has started (spawn lock held): forked from this process where it
        can share the in-memory dataset, else from the forkserver, on a snapshot or (on-disk store) holding no data."""
        if self._replication.forkable():
            with self._graph.serialized():  # no change between the fork and the template's registration
                template = start_template(multiprocessing.get_context("fork"), self._settings,
                                          self._replication.inherited(), STARTUP_TIMEOUT)
                with self._lock:  # from here on, _publish queues every change for it
                    self._template = template
            how = "forked from this process"
        elif self._replication.per_worker:
            template = start_template(self._context, self._settings, None, STARTUP_TIMEOUT)
            with self._lock:
                self._template = template
            how = "its workers open checkpoints of the store"
        else:
            snapshot = self._replication.fresh_snapshot()
            template = start_template(self._context, self._settings,
                                      functools.partial(worker_module.load_snapshot, self._settings, snapshot),
                                      STARTUP_TIMEOUT)
            with self._lock:
                template.pending = self._replication.since(snapshot)
                self._template = template
            how = f"loading {snapshot.path.name}"
        if self._cpus is not None:
            pin(template.pid, self._cpus)
        logger.info("query worker template %d started (%s)", template.pid, how)
        return template

    def _drop_template(self) -> None:
        """Forget a template that failed (spawn lock held); the next spawn starts a new one."""
        if self._template is not None:
            logger.error("query worker template %d failed; it will be restarted", self._template.pid)
            self._template.process.kill()
            self._template.process.join(5)
            self._template.control.close()
            self._template = None


def _refusal(error: QueryError) -> Outcome:
    return Outcome(error.status, message=error.message, line=error.line, column=error.column)


class _Readable:
    """Waits on ``loop`` until ``connection`` has data (or is closed), over several deadlines, watched from the first
    wait to the end of :meth:`stop` (once readable, it stays so until read: the watch ends there)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, connection: Channel) -> None:
        self._loop = loop
        self._fd = connection.fileno()
        self._ready = False
        self._waiter: asyncio.Future[None] | None = None
        loop.add_reader(self._fd, self._readable)

    def _readable(self) -> None:
        self._ready = True
        self._loop.remove_reader(self._fd)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def within(self, seconds: float) -> bool:
        """True once the connection is readable, if it becomes so within ``seconds``."""
        if not self._ready and seconds > 0:
            self._waiter = self._loop.create_future()
            timer = self._loop.call_later(seconds, _settle, self._waiter)
            try:
                await self._waiter
            finally:
                timer.cancel()
                self._waiter = None
        return self._ready

    def stop(self) -> None:
        """Stop watching (nothing to do once readable)."""
        if not self._ready:
            self._loop.remove_reader(self._fd)


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _remove(checkpoint: Snapshot | None) -> None:
    """Remove a worker's checkpoint folder, if it had one (its process may still hold the files: Linux keeps them)."""
    if checkpoint is not None:
        shutil.rmtree(checkpoint.path, ignore_errors=True)
