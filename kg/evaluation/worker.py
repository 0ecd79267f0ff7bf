"""A query worker process: a replica of the dataset that answers jobs sent over a pipe.

Messages from the pool, in order:

* ``("delta", generation, removed_nquads, added_nquads)`` — replay a committed change;
* ``("job", QueryJob)`` — answer with an :class:`~kg.evaluation.job.Outcome`;
* ``("stop",)`` — exit.

The worker exits when the pool's end of the pipe closes, so it never outlives the server.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterable
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from kg.evaluation.job import INTERNAL, Outcome, run_job
from kg.graph import KnowledgeGraph, StoreDelta
from kg.settings import Settings
from kg.store.oxigraph import OxigraphStore

logger = logging.getLogger("kg.evaluation")


def encode_quads(quads: Iterable[ox.Quad]) -> bytes:
    """``quads`` as N-Quads (blank node labels kept, so replicas stay identical)."""
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


def decode_quads(data: bytes) -> list[ox.Quad]:
    """The quads of an N-Quads document written by :func:`encode_quads`."""
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS)) if data else []


def serve(connection: Connection, settings: Settings, snapshot: Path, reasoned: tuple[str, ...], generation: int) -> None:
    """Load the snapshot, say ``("ready", pid)``, then answer messages until told to stop or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us by closing the pipe.
    store = OxigraphStore.in_memory()
    store.add(ox.parse(path=snapshot, format=ox.RdfFormat.N_QUADS))
    graph = KnowledgeGraph.replica(settings, store, reasoned, generation, merged_default=True)
    connection.send(("ready", os.getpid()))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message[0] == "delta":
            _, new_generation, removed, added = message
            graph.apply_delta(StoreDelta(tuple(decode_quads(removed)), tuple(decode_quads(added)), new_generation))
        elif message[0] == "job":
            try:
                outcome = run_job(graph, message[1], settings.max_result_rows)
            except Exception:  # a defect of ours: keep serving, report it without details
                logger.exception("query worker %d failed on a query", os.getpid())
                outcome = Outcome(INTERNAL, message="internal error while evaluating the query (logged on the server)")
            connection.send(outcome)
        else:
            return
