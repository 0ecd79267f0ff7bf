"""Answers written by the engine's own serializers (kg.sparql.engine_writers): the same rows as our capped writers
give, counted exactly, cut at the cap where the format allows it, and handed back to our writers where it does not."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from kg.dataset import KnowledgeGraph
from kg.evaluation.job import QueryJob, run_job
from kg.sparql.engine_writers import json_rows, write_natively, writes_natively
from kg.sparql.formats import format_named, serialize_capped

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Values whose text holds what the row counts look for: line breaks, JSON row openings, XML row elements.
TRICKY = [
    ox.Literal("line\nbreak\ttab\rreturn"),
    ox.Literal('},{"a":{"type":"uri"}},{}'),
    ox.Literal("<result><binding name=\"x\"/></result>"),
    ox.Literal("{}", language="en"),
    ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("ünïcödé 漢字 😀"),
    ox.NamedNode(EX + "a?b=c&d=e,f#x'y"),
    ox.BlankNode("b7"),
    ox.Literal(""),
]
SELECT = f"SELECT ?s ?o ?missing WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}none> ?missing }} }} ORDER BY ?s"
CONSTRUCT = f"CONSTRUCT {{ ?s <{EX}p> ?o }} WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s"
SOLUTION_FORMATS = ["json", "xml", "tsv"]
GRAPH_FORMATS = ["nt", "nquads"]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    data = ox.Store()
    for index in range(60):
        data.add(ox.Quad(ox.NamedNode(f"{EX}s{index:02d}"), ox.NamedNode(EX + "p"), TRICKY[index % len(TRICKY)]))
    return data


def solutions(document: bytes, name: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in ox.parse_query_results(document, format_named(name).engine)]  # type: ignore[arg-type]


def triples(document: bytes, name: str) -> list[ox.Triple]:
    return [quad.triple for quad in ox.parse(document, format_named(name).engine)]  # type: ignore[arg-type]


def read(document: bytes, name: str) -> list[object]:
    """What an answer says: its rows in order, or its triples (as text, sorted: a graph has no order)."""
    if name in GRAPH_FORMATS:
        return sorted(map(str, triples(document, name)))
    return list(solutions(document, name))


@pytest.mark.parametrize("name", SOLUTION_FORMATS + GRAPH_FORMATS)
def test_whole_answers_match_our_writers(store: ox.Store, name: str) -> None:
    fmt = format_named(name)
    query = CONSTRUCT if name in GRAPH_FORMATS else SELECT
    native = write_natively(store.query(query), fmt, 1000)
    ours = serialize_capped(store.query(query), fmt, 1000)
    assert native is not None and not native.truncated
    assert native.rows == ours.rows == 60
    assert read(native.body, name) == read(ours.body, name)


@pytest.mark.parametrize("cap", [0, 1, 7, 59])
@pytest.mark.parametrize("name", ["xml", "tsv"])
def test_line_and_xml_answers_are_cut_at_the_cap(store: ox.Store, name: str, cap: int) -> None:
    native = write_natively(store.query(SELECT), format_named(name), cap)
    ours = serialize_capped(store.query(SELECT), format_named(name), cap)
    assert native is not None and native.truncated and native.rows == cap
    assert solutions(native.body, name) == solutions(ours.body, name)


@pytest.mark.parametrize("cap", [0, 1, 59])
def test_triples_are_cut_at_the_cap(store: ox.Store, cap: int) -> None:
    native = write_natively(store.query(CONSTRUCT), format_named("nt"), cap)
    assert native is not None and native.truncated and native.rows == cap
    assert len(triples(native.body, "nt")) == cap


def test_a_json_answer_past_the_cap_is_left_to_our_writers(store: ox.Store) -> None:
    assert write_natively(store.query(SELECT), format_named("json"), 59) is None
    assert write_natively(store.query(SELECT), format_named("json"), 60) is not None


@pytest.mark.parametrize("name", SOLUTION_FORMATS + GRAPH_FORMATS)
def test_an_answer_past_the_byte_budget_is_left_to_our_writers(store: ox.Store, name: str) -> None:
    query = CONSTRUCT if name in GRAPH_FORMATS else SELECT
    assert write_natively(store.query(query), format_named(name), 1000, budget=512) is None
    assert write_natively(store.query(query), format_named(name), 1000, budget=1 << 20) is not None


@pytest.mark.parametrize("query, rows", [
    ("SELECT * WHERE {}", 1),
    ("SELECT ?x WHERE { VALUES ?x { UNDEF UNDEF } }", 2),
    (f"SELECT ?x WHERE {{ VALUES ?x {{ UNDEF <{EX}a> UNDEF }} }}", 3),
    (f"SELECT ?x WHERE {{ ?x <{EX}none> ?y }}", 0),
    (f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}", 60),
    ("SELECT ?t WHERE { VALUES ?t { <<( <http://a> <http://b> <<( <http://c> <http://d> \"e\" )>> )>> "
     "<<( <http://f> <http://g> \"h\"@en--rtl )>> } }", 2),
])
def test_json_rows_are_counted_exactly(store: ox.Store, query: str, rows: int) -> None:
    body = store.query(query).serialize(format=ox.QueryResultsFormat.JSON)  # type: ignore[union-attr]
    assert json_rows(body) == rows == len(json.loads(body)["results"]["bindings"])


def test_only_formats_with_countable_rows_are_written_by_the_engine() -> None:
    assert [name for name in ("json", "xml", "csv", "tsv", "turtle", "nt", "jsonld", "rdfxml", "trig", "nquads")
            if writes_natively(format_named(name))] == ["json", "xml", "tsv", "nt", "nquads"]


def test_run_job_answers_past_the_cap_with_our_writers(knowledge_graph: KnowledgeGraph) -> None:
    """A JSON answer past the cap is evaluated again and cut by our writer; one within it is the engine's."""
    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 30"
    cut = run_job(knowledge_graph, QueryJob(text, solutions_format="json", max_rows=10), 1000)
    whole = run_job(knowledge_graph, QueryJob(text, solutions_format="json", max_rows=30), 1000)
    assert cut.ok and cut.truncated and cut.rows == 10
    assert len(json.loads(cut.body)["results"]["bindings"]) == 10
    assert whole.ok and not whole.truncated and whole.rows == 30
    assert len(json.loads(whole.body)["results"]["bindings"]) == 30
