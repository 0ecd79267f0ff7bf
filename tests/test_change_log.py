"""The change log: entries for every write route, the API and pages, revert (admin, conflicts), no token kept."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from kg.dataset import KnowledgeGraph, history
from kg.dataset.change_log import ChangeNote, noting
from kg.evaluation.update import run_update
from tests.test_users import FAMILY, LEGACY, TOKENS, bearer, family_graph, make_app
from tests.conftest import BASE
from kg.settings import Settings

UPDATE = "application/sparql-update"


def _update(app: Flask, text: str, token: str) -> int:
    return app.test_client().post("/sparql", data=text, content_type=UPDATE, headers=bearer(token)).status_code


def test_every_write_route_logs_its_writer_request_and_exact_triples(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    assert _update(app, f'INSERT DATA {{ <{FAMILY}x> <{FAMILY}p> "v" }}', TOKENS["writer"]) == 200
    reply = client.put(f"/store?graph={quote(FAMILY)}g", data=f"<{FAMILY}y> <{FAMILY}p> <{FAMILY}z> .",
                       content_type="application/n-triples", headers=bearer(TOKENS["boss"]))
    assert reply.status_code == 201 and reply.headers["X-KG-Change"] == "2"
    assert client.delete(f"/store?graph={quote(FAMILY)}g", headers=bearer(LEGACY)).status_code == 204
    listed = client.get("/api/changes").get_json()["changes"]
    assert [(c["number"], c["writer"], c["operation"], c["added"], c["removed"]) for c in listed] == [
        (3, "KG_WRITE_TOKEN", "graph-store", 0, 1), (2, "boss", "graph-store", 1, 0), (1, "writer", "update", 1, 0)]
    assert listed[2]["request"].startswith("INSERT DATA") and "n-triples" in listed[1]["request"]
    one = client.get("/api/changes/2").get_json()
    assert one["added_quads"] == [{"subject": f"<{FAMILY}y>", "predicate": f"<{FAMILY}p>",
                                   "object": f"<{FAMILY}z>", "graph": f"{FAMILY}g"}]
    assert client.get("/api/changes/99").status_code == 404
    page = client.get("/changes/2").get_data(as_text=True)
    assert "boss" in page and f"+ &lt;{FAMILY}y&gt;" in page
    # queryable as PROV-O, and invisible to GRAPH ?g
    graph = app.extensions["kg.graph"]
    rows = graph.select(f"PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?who WHERE {{ GRAPH <{BASE}graph/changes> "
                        f"{{ ?c a prov:Activity ; prov:wasAssociatedWith/rdfs:label ?who ; prov:startedAtTime ?t }} }}")
    assert sorted(str(r["who"]) for r in rows) == ["KG_WRITE_TOKEN", "boss", "writer"]
    assert f"{BASE}graph/changes" not in {str(r["g"]) for r in graph.select("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")}


def test_a_token_never_appears_in_the_log(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    assert _update(app, f'INSERT DATA {{ <{FAMILY}x> <{FAMILY}p> "v" }}', TOKENS["writer"]) == 200
    client.post("/sparql", data={"update": f'INSERT DATA {{ <{FAMILY}x> <{FAMILY}p> "w" }}'},
                headers=bearer(TOKENS["boss"]))
    client.post("/changes/1/revert", data={"token": TOKENS["boss"], "force": "true"})
    graph = app.extensions["kg.graph"]
    text = graph.store.dump_ntriples(graph.layout.changes) + client.get("/api/changes").get_data(as_text=True)
    assert len(history.entries(graph)) == 3
    for token in (*TOKENS.values(), LEGACY):
        assert token not in text


def test_the_log_graph_cannot_be_written(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert _update(app, f'INSERT DATA {{ GRAPH <{BASE}graph/changes> {{ <{FAMILY}x> <{FAMILY}p> "v" }} }}',
                   TOKENS["writer"]) == 400
    reply = app.test_client().put(f"/store?graph={BASE}graph/changes", data="", content_type="text/turtle",
                                  headers=bearer(TOKENS["writer"]))
    assert reply.status_code == 403
    assert _update(app, f'INSERT DATA {{ <{FAMILY}x> <{FAMILY}p> "v" }}', TOKENS["writer"]) == 200
    assert _update(app, f"DROP GRAPH <{BASE}graph/changes>", TOKENS["writer"]) == 400
    assert _update(app, "CLEAR ALL", TOKENS["writer"]) == 200  # clears the data, not the log
    assert [e.operation for e in history.entries(app.extensions["kg.graph"])] == ["update", "update"]


def test_revert_needs_the_admin_role_and_lists_conflicting_later_changes(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    graph = app.extensions["kg.graph"]
    before = sorted(graph.store.dump_ntriples(graph.layout.asserted).splitlines())
    assert _update(app, f'INSERT DATA {{ <{FAMILY}x> <{FAMILY}p> "v" }}', TOKENS["writer"]) == 200
    assert _update(app, f'DELETE DATA {{ <{FAMILY}x> <{FAMILY}p> "v" }}', TOKENS["writer"]) == 200
    assert client.post("/api/changes/1/revert", headers=bearer(TOKENS["writer"])).status_code == 403
    assert client.post("/api/changes/1/revert").status_code == 401
    conflict = client.post("/api/changes/1/revert", headers=bearer(TOKENS["boss"]))
    assert conflict.status_code == 409 and conflict.get_json()["later_changes"] == [2]
    assert client.post("/api/changes/2/revert", headers=bearer(TOKENS["boss"])).get_json() == {"reverted": 2, "change": 3}
    assert client.post("/api/changes/1/revert?force=true", headers=bearer(TOKENS["boss"])).status_code == 200
    assert sorted(graph.store.dump_ntriples(graph.layout.asserted).splitlines()) == before


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return family_graph(Settings(base_uri=BASE))


TRIPLES = [f'<{FAMILY}{s}> <{FAMILY}{p}> {o} .' for s in ("a", "b") for p in ("hasChild", "q")
           for o in (f"<{FAMILY}c>", '"x"', "_:n")]


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(TRIPLES)), min_size=1, max_size=8),
       st.lists(st.tuples(st.booleans(), st.sampled_from(TRIPLES)), min_size=1, max_size=6))
def test_revert_restores_the_exact_prior_state(graph: KnowledgeGraph, history_ops: list[tuple[bool, str]],
                                               change_ops: list[tuple[bool, str]]) -> None:
    def run(ops: list[tuple[bool, str]]) -> int | None:
        text = " ;\n".join(f"{'INSERT' if add else 'DELETE'} DATA {{ {triple.replace('_:n', f'<{FAMILY}n>')} }}"
                           for add, triple in ops)
        with noting(ChangeNote(writer="test", request=text)) as note:
            run_update(graph, text)
        return note.number

    run(history_ops)
    before = graph.store.dump_ntriples(graph.layout.asserted), graph.store.dump_ntriples(graph.layout.closure("owlrl"))
    number = run(change_ops)
    if number is not None:
        assert history.revert(graph, number, "admin").number == number + 1
    after = graph.store.dump_ntriples(graph.layout.asserted), graph.store.dump_ntriples(graph.layout.closure("owlrl"))
    assert sorted(after[0].splitlines()) == sorted(before[0].splitlines())
    assert sorted(after[1].splitlines()) == sorted(before[1].splitlines())


def test_the_steps_of_a_change_a_killed_process_left_are_undone_on_opening(tmp_path: Path) -> None:
    from kg.dataset import open_dataset
    from kg.sources import RdfSource
    from tests.conftest import FIXTURES

    settings = Settings(base_uri=BASE, store=f"oxigraph:{tmp_path / 'store'}")
    sources = [RdfSource(FIXTURES / "family.ttl")]
    graph = open_dataset(settings, sources)
    before = sorted(graph.store.dump_ntriples(graph.layout.asserted).splitlines())
    journal = graph.change_log.journal()  # two steps written, as a killed process leaves them: never committed
    journal.apply([], [ox.Quad(ox.NamedNode(f"{FAMILY}x"), ox.NamedNode(f"{FAMILY}p"), ox.Literal("v"),
                               ox.NamedNode(graph.layout.asserted))])
    journal.apply([ox.Quad(ox.NamedNode(f"{FAMILY}x"), ox.NamedNode(f"{FAMILY}p"), ox.Literal("v"),
                           ox.NamedNode(graph.layout.asserted))], [])
    journal.apply([], [ox.Quad(ox.NamedNode(f"{FAMILY}y"), ox.NamedNode(f"{FAMILY}p"), ox.BlankNode("b1"),
                               ox.NamedNode(graph.layout.asserted))])
    graph.store.close()
    messages: list[str] = []
    graph = open_dataset(settings, sources, messages.append)
    assert sorted(graph.store.dump_ntriples(graph.layout.asserted).splitlines()) == before
    assert graph.store.dump_ntriples(graph.layout.changes) == ""
    assert any("undid the 3 steps" in message for message in messages), messages
    graph.store.close()


def test_kg_load_is_logged_and_kg_history_lists_it(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kg.cli import main
    from tests.conftest import FIXTURES

    store = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    runner = CliRunner()
    assert runner.invoke(main, [*store, "load", "--no-progress", str(FIXTURES / "family.ttl")]).exit_code == 0
    listed = runner.invoke(main, [*store, "history"])
    assert listed.exit_code == 0 and "load" in listed.output and "family.ttl (816 bytes)" in listed.output
    refused = runner.invoke(main, [*store, "history", "--revert", "1"])
    assert refused.exit_code == 1 and "bulk load" in refused.output


def test_the_page_reverts_with_an_admin_token_typed_in_its_form(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    assert _update(app, f'INSERT DATA {{ <{FAMILY}x> <{FAMILY}p> "v" }}', TOKENS["writer"]) == 200
    assert 'name="token"' in client.get("/changes/1").get_data(as_text=True)
    assert client.post("/changes/1/revert", data={"token": TOKENS["writer"]}).status_code == 403
    reply = client.post("/changes/1/revert", data={"token": TOKENS["boss"]})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/changes/2")
    assert not app.extensions["kg.graph"].ask(f'ASK {{ <{FAMILY}x> <{FAMILY}p> "v" }}')


def test_a_committed_journal_left_behind_is_dropped_and_its_change_kept(tmp_path: Path) -> None:
    from kg.dataset import open_dataset
    from kg.dataset.change_log import Journal
    from kg.sources import RdfSource
    from tests.conftest import FIXTURES

    settings = Settings(base_uri=BASE, store=f"oxigraph:{tmp_path / 'store'}")
    sources = [RdfSource(FIXTURES / "family.ttl")]
    graph = open_dataset(settings, sources)
    discard = Journal.discard
    Journal.discard = lambda self: None  # type: ignore[method-assign]  # killed right after the commit
    try:
        with noting(ChangeNote(writer="test")):
            run_update(graph, f'INSERT DATA {{ <{FAMILY}x> <{FAMILY}p> "v" }}')
    finally:
        Journal.discard = discard  # type: ignore[method-assign]
    assert "ontology#step>" in graph.store.dump_ntriples(graph.layout.changes)
    graph.store.close()
    graph = open_dataset(settings, sources)
    assert graph.ask(f'ASK {{ <{FAMILY}x> <{FAMILY}p> "v" }}') and len(history.entries(graph)) == 1
    assert "ontology#step>" not in graph.store.dump_ntriples(graph.layout.changes)
    graph.store.close()


def test_a_write_failing_after_its_commit_leaves_neither_the_change_nor_its_entry(tmp_path: Path) -> None:
    graph = family_graph(Settings(base_uri=BASE))
    before = sorted(graph.store.dump_ntriples(graph.layout.asserted).splitlines())

    def failing(_delta: object) -> None:
        raise OSError("disk full")

    unsubscribe = graph.subscribe(failing)
    try:
        with noting(ChangeNote(writer="test")) as note, pytest.raises(OSError):
            run_update(graph, f'INSERT DATA {{ <{FAMILY}x> <{FAMILY}p> "v" }}')
    finally:
        unsubscribe()
    assert note.number is None and history.entries(graph) == []
    assert sorted(graph.store.dump_ntriples(graph.layout.asserted).splitlines()) == before
    assert graph.store.dump_ntriples(graph.layout.changes) == ""
