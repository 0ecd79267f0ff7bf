"""The processes of the worker pool as the pool holds them, and what can be done to one from outside.

Handles of the template and of each worker, the committed changes they replay, the
snapshot a template starts from, and the operations on a process: is it readable,
alive, demoted to the idle scheduling class or promoted back.
"""

from __future__ import annotations

import asyncio
import gc
import os
import select
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kg.evaluation import worker as worker_module
from kg.evaluation.wire import Channel, Endpoint, receive, send
from kg.settings import Settings
from kg.store.oxigraph import OxigraphStore

#: Name of a pool's snapshot folder (in the temporary directory), followed by the pid of its process.
SNAPSHOT_PREFIX = "kg-workers-"


def readable(connection: Endpoint, timeout: float) -> bool:
    """True once ``connection`` has data (or was closed) within ``timeout`` seconds.

    ``Connection.poll`` builds a selector for every call; one ``poll(2)`` costs less on every query.
    """
    waiter = select.poll()
    waiter.register(connection.fileno(), select.POLLIN)
    return bool(waiter.poll(max(0, int(timeout * 1000))))


def remove_stale_snapshots(parent: Path | None = None) -> None:
    """Remove the snapshot folders (in ``parent``, else the temporary directory) of pools whose process is gone: a
    server killed with SIGKILL leaves its own."""
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{SNAPSHOT_PREFIX}*-*"):
        owner = folder.name[len(SNAPSHOT_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not _running(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class PoolError(RuntimeError):
    """Workers could not be started."""


@dataclass(frozen=True)
class Change:
    """A committed change as the workers replay it: N-Quads of the quads removed and added.

    With ``mode``, the closure of that mode, computed when first asked for: ``added`` is then the N-Triples of its
    closure graph, which replaces the replica's.
    """

    generation: int
    removed: bytes
    added: bytes
    mode: str | None = None

    @property
    def size(self) -> int:
        return len(self.removed) + len(self.added)

    def message(self) -> tuple[str, int, bytes | str, bytes]:
        """What a template or worker is sent to replay it."""
        if self.mode is not None:
            return ("closure", self.generation, self.mode, self.added)
        return ("delta", self.generation, self.removed, self.added)


@dataclass(frozen=True)
class Snapshot:
    """The whole dataset at ``generation``, with the closures of ``reasoned`` modes current: an N-Quads file a new
    template loads, or a checkpoint directory of an on-disk store that a new worker opens as its own."""

    path: Path
    generation: int
    reasoned: tuple[str, ...]

    def lacks(self, change: Change) -> bool:
        """True if a template started from this snapshot must replay ``change``."""
        return change.generation > self.generation or change.mode is not None and change.mode not in self.reasoned


@dataclass(eq=False)
class Template:
    """The process workers are forked from, and the changes it has not replayed yet."""

    process: Any
    control: Connection
    pending: list[Change] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return int(self.process.pid)


@dataclass(eq=False)
class Follower:
    """A job sent to a worker behind the one it is evaluating; ``turn`` says, when the worker has answered that one,
    True (the follower's answer comes next) or, if that one ran long, False (the follower's caller goes elsewhere)."""

    job: Any
    turn: asyncio.Future[bool]


@dataclass(eq=False)
class WorkerHandle:
    """A query worker as the pool sees it: its pid, pipe, template, changes to replay, idle time and priority."""

    pid: int
    connection: Channel
    template: Template
    pending: list[Change] = field(default_factory=list)
    idle_since: float = 0.0
    demoted: bool = False
    source: Snapshot | None = None  # the checkpoint the worker opened as its own store (removed with it), if any
    # What the pool's event-loop path knows of the worker while it evaluates for it (that loop's thread alone
    # reads and writes these): when the current job started, and the one job sent behind it, if any.
    started: float = 0.0
    follower: Follower | None = None
    orphan: Any = None
    """A job sent behind the current one whose caller has gone elsewhere: its answer is read and dropped."""

    @property
    def queued(self) -> bool:
        """Whether a job waits in the worker's pipe behind the current one."""
        return self.follower is not None or self.orphan is not None

    def is_alive(self) -> bool:
        """False once the worker has died (an idle worker's pipe has nothing to read unless it closed)."""
        try:
            return not readable(self.connection, 0)
        except OSError:
            return False


def demote(worker: WorkerHandle) -> None:
    """Let ``worker`` (running a long query) have only the CPU nothing else wants."""
    try:
        os.sched_setscheduler(worker.pid, os.SCHED_IDLE, os.sched_param(0))
        worker.demoted = True
    except OSError:  # gone already, or not allowed: it keeps its priority
        pass

def promote(worker: WorkerHandle) -> bool:
    """Give ``worker`` its normal CPU priority back (False if the system does not allow it)."""
    try:
        os.sched_setscheduler(worker.pid, os.SCHED_OTHER, os.sched_param(0))
    except OSError:
        return False
    worker.demoted = False
    return True


def catch_up(worker: WorkerHandle, changes: list[Change], timeout: float) -> bool:
    """Have ``worker`` replay ``changes`` and wait until it has (False if it took longer than ``timeout`` seconds).

    A worker that died meanwhile makes the pipe readable: the next ``recv`` raises ``EOFError``.
    """
    if not changes:
        return True
    for change in changes:
        send(worker.connection, change.message())
    send(worker.connection, ("sync",))
    if not readable(worker.connection, timeout):
        return False
    receive(worker.connection)
    return True


def available_memory_mb() -> float | None:
    """``MemAvailable`` of ``/proc/meminfo`` in megabytes (None where the system does not say)."""
    try:
        with open("/proc/meminfo", "rb") as meminfo:
            for line in meminfo:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def start_template(context: Any, settings: Settings, open_replica: Callable[[], Any] | None, timeout: float) -> Template:
    """Start a worker template (:func:`kg.evaluation.worker.template`) from ``context``, building its replica with
    ``open_replica`` (None: its workers open checkpoints, it holds no data), and wait until it has started.

    From the ``fork`` context the template shares this process's memory: the objects alive now are moved out of
    the cyclic collector's reach (``gc.freeze``) first, so that neither process's collections write to (and so copy)
    the pages they share.
    """
    ours, theirs = context.Pipe()
    process = context.Process(target=worker_module.template, name="kg-query-worker-template", daemon=True,
                              args=(theirs, settings, open_replica))
    if context.get_start_method() == "fork":
        gc.freeze()
    process.start()
    theirs.close()
    try:
        ready = ours.poll(timeout) and ours.recv()
    except (EOFError, OSError):
        ready = None
    if not ready:
        process.kill()
        ours.close()
        raise PoolError(f"the query worker template {process.pid} did not start (exit code {process.exitcode})")
    return Template(process, ours)


def cpus_for_workers() -> set[int] | None:
    """The CPUs this process may use but the first, which is left to the HTTP process; None if it may use only one."""
    allowed = sorted(os.sched_getaffinity(0))
    return set(allowed[1:]) if len(allowed) >= 2 else None


def pin(pid: int, cpus: set[int]) -> None:
    """Run process ``pid`` (one thread: a worker template) and the processes it forks from now on on ``cpus`` only."""
    try:
        os.sched_setaffinity(pid, cpus)
    except OSError:  # gone meanwhile: the pool finds out and starts another
        pass


def single_threaded() -> bool:
    """True if this process runs one thread (Linux: ``/proc/self/task``): only then may it fork a long-lived child
    that uses the objects it shares, since no other thread can hold one of their locks."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def write_snapshot(store: OxigraphStore, directory: Path, generation: int, reasoned: tuple[str, ...]) -> Snapshot:
    """Every graph of ``store`` as an N-Quads file in ``directory``: what a new template loads."""
    path = directory / f"snapshot-{generation}-{'-'.join(reasoned)}.nq"
    store.dump_nquads(path)
    return Snapshot(path, generation, reasoned)


def crash_message(code: int | None) -> str:
    """What a client is told when the worker evaluating its query died (``code``: its exit status, if known)."""
    how = "died" if code is None else f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
    return (f"the query engine crashed on this query (its worker process {how}) and it was not answered; "
            "a very deeply nested query can do this — simplify it")
