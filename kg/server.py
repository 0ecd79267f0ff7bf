"""Running the app under granian (a Rust HTTP server), embedded in this process, through :class:`~kg.rsgi.RsgiFront`.

This process holds the authoritative graph (loaded, and reasoned in the default mode; other modes when a
query first asks for them) and applies updates; queries go to the worker pool (:mod:`kg.evaluation.pool`),
started here, before the server starts its threads, and stopped when the server exits, unless their answer is
known already (:mod:`kg.evaluation.answer_cache`).  granian calls the front on an asyncio loop that it wakes once per
batch of requests (:mod:`kg.event_loop`); the log is written in batches too (:mod:`kg.log_stream`).  With
``KG_SPLIT_CPUS`` (the default) and two CPUs or more, the workers run on every CPU but the first, which is left to
this process.  SIGTERM or SIGINT stops the server: it stops accepting, answers the requests in flight, then the
workers are stopped.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable

from flask import Flask
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server.embed import Server

from kg.app import create_app
from kg.evaluation import Evaluator, InProcessEvaluator
from kg.event_loop import CoalescingLoop
from kg.evaluation.answer_cache import AnswerCache
from kg.evaluation.pool import WorkerPool
from kg.evaluation.processes import cpus_for_workers
from kg.evaluation.worker import bound_heap_fragmentation
from kg.dataset import KnowledgeGraph
from kg.reasoning import ENTAILING_MODES
from kg.rsgi import RsgiFront
from kg.settings import Settings
from kg.store import StoreUnavailable

Echo = Callable[[str], None]

#: Seconds a client has to send the head of a request (its line and headers), from its connection or previous answer.
HEAD_SECONDS = 10.0
#: What granian's logging set-up is given: change levels only (``incremental``).  By default it calls
#: ``logging.config.dictConfig``, which closes the handlers this process logs through.
_LEAVE_LOGGING_ALONE = {"version": 1, "incremental": True, "formatters": {}, "handlers": {}, "loggers": {}}
#: Seconds the requests in flight have to finish once the server is told to stop.
GRACEFUL_SECONDS = 30.0


class ServeError(RuntimeError):
    """The server cannot start: the message says why."""


def serve(settings: Settings, open_graph: Callable[[Echo], KnowledgeGraph], echo: Echo) -> None:
    """Load (``open_graph``) and reason the graph, start the query workers and serve until stopped.

    Raises :class:`ServeError` at once if the address cannot be listened on.
    """
    address = listening_address(settings.host, settings.port)
    worker_cpus = cpus_for_workers() if settings.split_cpus else None
    bound_heap_fragmentation()
    pools: list[WorkerPool] = []

    graphs: list[KnowledgeGraph] = []

    def prepare() -> tuple[KnowledgeGraph, list[str]]:
        started = time.perf_counter()
        graph = open_graph(echo)
        timings = [f"loading {time.perf_counter() - started:.2f} s"]
        mode = settings.default_reasoning
        if mode in ENTAILING_MODES and not graph.store.evaluates_in_process:  # else: while the workers start
            before = time.perf_counter()
            graph.ensure_reasoned(mode, echo)
            timings.append(f"reasoning ({mode}) {time.perf_counter() - before:.2f} s")
        return graph, timings

    def build() -> tuple[Flask, Evaluator]:
        started = time.perf_counter()
        graph, timings = _when_store_answers(prepare, echo)
        graphs.append(graph)
        restoring = None
        if graph.store.directory is not None:  # the reasoner's saved state, read while the workers start
            restoring = threading.Thread(target=graph.restore_closures, name="kg-reasoner-state", daemon=True)
            restoring.start()
        evaluator: Evaluator
        if graph.store.evaluates_in_process:
            before = time.perf_counter()
            # another mode's closure is computed when a query first asks for it
            pool = WorkerPool(graph, settings, echo, cpus=worker_cpus)
            pools.append(pool)
            timings.append(f"reasoning ({settings.default_reasoning}) and {pool.size} query "
                           f"worker{'s' if pool.size != 1 else ''} {time.perf_counter() - before:.2f} s")
            evaluator = AnswerCache(pool, graph)  # the data changes only through this process: it knows when
        else:  # the remote server evaluates; its HTTP time-out stops a query past KG_QUERY_TIMEOUT
            evaluator = InProcessEvaluator(graph, settings)
            timings.append(f"queries evaluated by {graph.store.describe()}")
        app = create_app(settings, graph, evaluator=evaluator)
        if restoring is not None:  # so that the first write costs what any write costs
            before = time.perf_counter()
            restoring.join()
            timings.append(f"then the reasoner's state {time.perf_counter() - before:.2f} s")
        echo(f"ready in {time.perf_counter() - started:.2f} s ({', '.join(timings)})")
        echo(f"listening on http://{settings.host}:{settings.port}{settings.base_path}sparql")
        return app, evaluator

    front = None
    try:
        app, evaluator = build()
        front = RsgiFront(app, settings, evaluator)
        with asyncio.Runner(loop_factory=CoalescingLoop) as runner:
            runner.run(_run(front, settings, address))
    finally:
        if front is not None:
            front.close()
        for pool in pools:
            pool.close()
        for graph in graphs:
            graph.close()


async def _run(front: RsgiFront, settings: Settings, address: str) -> None:
    """Serve ``front`` on ``address`` and the settings' port until SIGTERM or SIGINT."""
    logging.getLogger("_granian").setLevel(logging.WARNING)  # granian's "experimental" notice and start-up lines
    logging.getLogger("granian").setLevel(logging.ERROR)
    server = Server(front, address=address, port=settings.port, interface=Interfaces.RSGI, http=HTTPModes.auto,
                    websockets=False, backlog=1024, backpressure=max(128, settings.threads * 4),
                    http1_settings=HTTP1Settings(header_read_timeout=int(HEAD_SECONDS * 1000)),
                    log_enabled=False, log_dictconfig=_LEAVE_LOGGING_ALONE)
    server.workers_kill_timeout = GRACEFUL_SECONDS
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, server.stop)
    await server.serve()


def listening_address(host: str, port: int) -> str:
    """The IP address to listen on for ``host`` (a name resolved, ``[::1]`` unbracketed), once it is known that
    nothing listens on ``port`` there: granian binds with ``SO_REUSEPORT``, so a second server would silently
    share the port with the first instead of failing."""
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        family, kind, _, _, where = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise ServeError(f"cannot listen on {host}: {error.strerror}") from None
    with socket.socket(family, kind) as probe:
        try:
            probe.bind(where)
        except OSError as error:
            raise ServeError(f"cannot listen on {host} port {port}: {error.strerror}"
                             f"{' (another server is running there?)' if error.errno == 98 else ''}") from None
    return str(where[0])


def _when_store_answers(prepare: Callable[[], tuple[KnowledgeGraph, list[str]]], echo: Echo) -> tuple[KnowledgeGraph, list[str]]:
    """Run ``prepare``, retrying while a remote store is unreachable (it may be starting too), with a line each time."""
    delay = 1.0
    while True:
        try:
            return prepare()
        except StoreUnavailable as error:
            echo(f"waiting for the store: {error.message} (retrying in {delay:.0f} s)")
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
