"""The worker pool's bounds: the time limit counts evaluation only, waiting for a worker has its own bound
(``KG_QUEUE_TIMEOUT``, answered 503 "busy"), the pool grows only while memory allows, and a mode's closure is
computed when a query first asks for it."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.evaluation import pool as pool_module
from kg.evaluation.job import QueryJob
from kg.evaluation.pool import WorkerPool
from kg.dataset import open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import FIXTURES
from tests.live_server import live_server

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
"""Slow but bounded: four copies of the family data joined (1.3 million rows counted, a fraction of a second)."""
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"
LIGHT = "ASK { ?s ?p ?o }"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def one_worker_pool(**settings: object) -> WorkerPool:
    chosen = Settings(workers=1, max_workers=1, **settings)  # type: ignore[arg-type]
    return WorkerPool(open_dataset(chosen, [RdfSource(FIXTURES / "family.ttl")]), chosen)


def seconds_of(pool: WorkerPool, job: QueryJob) -> float:
    started = time.monotonic()
    assert pool.evaluate(job).ok
    return time.monotonic() - started


def test_a_query_waiting_for_a_worker_is_not_charged_the_time_limit() -> None:
    """One worker, three slow queries queued on it: a light query behind them, whose time limit is the time one slow
    query takes, waits about three times its limit for the worker, and is answered."""
    pool = one_worker_pool(query_timeout=30.0)
    try:
        limit = max(seconds_of(pool, QueryJob(SLOW)) for _ in range(2))
        with ThreadPoolExecutor(3) as threads:
            ahead = []
            for _ in range(3):
                ahead.append(threads.submit(pool.evaluate, QueryJob(SLOW)))
                time.sleep(0.02)  # queued in this order
            started = time.monotonic()
            light = pool.evaluate(QueryJob(LIGHT, time_limit=limit))
            waited = time.monotonic() - started
            slow_outcomes = [future.result() for future in ahead]
        assert light.ok, light.message
        assert waited > limit  # it did wait past its limit
        assert all(outcome.ok for outcome in slow_outcomes), [o.message for o in slow_outcomes]
    finally:
        pool.close()


def test_a_query_that_waits_past_the_queue_timeout_is_told_the_server_is_busy() -> None:
    pool = one_worker_pool(query_timeout=30.0, queue_timeout=0.1)
    try:
        with ThreadPoolExecutor(1) as threads:
            running = threads.submit(pool.evaluate, QueryJob(EXPLOSIVE, time_limit=1.0))
            time.sleep(0.05)
            refused = pool.evaluate(QueryJob(LIGHT))
            assert "time limit" in (running.result().message or "")
        assert refused.status == 503
        assert "busy" in (refused.message or "") and "KG_QUEUE_TIMEOUT" in (refused.message or "")
        assert "time limit" not in (refused.message or "")
        assert pool.evaluate(QueryJob(LIGHT)).ok
    finally:
        pool.close()


def test_the_time_limit_still_stops_a_query_within_a_second() -> None:
    pool = one_worker_pool(query_timeout=0.2)
    try:
        started = time.monotonic()
        stopped = pool.evaluate(QueryJob(EXPLOSIVE))
        elapsed = time.monotonic() - started
        assert stopped.status == 503 and "0.2 s time limit" in (stopped.message or "")
        assert elapsed < 1.2
        assert pool.evaluate(QueryJob(LIGHT)).ok  # a replacement answers
    finally:
        pool.close()


def test_the_pool_grows_no_further_while_memory_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "available_memory_mb", lambda: 100.0)
    settings = Settings(workers=1, max_workers=4, min_free_memory_mb=512)
    pool = WorkerPool(open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")]), settings)
    try:
        with ThreadPoolExecutor(3) as threads:
            outcomes = list(threads.map(pool.evaluate, [QueryJob(SLOW)] * 3))
        assert all(outcome.ok for outcome in outcomes)
        assert pool.alive() == 1
        monkeypatch.setattr(pool_module, "available_memory_mb", lambda: 100_000.0)
        with ThreadPoolExecutor(3) as threads:
            list(threads.map(pool.evaluate, [QueryJob(SLOW)] * 3))
        deadline = time.monotonic() + 30
        while pool.alive() < 3 and time.monotonic() < deadline:  # spares started beyond KG_WORKERS
            time.sleep(0.05)
        assert pool.alive() >= 3
    finally:
        pool.close()


def count_of(outcome_body: bytes) -> int:
    return int(json.loads(outcome_body)["results"]["bindings"][0]["n"]["value"])


def test_a_closure_is_computed_when_a_query_first_asks_for_it_and_reaches_every_replica() -> None:
    settings = Settings(workers=1, max_workers=1, query_timeout=0.3)
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    reference = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    pool = WorkerPool(graph, settings)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    try:
        assert graph.closures.current == {"owlrl"}  # the default mode only, at start
        rdfs = pool.evaluate(QueryJob(count, "rdfs"))
        assert rdfs.ok and "rdfs" in graph.closures.current
        assert count_of(rdfs.body) == int(reference.select(count, "rdfs")[0]["n"])
        triple = ox.Quad(ox.NamedNode("http://example.org/new"), ox.NamedNode(RDF_TYPE),
                         ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#Class"), ox.DefaultGraph())
        graph.apply_changes([triple], [])
        reference.apply_changes([triple], [])
        expected = int(reference.select(count, "rdfs")[0]["n"])
        assert count_of(pool.evaluate(QueryJob(count, "rdfs")).body) == expected
        assert pool.evaluate(QueryJob(EXPLOSIVE)).status == 503  # its worker killed: a new one is forked
        assert count_of(pool.evaluate(QueryJob(count, "rdfs")).body) == expected
    finally:
        pool.close()


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_adding_workers_does_not_copy_the_data(tmp_path: Path, store: str) -> None:
    """The whole server's PSS with 2 and with 8 workers on a generated dataset: the 6 extra workers share the data
    (in memory: their template's pages; on disk: the store's files, through checkpoints)."""
    data = tmp_path / "generated.nt"
    with data.open("w") as out:
        for i in range(150_000):
            out.write(f'<http://example.org/s{i}> <http://example.org/p{i % 50}> "value number {i}" .\n')
    location = "memory" if store == "memory" else f"oxigraph:{tmp_path / 'store'}"
    pss = {}
    for workers in (2, 8):
        env = {"KG_MAX_WORKERS": str(workers), "KG_STORE": location}
        with live_server(tmp_path, data, workers=workers, env=env) as server:
            assert server.worker_count() == workers
            pss[workers], _ = server.pss_mb()
    assert pss[2] > 100  # the dataset (or, on disk, the reasoner's state of it) is there to be copied
    assert (pss[8] - pss[2]) / 6 < 15, pss  # MB per extra worker: its own pages, not the data


# -- evaluate_async: the HTTP front's way, on an event loop --------------------------------------------------------

def test_evaluate_async_answers_as_evaluate_does_and_keeps_the_loop_free() -> None:
    """Light queries answered on the loop match the blocking path's bytes; while an explosive query runs into its
    time limit (503, worker killed), the loop goes on ticking and a light query is answered by another worker."""
    import asyncio

    chosen = Settings(workers=2, max_workers=2)
    pool = WorkerPool(open_dataset(chosen, [RdfSource(FIXTURES / "family.ttl")]), chosen)

    async def scenario() -> tuple[list[bytes], object, object, int]:
        light = [await pool.evaluate_async(QueryJob(f"SELECT ?s WHERE {{ ?s a ?c{i} }} ORDER BY ?s")) for i in range(3)]
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        explosive = asyncio.create_task(pool.evaluate_async(QueryJob(EXPLOSIVE, time_limit=0.5)))
        await asyncio.sleep(0.1)
        other = await pool.evaluate_async(QueryJob(LIGHT))
        stopped = await explosive
        ticker.cancel()
        return [outcome.body for outcome in light], other, stopped, ticks

    try:
        bodies, other, stopped, ticks = asyncio.run(scenario())
        assert bodies == [pool.evaluate(QueryJob(f"SELECT ?s WHERE {{ ?s a ?c{i} }} ORDER BY ?s")).body for i in range(3)]
        assert other.ok and json.loads(other.body)["boolean"] is True  # type: ignore[attr-defined]
        assert stopped.status == 503 and "0.5 s time limit" in (stopped.message or "")  # type: ignore[attr-defined]
        assert ticks >= 20  # the loop was never blocked for long while the query ran
        assert pool.evaluate(QueryJob(LIGHT)).ok
    finally:
        pool.close()


def test_evaluate_async_refuses_before_evaluating_and_waits_in_a_thread_when_every_worker_is_busy() -> None:
    import asyncio

    pool = one_worker_pool(query_timeout=30.0, queue_timeout=0.2)

    async def scenario() -> tuple[object, object, object]:
        refused = await pool.evaluate_async(QueryJob("SELECT * WHERE { ?s ?p }"))
        running = asyncio.create_task(pool.evaluate_async(QueryJob(EXPLOSIVE, time_limit=1.0)))
        await asyncio.sleep(0.05)
        busy = await pool.evaluate_async(QueryJob(LIGHT))  # the only worker is taken: a waiting thread says busy
        return refused, busy, await running

    try:
        refused, busy, stopped = asyncio.run(scenario())
        assert refused.status == 400 and refused.line == 1  # type: ignore[attr-defined]
        assert busy.status == 503 and "busy" in (busy.message or "")  # type: ignore[attr-defined]
        assert stopped.status == 503 and "time limit" in (stopped.message or "")  # type: ignore[attr-defined]
        assert pool.evaluate(QueryJob(LIGHT)).ok
    finally:
        pool.close()


# -- evaluate_async: jobs sent behind another on a worker (one CPU for the workers) --------------------------------

def one_cpu_pool(monkeypatch: pytest.MonkeyPatch, workers: int, **settings: object) -> WorkerPool:
    """A pool whose workers run on one CPU, where a job started less than a second ago may be followed (so that
    the tests do not depend on how fast this machine starts a job)."""
    monkeypatch.setattr(pool_module, "FOLLOW_WITHIN", 1.0)
    chosen = Settings(workers=workers, max_workers=workers, **settings)  # type: ignore[arg-type]
    return WorkerPool(open_dataset(chosen, [RdfSource(FIXTURES / "family.ttl")]), chosen,
                      cpus={min(os.sched_getaffinity(0))})


def numbered(number: int) -> QueryJob:
    return QueryJob(f"SELECT ?n WHERE {{ BIND({number} AS ?n) }}")


def number_in(outcome: object) -> int:
    assert outcome.ok, outcome.message  # type: ignore[attr-defined]
    return int(json.loads(outcome.body)["results"]["bindings"][0]["n"]["value"])  # type: ignore[attr-defined]


def test_a_job_sent_behind_another_is_answered_where_no_worker_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker and no waiting allowed: the second of two simultaneous queries is answered all the same (sent
    behind the first), each with its own answer; a third, with the worker's queue taken, is told the server is busy."""
    import asyncio

    pool = one_cpu_pool(monkeypatch, 1, queue_timeout=0.001)

    async def scenario() -> list[object]:
        return list(await asyncio.gather(*(pool.evaluate_async(numbered(n)) for n in range(3))))

    try:
        first, second, third = asyncio.run(scenario())
        assert (number_in(first), number_in(second)) == (0, 1)
        assert third.status == 503 and "busy" in (third.message or "")  # type: ignore[attr-defined]
        assert [number_in(pool.evaluate(numbered(n))) for n in (7, 8)] == [7, 8]
    finally:
        pool.close()


def test_many_callers_sent_behind_each_other_get_their_own_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    pool = one_cpu_pool(monkeypatch, 2)

    async def scenario() -> list[int]:
        return [number_in(outcome) for outcome in await asyncio.gather(*(pool.evaluate_async(numbered(n))
                                                                        for n in range(60)))]

    try:
        assert asyncio.run(scenario()) == list(range(60))
    finally:
        pool.close()


@pytest.mark.parametrize("head, limit", [(SLOW, None), (EXPLOSIVE, 0.5)])
def test_a_job_behind_a_long_one_goes_to_another_worker(monkeypatch: pytest.MonkeyPatch, head: str,
                                                        limit: float | None) -> None:
    """A light query sent behind a slow one (or one stopped at its time limit) is answered first, by the other
    worker; the first worker's answer to it is dropped, never given to a later caller, and no worker is lost
    to it."""
    import asyncio

    pool = one_cpu_pool(monkeypatch, 2, query_timeout=30.0)

    async def scenario() -> tuple[str, object, object, list[int]]:
        slow = asyncio.create_task(pool.evaluate_async(QueryJob(head, time_limit=limit)))
        light = asyncio.create_task(pool.evaluate_async(numbered(5)))
        done, _ = await asyncio.wait({slow, light}, return_when=asyncio.FIRST_COMPLETED)
        first = "light" if light in done else "slow"
        later = [number_in(await pool.evaluate_async(numbered(n))) for n in (10, 11, 12)]
        outcomes = await light, await slow
        # The first worker now evaluates its copy of the light query (milliseconds), whose answer is dropped: let
        # that happen before the loop ends, which would retire a worker still at it (see the test below).
        await asyncio.sleep(0.5)
        return first, *outcomes, later

    try:
        first, light, slow, later = asyncio.run(scenario())
        assert first == "light"
        assert number_in(light) == 5
        assert slow.ok if limit is None else slow.status == 503  # type: ignore[attr-defined]
        assert later == [10, 11, 12]
        assert pool.alive() == 2
    finally:
        pool.close()


def test_a_job_whose_caller_gives_up_behind_another_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    pool = one_cpu_pool(monkeypatch, 1, query_timeout=30.0)

    async def scenario() -> tuple[object, list[int]]:
        slow = asyncio.create_task(pool.evaluate_async(QueryJob(SLOW)))
        behind = asyncio.create_task(pool.evaluate_async(numbered(3)))
        await asyncio.sleep(0)
        behind.cancel()
        outcome = await slow
        return outcome, [number_in(await pool.evaluate_async(numbered(n))) for n in (20, 21)]

    try:
        slow, later = asyncio.run(scenario())
        assert slow.ok  # type: ignore[attr-defined]
        assert later == [20, 21]
        assert number_in(pool.evaluate(numbered(22))) == 22
    finally:
        pool.close()


def test_a_worker_left_with_an_orphan_answer_when_the_loop_closes_is_retired(monkeypatch: pytest.MonkeyPatch,
                                                                              caplog: pytest.LogCaptureFixture) -> None:
    """An explosive query sent behind a slow one goes to the other worker at 50 ms; the slow one is answered, and its
    worker goes on with its copy of the explosive one, whose answer nobody waits for.  When the loop ends there,
    both workers are killed and replaced: neither is kept out of use for ever."""
    import asyncio
    import logging

    pool = one_cpu_pool(monkeypatch, 2, query_timeout=30.0)

    async def scenario() -> object:
        head = asyncio.create_task(pool.evaluate_async(QueryJob(SLOW)))
        asyncio.create_task(pool.evaluate_async(QueryJob(EXPLOSIVE)))  # left running when the loop ends
        return await head

    try:
        with caplog.at_level(logging.WARNING, logger="kg.evaluation"):
            assert asyncio.run(scenario()).ok  # type: ignore[attr-defined]
            deadline = time.monotonic() + 10
            while pool.alive() < 2 or sum("abandoned" in r.getMessage() for r in caplog.records) < 2:
                assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
                time.sleep(0.05)
        assert [number_in(outcome) for outcome in (pool.evaluate(numbered(6)), pool.evaluate(numbered(7)))] == [6, 7]
    finally:
        pool.close()


def test_a_worker_that_died_while_idle_is_replaced_and_the_query_answered(caplog: pytest.LogCaptureFixture) -> None:
    """On the event-loop path nothing asks an idle worker whether it is alive: the job sent to a dead one finds no
    reader on its pipe, and goes to another worker."""
    import asyncio
    import signal

    pool = one_worker_pool()
    try:
        assert pool.evaluate(QueryJob(LIGHT)).ok
        [dead] = list(pool._idle)
        os.kill(dead.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{dead.pid}/fd/0"):  # its pipes closed
            time.sleep(0.01)
        with caplog.at_level("WARNING", logger="kg.evaluation"):
            outcome = asyncio.run(pool.evaluate_async(QueryJob(LIGHT)))
        assert outcome.ok, outcome.message
        assert f"query worker {dead.pid} had died while idle" in caplog.text
        assert dead not in pool._workers
    finally:
        pool.close()
