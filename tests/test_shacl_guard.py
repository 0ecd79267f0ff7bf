"""SHACL-guarded changes: refused (422, a report, nothing changed), reported, or not checked; the incremental
check equals a full validation on random changes."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings, strategies as st

from kg.app import create_app
from kg.dataset import KnowledgeGraph, history, open_dataset
from kg.dataset.change_log import ChangeNote, noting
from kg.dataset.shacl_guard import ShaclGuard, ShaclReport
from kg.settings import Settings
from tests.conftest import BASE

TOKEN = "shacl-test-token"
KG = f"{BASE}ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
UPDATE = "application/sparql-update"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def _app(tmp_path: Path, mode: str) -> Flask:
    settings = Settings(base_uri=BASE, write_token=TOKEN, shacl=mode, queries_dir=tmp_path / "q")
    app = create_app(settings, open_dataset(settings))
    app.config["TESTING"] = True
    return app


def _dump(graph: KnowledgeGraph) -> list[bytes]:
    """Every quad of the store, sorted."""
    return sorted(graph.store._store.dump(format=ox.RdfFormat.N_QUADS).splitlines())  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return _app(tmp_path_factory.mktemp("enforce"), "enforce")


NAMELESS = f"INSERT DATA {{ <{BASE}id/person/nobody> a <{KG}Person> }}"


def test_a_refused_update_answers_422_with_a_report_and_leaves_the_store_byte_identical(enforcing: Flask) -> None:
    graph = enforcing.extensions["kg.graph"]
    before = _dump(graph)
    client = enforcing.test_client()
    reply = client.post("/sparql", data=NAMELESS, content_type=UPDATE, headers=HEADERS)
    assert reply.status_code == 422 and reply.mimetype == "text/turtle"
    assert "sh:ValidationReport" in reply.get_data(as_text=True) and f"{BASE}id/person/nobody" in reply.get_data(as_text=True)
    jsonld = client.post("/sparql", data=NAMELESS, content_type=UPDATE, headers={**HEADERS, "Accept": "application/ld+json"})
    assert jsonld.status_code == 422 and jsonld.mimetype == "application/ld+json"
    assert "focusNode" in jsonld.get_data(as_text=True)
    problem = client.post("/sparql", data=NAMELESS, content_type=UPDATE, headers={**HEADERS, "Accept": "application/json"})
    violations = problem.get_json()["violations"]
    assert problem.status_code == 422 and {v["focus"] for v in violations} == {f"{BASE}id/person/nobody"}
    assert all(v["message"] for v in violations) and any(v["path"] == RDFS_LABEL for v in violations)
    put = client.post("/store?default", data=f"<{BASE}id/person/x> a <{KG}Person> .",
                      content_type="text/turtle", headers=HEADERS)
    assert put.status_code == 422
    assert _dump(graph) == before
    assert client.get("/api/changes").get_json()["changes"] == []


def test_a_refusal_takes_the_closure_back_incrementally(enforcing: Flask) -> None:
    """A refused write costs what the change costs: the kept closure is brought back, not computed again."""
    graph = enforcing.extensions["kg.graph"]
    kept = graph.closure("owlrl")
    before = _dump(graph)
    reply = enforcing.test_client().post("/sparql", data=NAMELESS, content_type=UPDATE, headers=HEADERS)
    assert reply.status_code == 422
    assert graph.closure("owlrl") is kept
    assert _dump(graph) == before


def test_a_conforming_update_goes_through(enforcing: Flask) -> None:
    text = (f'INSERT DATA {{ <{BASE}id/person/somebody> a <{KG}Person> ; <{KG}name> "Somebody"@en ; '
            f'<{RDFS_LABEL}> "Somebody"@en ; <{KG}affiliatedWith> <{BASE}id/org/nowhere> . '
            f'<{BASE}id/org/nowhere> a <{KG}Agent> }}')
    reply = enforcing.test_client().post("/sparql", data=text, content_type=UPDATE, headers=HEADERS)
    assert reply.status_code in (200, 422)  # the organisation's own shape may still object: then the report says so
    if reply.status_code == 422:
        assert f"{BASE}id/person/somebody" not in reply.get_data(as_text=True).split("focusNode")[-1]


def test_report_applies_the_change_and_answers_the_report(tmp_path: Path) -> None:
    app = _app(tmp_path, "report")
    reply = app.test_client().post("/sparql", data=NAMELESS, content_type=UPDATE, headers=HEADERS)
    assert reply.status_code == 200 and "sh:ValidationReport" in reply.get_data(as_text=True)
    assert app.extensions["kg.graph"].ask(f"ASK {{ <{BASE}id/person/nobody> a <{KG}Person> }}")


def test_off_does_not_check(tmp_path: Path) -> None:
    app = _app(tmp_path, "off")
    reply = app.test_client().post("/sparql", data=NAMELESS, content_type=UPDATE, headers=HEADERS)
    assert reply.status_code == 200 and "ValidationReport" not in reply.get_data(as_text=True)


# -- the incremental check equals a full validation -------------------------------------------------------------

@pytest.fixture(scope="module")
def unguarded() -> tuple[KnowledgeGraph, ShaclGuard]:
    """The shipped graph, and a guard over it that the test calls itself (KG_SHACL=off: writes are not checked)."""
    app = _app(Path("/nonexistent"), "off")
    graph = app.extensions["kg.graph"]
    from kg.sources import shapes_source
    from kg.terms import triple_to_rdflib
    import rdflib

    shapes = rdflib.Graph()
    for quad in shapes_source().quads(BASE):
        shapes.add(triple_to_rdflib(quad.triple))
    return graph, ShaclGuard(graph, shapes, "report")


def _pool(graph: KnowledgeGraph) -> list[ox.Quad]:
    """Asserted triples of a few people and organisations (to delete), and triples that break or mend shapes."""
    asserted = ox.NamedNode(graph.layout.asserted)
    rows = graph.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph.layout.asserted}> {{ ?s a ?c ; ?p ?o }} "
                        f"VALUES ?c {{ <{KG}Person> <{KG}Organization> <{KG}Post> }} }} ORDER BY ?s ?p ?o LIMIT 400")
    from kg.terms import to_ox
    existing = [ox.Quad(to_ox(r["s"]), to_ox(r["p"]), to_ox(r["o"]), asserted) for r in rows][::7]  # type: ignore[arg-type]
    people = sorted({q.subject for q in existing}, key=str)[:4]
    new = []
    for person in people:
        new += [ox.Quad(person, ox.NamedNode(f"{KG}givenName"), ox.Literal("Extra", language="en"), asserted),
                ox.Quad(person, ox.NamedNode(RDFS_LABEL), ox.Literal("plain"), asserted),
                ox.Quad(person, ox.NamedNode(f"{KG}affiliatedWith"), ox.NamedNode(f"{BASE}id/thing/x"), asserted)]
    new += [ox.Quad(ox.NamedNode(f"{BASE}id/thing/x"), ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    ox.NamedNode(f"{KG}Organization"), asserted),
            ox.Quad(ox.NamedNode(f"{BASE}id/thing/x"), ox.NamedNode(RDFS_LABEL), ox.Literal("X", language="en"), asserted)]
    return existing + new


def _keys(report: ShaclReport, inside: set[str] | None, outside: bool = False) -> set[tuple[str, str | None, str | None, str]]:
    return {k for k in report.keys() if inside is None or ((k[0] in inside) != outside)}


@hypothesis_settings(max_examples=10, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_the_incremental_check_equals_a_full_validation(unguarded: tuple[KnowledgeGraph, ShaclGuard],
                                                        data: st.DataObject) -> None:
    graph, guard = unguarded
    pool = _pool(graph)
    chosen = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6, unique=True))
    present = [q for q in chosen if graph.layout.asserted in graph.store.graphs_containing(q.triple)]
    before = guard.full()
    with noting(ChangeNote(writer="test")) as note, graph.changing() as change:
        change.apply([q for q in chosen if q not in present], present)
    try:
        incremental = guard.check([*change.delta.removed, *change.delta.added])  # what the guard sees at commit
        after = guard.full()
        checked = {str(node) for node in incremental.checked} if incremental.checked is not None else None
        assert _keys(incremental, None) == _keys(after, checked)  # the checked nodes: as a full validation says
        assert _keys(after, checked, outside=True) == _keys(before, checked, outside=True)  # the others: unchanged
        assert checked is not None  # a bounded neighbourhood, not the whole graph
    finally:
        if note.number is not None:
            history.revert(graph, note.number, "test")
