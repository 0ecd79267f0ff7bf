"""Running the app under a production WSGI server: gunicorn, one process of ``KG_THREADS`` threads.

That process holds the authoritative graph (loaded, and reasoned in the default mode; other modes when a
query first asks for them) and
applies updates; queries go to the worker pool (:mod:`kg.evaluation.pool`),
started here and stopped when the server exits, unless their answer is known already
(:mod:`kg.evaluation.answer_cache`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from kg.app import create_app
from kg.evaluation import Evaluator, InProcessEvaluator
from kg.evaluation.answer_cache import AnswerCache
from kg.evaluation.pool import WorkerPool
from kg.evaluation.worker import bound_heap_fragmentation
from kg.dataset import KnowledgeGraph
from kg.reasoning import ENTAILING_MODES
from kg.settings import Settings
from kg.store import StoreUnavailable

Echo = Callable[[str], None]


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn configured from our settings, building the app once in its worker."""

    def __init__(self, settings: Settings, build: Callable[[], Flask], on_exit: Callable[[], None]) -> None:
        self._settings = settings
        self._build = build
        self._on_exit = on_exit
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", f"{self._settings.host}:{self._settings.port}")
        # One HTTP process serves every request from the one loaded dataset, with threads.
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "kg.server_worker.PatientThreadWorker")  # gthread, with slow clients cut off
        self.cfg.set("threads", self._settings.threads)
        self.cfg.set("timeout", 0)
        self.cfg.set("graceful_timeout", 30)
        self.cfg.set("accesslog", None)
        self.cfg.set("loglevel", "info")
        # Long queries come in GET URLs (SPARQLWrapper's default): 0 lifts the 4 KB request-line limit to gunicorn's 1 MB.
        self.cfg.set("limit_request_line", 0)
        self.cfg.set("proc_name", "kg-serve")
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 27 opens a control socket at a fixed path
            self.cfg.set("control_socket_disable", True)
        self.cfg.set("worker_exit", lambda _server, _worker: self._on_exit())

    def load(self) -> Flask:
        return self._build()


def serve(settings: Settings, open_graph: Callable[[Echo], KnowledgeGraph], echo: Echo) -> None:
    """Load (``open_graph``) and reason the graph, start the query workers and serve until stopped."""
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

    def build() -> Flask:
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
            pool = WorkerPool(graph, settings, echo)  # another mode's closure is computed when a query asks for it
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
        return app

    def stop_workers(*_args: Any) -> None:
        for pool in pools:
            pool.close()
        for graph in graphs:
            graph.close()

    _Gunicorn(settings, build, stop_workers).run()


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
