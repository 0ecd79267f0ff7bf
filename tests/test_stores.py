"""The three stores behind one interface (memory, oxigraph:PATH, a real Virtuoso), and what a persistent store remembers."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.app import create_app
from kg.dataset import KnowledgeGraph, Replica, open_dataset
from kg.settings import Settings, SettingsError, load_settings
from kg.sources import RdfSource
from kg.store import (OxigraphStore, PersistentOxigraphStore, RemoteStore, Store, StoreConfigError, StoreError,
                      StoreTimeout, StoreUnavailable, open_store, parse_store_spec)
from kg.store.manifest import Manifest
from tests.conftest import FIXTURES
from tests.live_server import free_port
from tests.virtuoso import Virtuoso

G1, G2 = "http://example.org/g/1", "http://example.org/g/2"
EX = "http://example.org/"
ALICE, KNOWS, NAME = ox.NamedNode(EX + "alice"), ox.NamedNode(EX + "knows"), ox.NamedNode(EX + "name")
TRICKY = [
    ox.Literal("plain"),
    ox.Literal("Zhōngguó 中国 😀"),
    ox.Literal('quote " backslash \\ tab \t newline \n end'),
    ox.Literal("colour", language="en-gb"),
    ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.Literal("2021-01-13", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
    ox.Literal("x", datatype=ox.NamedNode(EX + "customType")),
]


@pytest.fixture(params=["memory", "oxigraph", "sparql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind (the remote one on Virtuoso, under a base of its own)."""
    if request.param == "memory":
        yield OxigraphStore.in_memory()
    elif request.param == "oxigraph":
        opened = PersistentOxigraphStore(tmp_path / "store")
        yield opened
        opened.close()
    else:
        server: Virtuoso = request.getfixturevalue("virtuoso_server")
        remote = RemoteStore(server.query_url, server.update_url, f"http://test-{uuid.uuid4().hex}.example/", 30)
        yield remote
        remote.clear()


def _quads() -> list[ox.Quad]:
    node = ox.BlankNode("n1")
    quads = [ox.Quad(ALICE, NAME, literal, ox.NamedNode(G1)) for literal in TRICKY]
    quads += [ox.Quad(ALICE, KNOWS, node, ox.NamedNode(G1)), ox.Quad(node, NAME, ox.Literal("Bob"), ox.NamedNode(G1)),
              ox.Quad(ALICE, KNOWS, node, ox.NamedNode(G2))]
    return quads


def test_writes_and_reads_round_trip_exactly(store: Store) -> None:
    store.add(_quads())
    assert set(store.triples(G1)) == {q.triple for q in _quads() if q.graph_name.value == G1}
    assert store.graph_names() == [G1, G2]
    assert store.count(G1) == len(TRICKY) + 2 and store.count(G2) == 1
    assert store.size() == len(TRICKY) + 3
    knows = ox.Triple(ALICE, KNOWS, ox.BlankNode("n1"))
    assert sorted(store.graphs_containing(knows)) == [G1, G2]
    store.remove([ox.Quad(ALICE, KNOWS, ox.BlankNode("n1"), ox.NamedNode(G2))])
    assert store.graphs_containing(knows) == [G1]
    store.replace_graph(G1, [ox.Triple(ALICE, NAME, ox.Literal("only"))])
    assert list(store.triples(G1)) == [ox.Triple(ALICE, NAME, ox.Literal("only"))]


def test_ntriples_exchange_keeps_blank_node_labels(store: Store) -> None:
    store.add_ntriples(G1, '_:keep <http://example.org/p> _:other .\n<http://example.org/s> <http://example.org/p> "v" .\n')
    text = store.dump_ntriples(G1)
    assert "_:keep <http://example.org/p> _:other ." in text
    assert '<http://example.org/s> <http://example.org/p> "v" .' in text


def test_queries_are_answered_by_the_store_as_pyoxigraph_objects(store: Store) -> None:
    store.add(_quads())
    solutions = store.query("SELECT ?o WHERE { ex:alice ex:name ?o }", default_graph=[G1], named_graphs=[],
                            prefixes={"ex": EX})
    assert isinstance(solutions, ox.QuerySolutions)
    assert {row["o"] for row in solutions} == set(TRICKY)
    assert bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }", default_graph=[], named_graphs=[G2]))
    assert not bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }", default_graph=[], named_graphs=[]))
    triples = store.query("CONSTRUCT { ?o <http://example.org/named> ?n } WHERE { ?s <http://example.org/knows> ?o . ?o ?p ?n }",
                          default_graph=[G1], named_graphs=[])
    assert isinstance(triples, ox.QueryTriples)
    assert list(triples) == [ox.Triple(ox.BlankNode("n1"), ox.NamedNode(EX + "named"), ox.Literal("Bob"))]


def test_blank_nodes_are_blank_to_the_query_whatever_the_store(store: Store) -> None:
    store.add(_quads())

    def objects(test: str) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
        text = f"SELECT ?o WHERE {{ ?s <http://example.org/knows> ?o FILTER({test}) }}"
        return [row["o"] for row in store.query(text, default_graph=[G1], named_graphs=[])]

    assert objects("isBlank(?o)") == [ox.BlankNode("n1")]
    assert objects("isIRI(?o)") == objects("isURI(?o)") == []


def test_substitutions_bind_the_variable_where_it_is_in_scope(store: Store) -> None:
    store.add(_quads())
    text = ("SELECT ?s ?o ?n WHERE { { SELECT ?s ?o WHERE { ?s <http://example.org/knows> ?o } LIMIT 1 } "
            "?o <http://example.org/name> ?n FILTER(?o != ?s) }")
    rows = list(store.query(text, default_graph=[G1], named_graphs=[], substitutions={"o": ox.BlankNode("n1")}))
    assert [(row["s"], row["o"], row["n"]) for row in rows] == [(ALICE, ox.BlankNode("n1"), ox.Literal("Bob"))]
    assert list(store.query(text, default_graph=[G1], named_graphs=[], substitutions={"o": ALICE})) == []
    short = store.query("CONSTRUCT WHERE { ?s <http://example.org/knows> ?o }", default_graph=[G1], named_graphs=[],
                        substitutions={"s": ALICE})
    assert list(short) == [ox.Triple(ALICE, KNOWS, ox.BlankNode("n1"))]


def test_no_store_repeats_the_query_mistakes_of_rdflib(store: Store) -> None:
    """rdflib 7.6.0 answers ``ASK { FILTER(false) }`` with true and fails on ``CONSTRUCT WHERE { … } LIMIT n``."""
    store.add(_quads())
    assert not bool(store.query("ASK { FILTER(false) }", default_graph=[G1], named_graphs=[]))
    assert bool(store.query("ASK { FILTER(true) }", default_graph=[G1], named_graphs=[]))
    limited = list(store.query("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3", default_graph=[G1], named_graphs=[]))
    stored = set(store.triples(G1))
    assert len(limited) == 3 and len(set(limited)) == 3
    named_only = [t for t in limited if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)]
    assert all(triple in stored for triple in named_only)


def test_a_malformed_query_is_a_syntax_error_with_its_position(store: Store) -> None:
    with pytest.raises(SyntaxError) as raised:
        store.query("SELECT * WHERE {\n  ?s ?p }")
    assert "error at 2:" in str(raised.value)


def test_bulk_load_puts_default_graph_triples_in_the_target_and_named_graphs_in_theirs(
    store: Store, tmp_path: Path
) -> None:
    document = tmp_path / "data.trig"
    document.write_text(f"<{EX}s> <{EX}p> <{EX}o> . <{G2}> {{ <{EX}s> <{EX}q> _:b . _:b <{EX}p> 1 }}\n")
    for _ in range(2):  # the same document twice: its blank node is a new one each time
        with document.open("rb") as stream:
            store.bulk_load(G1, stream, ox.RdfFormat.TRIG, EX)
    assert store.count(G1) == 1 and store.count(G2) == 4


def test_persistent_stores_record_a_manifest(store: Store) -> None:
    if not store.persistent:
        assert store.read_manifest() is None
        return
    assert store.read_manifest() is None
    store.add(_quads()[:1])
    manifest = Manifest("http://example.org/", closures=("owlrl",), updates=3)
    store.flush(manifest)
    assert store.read_manifest() == manifest


# -- KG_STORE -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["bogus", "memory:x", "oxigraph:", "sparql:", "sparql:ftp://host/sparql",
                                   "sparql:http://127.0.0.1/sparql;not-a-url"])
def test_malformed_store_settings_are_refused_with_the_forms(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"store": value}, environ={})
    assert "KG_STORE" in str(raised.value)
    with pytest.raises(StoreConfigError):
        parse_store_spec(value)


def test_store_settings_are_parsed_and_credentials_never_shown() -> None:
    spec = parse_store_spec("sparql:http://127.0.0.1:8890/sparql;http://dba:s3cret@127.0.0.1:8890/sparql-auth")
    assert (spec.kind, spec.query_url) == ("sparql", "http://127.0.0.1:8890/sparql")
    assert spec.update_url == "http://dba:s3cret@127.0.0.1:8890/sparql-auth"
    assert parse_store_spec("sparql:http://h/sparql").update_url == "http://h/sparql"
    with pytest.raises(StoreConfigError) as raised:
        parse_store_spec("sparql:http://dba:s3cret@127.0.0.1/sparql;ftp://dba:s3cret@x/")
    assert "s3cret" not in str(raised.value)
    remote = open_store(Settings(store="sparql:http://dba:s3cret@127.0.0.1:9/sparql"))
    assert "s3cret" not in remote.describe()


# -- oxigraph:PATH ------------------------------------------------------------------------------------------


def test_a_second_process_cannot_open_the_store_and_is_told_why(tmp_path: Path) -> None:
    path = tmp_path / "store"
    opened = PersistentOxigraphStore(path)
    code = f"from pathlib import Path\nfrom kg.store import PersistentOxigraphStore\nPersistentOxigraphStore(Path({str(path)!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "open in another process" in done.stderr
    opened.close()


def test_a_directory_that_is_not_a_store_is_not_touched(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="holds no Oxigraph store"):
        PersistentOxigraphStore(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def _open(tmp_path: Path, *sources: Path, base: str = "http://localhost:8000/") -> tuple[KnowledgeGraph, list[str]]:
    messages: list[str] = []
    settings = Settings(base_uri=base, store=f"oxigraph:{tmp_path / 'store'}")
    graph = open_dataset(settings, [RdfSource(p) for p in sources], messages.append)
    graph.ensure_reasoned("owlrl", messages.append)
    return graph, messages


def _family(tmp_path: Path) -> Path:
    copy = tmp_path / "family.ttl"
    copy.write_text((FIXTURES / "family.ttl").read_text())
    return copy


def test_a_restart_reuses_the_store_without_reading_or_reasoning(tmp_path: Path) -> None:
    family = _family(tmp_path)
    graph, first = _open(tmp_path, family)
    assert any(m.startswith("loaded ") for m in first) and any(m.startswith("reasoned (owlrl)") for m in first)
    graph.store.close()
    graph, second = _open(tmp_path, family)
    assert not any(m.startswith(("loaded ", "reasoning")) for m in second), second
    assert any("sources unchanged, closures up to date (owlrl)" in m for m in second)
    assert graph.ask("ASK { <http://example.org/family#bob> a <https://schema.org/Person> }", "owlrl")
    graph.store.close()


def test_touched_but_identical_sources_are_not_reloaded(tmp_path: Path) -> None:
    family = _family(tmp_path)
    _open(tmp_path, family)[0].store.close()
    family.write_text(family.read_text())  # new modification time, same bytes
    graph, messages = _open(tmp_path, family)
    assert not any(m.startswith("loaded ") for m in messages)
    graph.store.close()


def test_changed_sources_rebuild_the_store(tmp_path: Path) -> None:
    family = _family(tmp_path)
    _open(tmp_path, family)[0].store.close()
    family.write_text(family.read_text() + "ex:eve ex:hasChild ex:fay .\n")
    graph, messages = _open(tmp_path, family)
    assert any("the sources changed (changed: family.ttl); rebuilding" in m for m in messages)
    assert graph.ask("ASK { <http://example.org/family#fay> <http://example.org/family#hasParent> ?p }", "owlrl")
    graph.store.close()


def test_changed_sources_never_wipe_updates(tmp_path: Path) -> None:
    family = _family(tmp_path)
    graph, _ = _open(tmp_path, family)
    graph.apply_changes([ox.Quad(ox.NamedNode(EX + "kept"), NAME, ox.Literal("an update"))], [])
    graph.store.close()
    family.write_text(family.read_text() + "ex:eve ex:hasChild ex:fay .\n")
    graph, messages = _open(tmp_path, family)
    assert any(m.startswith("warning: the sources changed") and "1 change made through SPARQL Update" in m for m in messages)
    assert graph.ask(f"ASK {{ <{EX}kept> ?p 'an update' }}", "none")
    graph.store.close()


def test_a_store_built_for_another_base_is_refused(tmp_path: Path) -> None:
    family = _family(tmp_path)
    _open(tmp_path, family)[0].store.close()
    with pytest.raises(StoreError, match="built for KG_BASE_URI=http://localhost:8000/"):
        _open(tmp_path, family, base="http://example.org/kg/")


def test_a_change_interrupted_by_a_crash_gets_its_closures_recomputed(tmp_path: Path) -> None:
    family = _family(tmp_path)
    _open(tmp_path, family)[0].store.close()
    crash = (
        "import os, pyoxigraph as ox\nfrom pathlib import Path\nfrom kg.store import PersistentOxigraphStore\n"
        f"store = PersistentOxigraphStore(Path({str(tmp_path / 'store')!r}))\n"
        "store.add([ox.Quad(ox.NamedNode('http://example.org/family#gus'), "
        "ox.NamedNode('http://example.org/family#hasChild'), ox.NamedNode('http://example.org/family#hal'), "
        "ox.NamedNode('http://localhost:8000/graph/asserted'))])\nos._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash], check=True, timeout=60)
    assert json.loads((tmp_path / "store" / "ipkg-manifest.json").read_text())["clean"] is False
    graph, messages = _open(tmp_path, family)
    assert any("closures will be recomputed (the last process stopped in the middle of a change)" in m for m in messages)
    assert any(m.startswith("reasoned (owlrl)") for m in messages)
    assert graph.ask("ASK { <http://example.org/family#hal> <http://example.org/family#hasParent> ?p }", "owlrl")
    graph.store.close()


def test_data_that_ipkg_did_not_load_is_not_served_as_if_it_had(tmp_path: Path) -> None:
    foreign = ox.Store(str(tmp_path / "store"))
    foreign.add(ox.Quad(ALICE, NAME, ox.Literal("x"), ox.NamedNode(G1)))
    del foreign
    with pytest.raises(StoreError, match="holds data that ipkg did not load"):
        _open(tmp_path, _family(tmp_path))


# -- a remote server that is slow, cut short or down ---------------------------------------------------------


class _Slow(BaseHTTPRequestHandler):
    """A SPARQL endpoint answering ASK with true after ``delay`` seconds (optionally with Virtuoso's partial-answer mark),
    anything else with no rows."""

    delay = 0.0
    partial = False

    def do_POST(self) -> None:  # noqa: N802 — the standard library's name
        asked = b"ASK" in self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answer = b"<boolean>true</boolean>" if asked else b"<results/>"
        if asked:
            time.sleep(self.delay)
        body = b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>' + answer + b"</sparql>"
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+xml")
        if self.partial:
            self.send_header("X-SQL-State", "S1TAT")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(OSError):
            self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def slow_endpoint() -> Iterator[tuple[str, type[_Slow]]]:
    handler = type("Handler", (_Slow,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql", handler
    server.shutdown()
    server.server_close()


def test_a_remote_query_past_the_time_limit_is_abandoned(slow_endpoint: tuple[str, type[_Slow]]) -> None:
    url, handler = slow_endpoint
    handler.delay = 3.0
    store = RemoteStore(url, url, "http://example.org/", query_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(StoreTimeout) as raised:
        store.query("ASK { ?s ?p ?o }")
    assert time.monotonic() - started < 2.0
    assert "within 0.5 s (KG_QUERY_TIMEOUT)" in raised.value.message and raised.value.status == 503


def test_a_partial_answer_is_refused(slow_endpoint: tuple[str, type[_Slow]]) -> None:
    url, handler = slow_endpoint
    handler.partial = True
    with pytest.raises(StoreTimeout, match="partial answer"):
        RemoteStore(url, url, "http://example.org/", query_timeout=5).query("ASK { ?s ?p ?o }")
    handler.partial = False
    assert bool(RemoteStore(url, url, "http://example.org/", query_timeout=5).query("ASK { ?s ?p ?o }"))


def test_the_endpoint_answers_503_past_the_time_limit_on_a_remote_store(slow_endpoint: tuple[str, type[_Slow]]) -> None:
    url, handler = slow_endpoint
    settings = Settings(base_uri="http://example.org/", store=f"sparql:{url}", query_timeout=0.5)
    graph = Replica(settings, open_store(settings), ("rdfs", "owlrl"), 0)
    handler.delay = 3.0
    answer = create_app(settings, graph).test_client().post("/sparql", data={"query": "ASK { ?s ?p ?o }"})
    assert answer.status_code == 503
    assert b"time limit" in answer.data and answer.headers.get("Retry-After")


def test_an_unreachable_server_is_a_clear_503() -> None:
    port = free_port()  # nothing listens there
    store = RemoteStore(f"http://127.0.0.1:{port}/sparql", f"http://127.0.0.1:{port}/sparql", "http://example.org/", 5)
    with pytest.raises(StoreUnavailable) as raised:
        store.query("ASK {}")
    assert raised.value.status == 503 and f"http://127.0.0.1:{port}/sparql is unreachable" in raised.value.message
