"""The same endpoint, canned queries and linked-data pages with the dataset on a real Virtuoso (``KG_STORE=sparql:…``).

Every answer is compared with the embedded default on the same shipped data
(blank node labels aside: each store mints its own); the closures are ours,
computed over the asserted triples fetched from Virtuoso and written back.
"""

from __future__ import annotations

import csv
import io
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient
from SPARQLWrapper import JSON, SPARQLWrapper

from kg.app import create_app
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.store import open_store
from tests.conftest import BASE
from tests.live_server import free_port, live_server
from tests.virtuoso import Virtuoso

TOKEN = "virtuoso-token"
QUERIES = [
    "SELECT ?x WHERE { ?x a kg:Person }",
    "SELECT ?x ?org WHERE { ?x kg:affiliatedWith ?org }",
    "SELECT ?c (COUNT(*) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT ?s ?o WHERE { ?s kg:sector ?o FILTER NOT EXISTS { ?s a kg:Person } } ORDER BY ?s",
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(langMatches(lang(?label), 'en')) } ORDER BY ?s ?label LIMIT 50",
    "SELECT ?r (COUNT(?s) AS ?n) WHERE { ?s a ?r FILTER(isBlank(?r)) } GROUP BY ?r",
    "ASK { ?x a kg:Organization ; kg:sector ?s }",
    "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c }",
]


def _app(settings: Settings, graph: KnowledgeGraph) -> Flask:
    application = create_app(settings, graph)
    application.config["TESTING"] = True
    return application


@pytest.fixture(scope="module")
def remote_settings(virtuoso_server: Virtuoso) -> Settings:
    return Settings(base_uri=BASE, store=virtuoso_server.store_setting(), write_token=TOKEN)


@pytest.fixture(scope="module")
def remote_client(remote_settings: Settings) -> FlaskClient:
    """The app over the shipped data kept on Virtuoso (loaded afresh)."""
    open_store(remote_settings).clear()
    graph = open_dataset(remote_settings)
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    return _app(remote_settings, graph).test_client()


def _rows(body: bytes) -> list[tuple[str, ...]]:
    """CSV rows with every blank node label made the same (each store mints its own), sorted."""
    table = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    return sorted(tuple("_:" if cell.startswith("_:") else cell for cell in row) for row in table[1:]) + [tuple(table[0])]


def _triples(ntriples: bytes) -> list[str]:
    """The triples of an N-Triples document (read by rdflib), blank node labels made the same, sorted.

    (Full graph isomorphism would be exact but takes seconds on these graphs; the labels are all that differ.)
    """
    graph = rdflib.Graph().parse(data=ntriples, format="nt")
    return sorted(" ".join("_:" if isinstance(term, rdflib.BNode) else term.n3() for term in triple) for triple in graph)


@pytest.mark.parametrize("reasoning", ["none", "rdfs", "owlrl"])
def test_answers_are_those_of_the_embedded_store(client: FlaskClient, remote_client: FlaskClient, reasoning: str) -> None:
    for query in QUERIES:
        form = {"query": query, "reasoning": reasoning}
        if query.startswith("CONSTRUCT"):
            ours = _triples(client.post("/sparql", data=form, headers={"Accept": "application/n-triples"}).data)
            theirs = _triples(remote_client.post("/sparql", data=form, headers={"Accept": "application/n-triples"}).data)
            assert len(ours) > 100 and ours == theirs, query
            continue
        expected = client.post("/sparql", data=form, headers={"Accept": "text/csv"})
        answer = remote_client.post("/sparql", data=form, headers={"Accept": "text/csv"})
        assert expected.status_code == answer.status_code == 200, answer.data
        assert _rows(answer.data) == _rows(expected.data), query


def test_reasoning_makes_the_difference_on_virtuoso_too(remote_client: FlaskClient) -> None:
    def count(reasoning: str) -> int:
        form = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?x kg:affiliatedWith ?org }", "reasoning": reasoning}
        return int(_rows(remote_client.post("/sparql", data=form, headers={"Accept": "text/csv"}).data)[0][0])

    assert count("none") < count("owlrl")


def test_a_canned_query_answers_the_same(client: FlaskClient, remote_client: FlaskClient) -> None:
    path = "/api/queries/participants-by-sector/run?format=csv"
    expected, answer = client.get(path), remote_client.get(path)
    assert expected.status_code == answer.status_code == 200, answer.data
    assert len(_rows(expected.data)) > 5
    assert _rows(answer.data) == _rows(expected.data)


@pytest.mark.parametrize("path", ["/id/person/liu-hua", "/ontology", "/graph/source/p05"])
def test_linked_data_pages_describe_the_same(client: FlaskClient, remote_client: FlaskClient, path: str) -> None:
    ours = _triples(client.get(path, headers={"Accept": "application/n-triples"}).data)
    theirs = _triples(remote_client.get(path, headers={"Accept": "application/n-triples"}).data)
    assert len(ours) > 10 and ours == theirs
    page = remote_client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.data.count(b"<tr") == client.get(path, headers={"Accept": "text/html"}).data.count(b"<tr")


def test_updates_land_on_the_server_in_named_graphs_with_their_closure(
    remote_client: FlaskClient, virtuoso_server: Virtuoso
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    newcomer = f"<{BASE}id/person/test-newcomer>"
    insert = (f"INSERT DATA {{ {newcomer} a kg:Person ; rdfs:label 'Newcomer'@en ; kg:name 'Newcomer'@en ; "
              "kg:affiliatedWith organization:cnipa }")  # meets the shapes (KG_SHACL=enforce by default)
    inserted = remote_client.post("/sparql", data=insert, headers=auth)
    assert inserted.status_code == 200, inserted.get_data(as_text=True)

    def on_virtuoso(graph: str) -> bool:
        query = f"ASK {{ GRAPH <{BASE}graph/{graph}> {{ {newcomer} ?p ?o }} }}"
        with urllib.request.urlopen(f"{virtuoso_server.query_url}?{urllib.parse.urlencode({'query': query})}", timeout=30) as answer:
            return answer.read().strip() == b"true"

    assert on_virtuoso("asserted") and on_virtuoso("inferred")  # an inferred type, say, in the server's own graph
    ask = {"query": f"ASK {{ {newcomer} a prov:Agent }}", "reasoning": "owlrl"}
    assert remote_client.post("/sparql", data=ask, headers={"Accept": "text/csv"}).data.strip().endswith(b"true")
    delete = f"DELETE WHERE {{ {newcomer} ?p ?o }}"
    assert remote_client.post("/sparql", data=delete, headers=auth).status_code == 200
    assert not on_virtuoso("asserted") and not on_virtuoso("inferred")


def test_kg_serve_leaves_evaluation_to_the_server(tmp_path: Path, remote_settings: Settings, remote_client: FlaskClient) -> None:
    env = {"KG_STORE": remote_settings.store}
    with live_server(tmp_path, env=env) as server:
        assert server.worker_count() == 0
        assert "queries evaluated by the SPARQL server at" in server.log()
        assert "sources unchanged" in server.log()  # the module's app built it: not loaded or reasoned again
        client = SPARQLWrapper(server.url)
        client.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?x a kg:Person }")
        client.setReturnFormat(JSON)
        rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index, call-overload]
        assert int(rows[0]["n"]["value"]) > 10


class _Relay:
    """A TCP relay to the server that the test can cut and restore (the remote store "going down" and "coming back")."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close() alone would not
            self._listener.close()
            self._listener = None

    def _accept(self, listener: socket.socket) -> None:
        with suppress(OSError):
            while True:
                inbound, _ = listener.accept()
                outbound = socket.create_connection(self.target)
                for source, sink in ((inbound, outbound), (outbound, inbound)):
                    threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def relay(virtuoso_server: Virtuoso) -> Iterator[_Relay]:
    parts = urllib.parse.urlsplit(virtuoso_server.query_url)
    proxy = _Relay((parts.hostname or "127.0.0.1", parts.port or 80))
    proxy.start()
    yield proxy
    proxy.stop()


def test_a_server_that_goes_down_answers_503_and_recovers_by_itself(relay: _Relay, remote_client: FlaskClient) -> None:
    settings = Settings(base_uri=BASE, store=f"sparql:http://127.0.0.1:{relay.port}/sparql;"
                                             f"http://dba:dba@127.0.0.1:{relay.port}/sparql-auth", write_token=TOKEN)
    graph = open_dataset(settings)
    client = _app(settings, graph).test_client()
    form = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?x a kg:Person }"}
    assert client.post("/sparql", data=form, headers={"Accept": "text/csv"}).status_code == 200
    relay.stop()
    for answer in (client.post("/sparql", data=form), client.get("/id/person/liu-hua"), client.get("/api/queries/participants-by-sector/run"),
                   client.post("/sparql", data="INSERT DATA { <urn:x> <urn:p> 1 }",
                               headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"})):
        assert answer.status_code == 503, answer.data
        assert b"is unreachable" in answer.data and b"Traceback" not in answer.data
    assert client.post("/sparql", data=form).headers.get("Retry-After")
    relay.start()
    assert client.post("/sparql", data=form, headers={"Accept": "text/csv"}).status_code == 200
    assert client.get("/id/person/liu-hua").status_code == 200
