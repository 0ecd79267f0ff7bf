"""Query workers over an on-disk store (``oxigraph:PATH``) open checkpoints of it: the store's data files hard-linked,
nothing copied or written out at start-up; each worker replays the changes committed after its checkpoint, and its
folder goes with it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.dataset import KnowledgeGraph, StoreDelta, open_dataset
from kg.evaluation.job import QueryJob
from kg.evaluation.pool import WorkerPool
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import FIXTURES

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"
NEW = ox.Quad(ox.NamedNode("http://example.org/newcomer"), ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
              ox.NamedNode("http://example.org/family#Person"), ox.DefaultGraph())


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def pool(store: Path) -> Iterator[tuple[WorkerPool, KnowledgeGraph]]:
    settings = Settings(store=f"oxigraph:{store}", workers=2, max_workers=2, query_timeout=0.5)
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    workers = WorkerPool(graph, settings)
    try:
        yield workers, graph
    finally:
        workers.close()
        graph.close()


def folders(store: Path) -> list[Path]:
    """The checkpoint folders of the running workers."""
    return sorted(store.glob("kg-workers-*/worker-*"))


def count(pool: WorkerPool, mode: str = "owlrl") -> int:
    outcome = pool.evaluate(QueryJob(COUNT, mode))
    assert outcome.ok, outcome.message
    return int(json.loads(outcome.body)["results"]["bindings"][0]["n"]["value"])


def test_each_worker_opens_a_checkpoint_sharing_the_stores_files(pool: tuple[WorkerPool, KnowledgeGraph],
                                                                 store: Path) -> None:
    workers, graph = pool
    assert count(workers) == int(graph.select(COUNT)[0]["n"])
    checkpoints = folders(store)
    assert len(checkpoints) == workers.alive() == 2
    inodes = {path.stat().st_ino for path in store.glob("*.sst")}
    for checkpoint in checkpoints:
        tables = list(checkpoint.glob("*.sst"))
        assert tables and all(table.stat().st_nlink >= 2 for table in tables)  # hard links, not copies
        assert {table.stat().st_ino for table in tables} <= inodes
    assert not list(store.glob("kg-workers-*/*.nq"))  # no snapshot written
    workers.close()
    assert not list(store.glob("kg-workers-*"))


def test_changes_reach_the_workers_running_and_the_ones_started_after(pool: tuple[WorkerPool, KnowledgeGraph],
                                                                      store: Path) -> None:
    workers, graph = pool
    before = count(workers)
    graph.apply_changes([NEW], [])
    assert {count(workers) for _ in range(6)} == {before + 2}  # the triple and its class's superclass, in each worker
    stopped = workers.evaluate(QueryJob(EXPLOSIVE))
    assert stopped.status == 503  # its worker killed and replaced from a new checkpoint, which has the change
    assert {count(workers) for _ in range(6)} == {before + 2}
    graph.apply_changes([], [NEW])
    assert {count(workers) for _ in range(6)} == {before}
    assert len(folders(store)) == workers.alive()  # the killed worker's folder went with it


def test_a_closure_first_asked_for_reaches_workers_on_checkpoints(pool: tuple[WorkerPool, KnowledgeGraph]) -> None:
    workers, graph = pool
    expected = int(graph.select(COUNT, "rdfs")[0]["n"])
    assert {count(workers, "rdfs") for _ in range(4)} == {expected}


def test_an_updates_uncommitted_changes_stay_in_the_worker_that_saw_them(pool: tuple[WorkerPool, KnowledgeGraph],
                                                                        store: Path) -> None:
    workers, graph = pool
    before = count(workers)
    stored = ox.Quad(NEW.subject, NEW.predicate, NEW.object, ox.NamedNode(graph.layout.asserted))
    tentative = StoreDelta((), (stored,), graph.generation + 1)
    seen = workers.solutions(QueryJob(COUNT), tentative)
    assert int(seen[0]["n"].value) == before + 1  # replayed, not reasoned: a tentative change is not committed
    assert {count(workers) for _ in range(6)} == {before}
    assert len(folders(store)) == workers.alive()
