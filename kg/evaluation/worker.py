"""Query worker processes: replicas of the dataset that answer jobs sent over a pipe, forked from a template.

The pool starts one *template* process: forked from the server's process
before it runs threads (the first one, over the in-memory store), else from the
pool's forkserver.  Over the in-memory store, the template builds its replica
once (shared with the server, or loaded from a snapshot), keeps it current with
every committed change, and forks a worker whenever the pool asks: a worker
starts in milliseconds, whatever the size of the dataset, sharing the
template's memory until it changes it.  Over an
on-disk store, the template holds no data: each worker it forks opens a
checkpoint of the store made for it (hard-linked files: one copy of the data on
disk, shared through the page cache), its private store from then on.

Messages from the pool to the template (its control pipe):

* ``("delta", generation, removed_nquads, added_nquads)`` — replay a committed change;
* ``("closure", generation, mode, ntriples)`` — take ``mode``'s closure, computed when first asked for;
* ``("fork", checkpoint)`` followed by a socket handle — fork a worker that serves that socket (on the template's
  replica, or on ``checkpoint``, a :class:`~kg.evaluation.processes.Snapshot`, when not None); answers
  ``("forked", pid)``;
* ``("reap", pid, wait)`` — collect a worker that was killed or died: with ``wait``, now, answering
  ``("reaped", exit code)``; otherwise as soon as it has exited (a killed process may take a moment);
* ``("stop",)`` — exit.

Messages from the pool to a worker:

* ``("delta", ...)`` and ``("closure", ...)`` — as the template;
* ``("sync",)`` — answer ``("synced",)`` (every change sent before it has been replayed);
* ``("job", QueryJob)`` — answer with an :class:`~kg.evaluation.job.Outcome`;
* ``("stop",)`` — exit.

A worker exits when the pool's end of its pipe closes; the template and its
workers are killed by the kernel when their parent dies (``PR_SET_PDEATHSIG``),
so none outlives the server, even one killed with SIGKILL in the middle of a query.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import stat
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle

import pyoxigraph as ox

from kg.evaluation.job import INTERNAL, Outcome, run_job
from kg.evaluation.wire import Channel, receive, send
from kg.dataset import Replica, StoreDelta
from kg.settings import Settings
from kg.store.base import StoreError
from kg.store.oxigraph import OxigraphStore
from kg.store.persistent import open_checkpoint

if TYPE_CHECKING:  # processes imports this module
    from kg.evaluation.processes import Snapshot

logger = logging.getLogger("kg.evaluation")

_PR_SET_PDEATHSIG, _PR_SET_NAME = 1, 15
#: The names (``/proc/PID/comm``) of the template and of a worker, for operators and tests.
TEMPLATE_NAME, WORKER_NAME = "kg-template", "kg-query-worker"
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


def encode_quads(quads: Iterable[ox.Quad]) -> bytes:
    """``quads`` as N-Quads (blank node labels kept, so replicas stay identical)."""
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


def decode_quads(data: bytes) -> list[ox.Quad]:
    """The quads of an N-Quads document written by :func:`encode_quads`."""
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS)) if data else []


def template(control: Connection, settings: Settings, open_replica: Callable[[], Replica] | None) -> None:
    """Say ``("ready", pid)``, build the replica (``open_replica``; None: the workers open their own), then replay
    changes, fork workers and reap them until told to stop.

    The replica is built after the answer, while the server goes on (computing the default mode's closure, which
    follows as a change): fork requests wait in the pipe until it is built.
    """
    _die_with_parent()
    _name_process(TEMPLATE_NAME)
    bound_heap_fragmentation()
    _leave_the_server(control)
    control.send(("ready", os.getpid()))
    graph = open_replica() if open_replica is not None else None
    doomed: set[int] = set()  # killed workers not collected yet
    while True:
        try:
            message = control.recv()
        except (EOFError, OSError):
            return
        for pid in list(doomed):
            if _collect(pid, wait=False) is not None:
                doomed.discard(pid)
        if message[0] in ("delta", "closure"):
            if graph is not None:
                _apply(graph, message)
        elif message[0] == "fork":
            checkpoint = message[1]
            jobs, answers = recv_handle(control), recv_handle(control)
            pid = os.fork()
            if pid == 0:
                try:
                    control.close()
                    _die_with_parent()
                    _name_process(WORKER_NAME)
                    replica = graph if checkpoint is None else _open(settings, checkpoint)
                    if replica is not None:
                        _answer(Channel(jobs, answers), replica, settings)
                finally:
                    os._exit(0)
            os.close(jobs)
            os.close(answers)
            control.send(("forked", pid))
        elif message[0] == "reap":
            _, pid, wait = message
            if wait:
                control.send(("reaped", _collect(pid, wait=True)))
            elif _collect(pid, wait=False) is None:
                doomed.add(pid)
        else:
            return


def load_snapshot(settings: Settings, snapshot: Snapshot) -> Replica:
    """A replica holding ``snapshot``'s N-Quads file, with the merged default graph."""
    store = OxigraphStore.in_memory()
    store.add_nquads(snapshot.path.read_bytes())
    return Replica(settings, store, snapshot.reasoned, snapshot.generation, merged_default=True)


def _leave_the_server(control: Connection) -> None:
    """Drop what a template forked from the server inherits and must not keep: the server's signal handlers and
    its sockets (the listening one: the port must close with the server).  Ctrl-C is for the server; the template
    stops when its pipe closes or its parent dies."""
    for number in (signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH,
                   signal.SIGABRT, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.set_wakeup_fd(-1)
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
        descriptor = int(name)
        try:
            if descriptor > 2 and descriptor != control.fileno() and stat.S_ISSOCK(os.fstat(descriptor).st_mode):
                os.close(descriptor)
        except OSError:  # the listing's own descriptor, closed already
            pass


def _open(settings: Settings, checkpoint: Snapshot) -> Replica | None:
    """A replica over ``checkpoint``, opened as this worker's own store (None, logged, if it cannot be opened)."""
    try:
        store = open_checkpoint(checkpoint.path)
    except StoreError as error:
        logger.error("query worker %d: %s", os.getpid(), error.message)
        return None
    return Replica(settings, store, checkpoint.reasoned, checkpoint.generation)


def _collect(pid: int, wait: bool) -> int | None:
    """Reap worker ``pid``: its exit code (negative: the signal), or None if it has not exited or is unknown."""
    try:
        done, status = os.waitpid(pid, 0 if wait else os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if done else None


def _answer(channel: Channel, graph: Replica, settings: Settings) -> None:
    """A worker's life: replay changes and answer jobs until told to stop or the pipe closes."""
    while True:
        try:
            message = receive(channel, exact=True)
        except (EOFError, OSError):
            return
        if message[0] in ("delta", "closure"):
            _apply(graph, message)
        elif message[0] == "sync":
            send(channel, ("synced",))
        elif message[0] == "job":
            try:
                outcome = run_job(graph, message[1], settings.max_result_rows, checked=True)
            except Exception:  # a defect of ours: keep serving, report it without details
                logger.exception("query worker %d failed on a query", os.getpid())
                outcome = Outcome(INTERNAL, message="internal error while evaluating the query (logged on the server)")
            send(channel, outcome)
        else:
            return


def _apply(graph: Replica, message: tuple[str, int, Any, bytes]) -> None:
    kind, new_generation, removed_or_mode, added = message
    if kind == "closure":
        graph.take_closure(removed_or_mode, added.decode())
    else:
        graph.apply_delta(StoreDelta(tuple(decode_quads(removed_or_mode)), tuple(decode_quads(added)), new_generation))


def bound_heap_fragmentation() -> None:
    """Keep a long-running, many-threaded process from holding on to memory it has freed (glibc only).

    By default glibc gives each thread its own heap arena and, after a large
    block is freed, serves the next large ones from those heaps, which then
    fragment: the HTTP process grew by ~570 MB over 12,000 hostile requests
    (bodies and queries of up to a megabyte).  With two arenas, blocks over
    128 KB mapped apart and returned at once, it grew by ~30 MB.
    """
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
        libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):
        pass


def _name_process(name: str) -> None:
    """Name this process (its ``/proc/PID/comm``, what ``ps`` and ``top`` show; Linux only)."""
    try:
        ctypes.CDLL(None).prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux; elsewhere the closed pipe stops it)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
