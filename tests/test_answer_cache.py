"""Kept answers are given again only while the graph is unchanged, and never for a query that may answer otherwise."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kg.dataset import KnowledgeGraph, StoreDelta, open_dataset
from kg.evaluation import InProcessEvaluator
from kg.evaluation import answer_cache
from kg.evaluation.answer_cache import AnswerCache
from kg.evaluation.job import Outcome, QueryJob
from kg.evaluation.update import run_update
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES

EX = "http://example.org/family#"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture
def graph() -> KnowledgeGraph:
    return open_dataset(Settings(base_uri=BASE), [RdfSource(FIXTURES / "family.ttl")])


@pytest.fixture
def cache(graph: KnowledgeGraph) -> AnswerCache:
    return AnswerCache(InProcessEvaluator(graph, graph.settings), graph)


def kept(cache: AnswerCache, job: QueryJob) -> Outcome:
    """The answer of ``job``, evaluated twice so that it is kept."""
    cache.evaluate(job)
    return cache.evaluate(job)


def test_an_answer_is_given_again_until_a_change_is_committed(graph: KnowledgeGraph, cache: AnswerCache) -> None:
    job = QueryJob(COUNT, "none", solutions_format="csv")
    first = kept(cache, job)
    assert first.ok and cache.evaluate(job) is first
    assert cache.evaluate(replace(job, max_rows=5)) is not first  # another caller's limits: another job
    run_update(graph, f"INSERT DATA {{ <{EX}late> <{EX}written> 1 }}")
    after = cache.evaluate(job)  # evaluated before: kept at once
    assert after is not first and after.body != first.body
    assert cache.evaluate(job) is after


def test_an_answer_is_kept_from_the_second_time_its_job_is_evaluated(cache: AnswerCache,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    job = QueryJob(COUNT, "none")
    once = cache.evaluate(job)
    twice = cache.evaluate(job)
    assert once.ok and twice is not once and cache.evaluate(job) is twice
    monkeypatch.setattr(answer_cache, "SEEN_JOBS", 3)
    others = [QueryJob(f"ASK {{ ?s ?p {n} }}", "none") for n in range(4)]
    late = QueryJob(COUNT, "none", solutions_format="tsv")
    cache.evaluate(late)
    for other in others:  # four more jobs: the first evaluation of late is forgotten
        cache.evaluate(other)
    again = cache.evaluate(late)  # as if for the first time: not kept
    kept_now = cache.evaluate(late)
    assert kept_now is not again and cache.evaluate(late) is kept_now


@pytest.mark.parametrize("text", [
    "SELECT (NOW() AS ?t) WHERE {}",
    "SELECT (rand() AS ?r) WHERE {}",
    "SELECT (STRUUID() AS ?u) WHERE {}",
    "CONSTRUCT { [] <http://x/p> ?o } WHERE { ?s ?p ?o } LIMIT 1",
    "CONSTRUCT { _:b <http://x/p> ?o } WHERE { ?s ?p ?o } LIMIT 1",
])
def test_a_query_that_may_answer_otherwise_is_evaluated_every_time(cache: AnswerCache, text: str) -> None:
    job = QueryJob(text, "none")
    second = kept(cache, job)  # were it kept, it would be from here on
    assert second.ok and cache.evaluate(job) is not second


def test_refusals_and_answers_seeing_uncommitted_changes_are_not_kept(graph: KnowledgeGraph, cache: AnswerCache) -> None:
    refused = QueryJob("SELECT * WHERE {", "none")
    assert kept(cache, refused).status == 400 and cache.evaluate(refused) is not cache.evaluate(refused)
    job = QueryJob(COUNT, "none")
    cache.evaluate(job)  # evaluated once: the next answer would be kept
    tentative = cache.evaluate(job, uncommitted=StoreDelta((), (), graph.generation + 1))
    assert tentative.ok and cache.evaluate(job) is not tentative


def test_only_the_most_recently_given_answers_are_kept_within_the_bound(graph: KnowledgeGraph) -> None:
    small = AnswerCache(InProcessEvaluator(graph, graph.settings), graph, max_bytes=16 * 1024)
    jobs = [QueryJob(f"SELECT * WHERE {{ ?s ?p ?o }} OFFSET {n % 10} LIMIT 1 # {n}", "none", solutions_format="csv")
            for n in range(200)]
    first, second = kept(small, jobs[0]), kept(small, jobs[1])
    assert first.ok and small.evaluate(jobs[0]) is first  # now the most recently given
    for job in jobs[2:]:  # far more than the bound holds
        kept(small, job)
        assert small.evaluate(jobs[0]) is first
    assert small.evaluate(jobs[1]) is not second


def test_long_queries_with_short_answers_count_against_the_bound(graph: KnowledgeGraph) -> None:
    small = AnswerCache(InProcessEvaluator(graph, graph.settings), graph, max_bytes=16 * 4096)
    padding = "#" + "x" * 3000 + "\n"
    jobs = [QueryJob(f"{padding}ASK {{ ?s ?p {n} }}", "none") for n in range(40)]  # 4 bytes of answer, 3 KB of text
    first = kept(small, jobs[0])
    assert small.evaluate(jobs[0]) is first
    for job in jobs[1:]:
        kept(small, job)
    assert small.evaluate(jobs[0]) is not first  # 40 texts of 3 KB pass 64 KB: the oldest went


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o }", "SELECT (NOW() AS ?t) {}", "select (rand() as ?r) {}", "SELECT (STRUUID() AS ?u) {}",
    "SELECT ?s WHERE { ?s foaf:knows ?o }", "SELECT * { ?s ?p [] }", "CONSTRUCT { _:b ?p ?o } WHERE { ?s ?p ?o }",
    "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", "SELECT * { ?s <http://x/brand> ?o }", "SELECT ?bnode {}",
])
def test_the_volatility_check_agrees_with_its_expression(text: str) -> None:
    from kg.evaluation.answer_cache import VOLATILE, volatile

    assert volatile(text) == (VOLATILE.search(text) is not None)
