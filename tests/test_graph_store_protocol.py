"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/store``: the W3C tests (indirect and direct identification, POST
graph creation), formats both ways, authorisation, body rules, the closures, the worker pool and a real ``kg serve``.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from urllib.parse import quote_plus

import pyoxigraph as ox
import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient
from rdflib.compare import isomorphic
from rdflib.query import Result

from kg.app import create_app
from kg.dataset import KnowledgeGraph, open_dataset
from kg.evaluation.pool import WorkerPool
from kg.formats import GRAPH, formats_for
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import FIXTURES
from tests.live_server import LiveServer, live_server
from tests.w3c_graph_store import FOLDER, Answer, GraphStoreTest, load_tests, run
from tests.w3c_sparql import in_ci

TOKEN = "graph-store-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "http://localhost:8000/"
FAMILY = "http://example.org/family#"
G = "http://example.org/people"
INFERRED = BASE + "graph/inferred"
TURTLE = "text/turtle; charset=utf-8"
PEOPLE = f"""@prefix ex: <{FAMILY}> .
ex:eve ex:hasChild ex:fay ; ex:name "Eve", "Ève"@fr .
ex:fay ex:note [ ex:text "a blank node" ] .
"""


def reasoned(settings: Settings, *sources: RdfSource) -> KnowledgeGraph:
    graph = open_dataset(settings, list(sources))
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    return graph


# -- the W3C tests ------------------------------------------------------------------------------------------------

W3C_TESTS: list[GraphStoreTest] = load_tests() if (FOLDER / "manifest.ttl").is_file() else []


def test_the_w3c_graph_store_tests_are_here() -> None:
    """All thirteen tests of the manifests run (a missing suite fails on CI, is skipped elsewhere)."""
    if not W3C_TESTS:
        message = f"W3C Graph Store Protocol tests not found at {FOLDER} (set W3C_SPARQL_SUITES)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    assert len(W3C_TESTS) == 13


@pytest.mark.parametrize("test", W3C_TESTS, ids=[test.name for test in W3C_TESTS])
def test_w3c_graph_store(test: GraphStoreTest) -> None:
    """Each W3C test on an empty dataset of its own, with the write token."""
    settings = Settings(base_uri=BASE, write_token=TOKEN)
    client = create_app(settings, reasoned(settings)).test_client()

    def send(method: str, path: str, headers: dict[str, str], body: bytes | None) -> Answer:
        reply = client.open(path, method=method, headers={**headers, **AUTH}, data=body)
        return Answer(reply.status_code, reply.headers, reply.get_data())

    run(test, send)


# -- our own ------------------------------------------------------------------------------------------------------


@pytest.fixture
def app() -> Flask:
    settings = Settings(base_uri=BASE, write_token=TOKEN, max_request_bytes=20_000)
    application = create_app(settings, reasoned(settings, RdfSource(FIXTURES / "family.ttl")))
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def put(client: FlaskClient, query: str, body: str | bytes, content_type: str = TURTLE, **headers: str):  # noqa: ANN201
    return client.put(f"/store?{query}", data=body, content_type=content_type, headers={**AUTH, **headers})


def get_graph(client: FlaskClient, query: str, accept: str = "text/turtle") -> rdflib.Graph:
    reply = client.get(f"/store?{query}", headers={"Accept": accept})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return rdflib.Graph().parse(data=reply.get_data(), format=reply.mimetype)


def select(client: FlaskClient, text: str, reasoning: str = "none") -> list[tuple[str, ...]]:
    reply = client.get("/sparql", query_string={"query": text, "reasoning": reasoning})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return sorted(tuple(str(v) for v in row) for row in Result.parse(io.BytesIO(reply.data), format="json"))


def test_every_rdf_format_is_read_and_written(client: FlaskClient) -> None:
    """A graph PUT in each format we read comes back, isomorphic, in each format we write (rdflib parses them all)."""
    source = rdflib.Graph().parse(data=PEOPLE, format="turtle")
    for sent in formats_for(GRAPH):
        if sent.dataset:  # rdflib would put the triples in a named graph: the default graph's, written by pyoxigraph
            body = ox.serialize(ox.parse(PEOPLE, format=ox.RdfFormat.TURTLE), format=sent.engine)
        else:
            body = source.serialize(format={"nt": "nt11", "rdfxml": "xml", "jsonld": "json-ld"}.get(sent.name, sent.name))
        reply = put(client, f"graph={G}", body, sent.content_type)
        assert reply.status_code in (200, 201), (sent.name, reply.get_data(as_text=True))
        for written in formats_for(GRAPH):
            got = get_graph(client, f"graph={G}", written.media_type)
            if written.dataset:
                got = rdflib.Dataset().parse(data=client.get(f"/store?graph={G}&format={written.name}").get_data(),
                                             format=written.name).graph(rdflib.URIRef(G))
            assert isomorphic(got, source), (sent.name, written.name)


def test_put_replaces_post_merges_delete_drops(client: FlaskClient) -> None:
    assert put(client, f"graph={G}", PEOPLE).status_code == 201
    reply = put(client, f"graph={G}", f"<{FAMILY}gus> a <{FAMILY}Person> .")
    assert reply.status_code == 200 and f"<{G}> triples +1 -5" in reply.get_data(as_text=True)
    reply = client.post(f"/store?graph={G}", data=f"<{FAMILY}hal> a <{FAMILY}Person> .", content_type=TURTLE, headers=AUTH)
    assert reply.status_code == 200
    assert len(get_graph(client, f"graph={G}")) == 2
    assert client.delete(f"/store?graph={G}", headers=AUTH).status_code == 204
    assert client.get(f"/store?graph={G}").status_code == 404
    assert client.head(f"/store?graph={G}").status_code == 404
    assert client.delete(f"/store?graph={G}", headers=AUTH).status_code == 404


def test_post_to_the_store_creates_a_graph_addressed_directly(client: FlaskClient) -> None:
    reply = client.post("/store", data=PEOPLE, content_type=TURTLE, headers=AUTH)
    assert reply.status_code == 201
    location = reply.headers["Location"]
    assert location.startswith(BASE + "store/")
    path = location[len(BASE) - 1:]
    assert isomorphic(get_graph(client, f"graph={location}"), rdflib.Graph().parse(data=PEOPLE, format="turtle"))
    assert client.get(path).status_code == 200
    assert client.delete(path, headers=AUTH).status_code == 204
    assert client.get(path).status_code == 404
    assert client.post("/store", data="", content_type=TURTLE, headers=AUTH).status_code == 400
    assert client.get(f"/store/x?graph={G}").status_code == 400


def test_the_default_graph_is_asserted_and_reasoning_adds_the_closure(client: FlaskClient) -> None:
    asserted = get_graph(client, "default")
    assert (rdflib.URIRef(FAMILY + "ann"), rdflib.URIRef(FAMILY + "hasChild"), rdflib.URIRef(FAMILY + "bob")) in asserted
    parent = (rdflib.URIRef(FAMILY + "bob"), rdflib.URIRef(FAMILY + "hasParent"), rdflib.URIRef(FAMILY + "ann"))
    assert parent not in asserted
    assert parent in get_graph(client, "default&reasoning=owlrl")
    assert parent in get_graph(client, f"graph={INFERRED}")
    assert isomorphic(get_graph(client, f"graph={BASE}graph/asserted"), asserted)
    assert client.get(f"/store?graph={G}&reasoning=owlrl").status_code == 400
    assert client.get("/store?default&reasoning=magic").status_code == 400


def test_a_write_brings_the_closures_up_to_date_before_the_answer(client: FlaskClient) -> None:
    reply = client.post("/store?default", data=f"<{FAMILY}eve> <{FAMILY}hasChild> <{FAMILY}fay> .",
                        content_type=TURTLE, headers=AUTH)
    assert reply.status_code == 200
    assert "asserted triples +1 -0; inferred triples +" in reply.get_data(as_text=True)
    assert select(client, f"SELECT ?p WHERE {{ <{FAMILY}fay> <{FAMILY}hasParent> ?p }}", "owlrl") == [(FAMILY + "eve",)]
    # a named graph is not asserted, unless the data declares it a source graph
    put(client, f"graph={G}", f"<{FAMILY}gus> <{FAMILY}hasChild> <{FAMILY}hal> .")
    assert select(client, f"SELECT ?p WHERE {{ <{FAMILY}hal> <{FAMILY}hasParent> ?p }}", "owlrl") == []
    client.post("/store?default", data=f"<{G}> a <{BASE}ontology#SourceGraph> .", content_type=TURTLE, headers=AUTH)
    put(client, f"graph={G}", f"<{FAMILY}gus> <{FAMILY}hasChild> <{FAMILY}hal> .")
    assert select(client, f"SELECT ?p WHERE {{ <{FAMILY}hal> <{FAMILY}hasParent> ?p }}", "owlrl") == [(FAMILY + "gus",)]
    assert client.delete(f"/store?graph={G}", headers=AUTH).status_code == 204
    assert select(client, f"SELECT ?p WHERE {{ <{FAMILY}hal> <{FAMILY}hasParent> ?p }}", "owlrl") == []


def test_closure_graphs_are_read_never_written(client: FlaskClient) -> None:
    before = get_graph(client, f"graph={INFERRED}")
    for method in ("PUT", "POST", "DELETE"):
        reply = client.open(f"/store?graph={INFERRED}", method=method, data=PEOPLE, content_type=TURTLE, headers=AUTH)
        assert reply.status_code == 403, method
        assert "computed by the reasoner" in reply.get_data(as_text=True)
    assert isomorphic(get_graph(client, f"graph={INFERRED}"), before)


def test_writes_need_the_write_token(client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        for method in ("PUT", "POST", "DELETE"):
            reply = client.open(f"/store?graph={G}", method=method, data=PEOPLE, content_type=TURTLE, headers=headers)
            assert reply.status_code == 401 and reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(f"/store?graph={G}").status_code == 404
    settings = Settings(base_uri=BASE)
    closed = create_app(settings, reasoned(settings)).test_client()
    reply = closed.put(f"/store?graph={G}", data=PEOPLE, content_type=TURTLE, headers=AUTH)
    assert reply.status_code == 403 and "KG_WRITE_TOKEN" in reply.get_data(as_text=True)


def test_bodies_follow_the_endpoints_rules_and_nothing_changes_on_error(client: FlaskClient) -> None:
    put(client, f"graph={G}", PEOPLE)
    before = get_graph(client, f"graph={G}")
    too_big = f"<{FAMILY}a> <{FAMILY}b> \"{'x' * 30_000}\" ."
    assert put(client, f"graph={G}", too_big).status_code == 413
    assert put(client, f"graph={G}", gzip.compress(too_big.encode()), **{"Content-Encoding": "gzip"}).status_code == 413
    assert put(client, f"graph={G}", gzip.compress(PEOPLE.encode()), **{"Content-Encoding": "gzip"}).status_code == 200
    assert put(client, f"graph={G}", PEOPLE, "text/html").status_code == 415
    assert client.put(f"/store?graph={G}", data=PEOPLE, headers=AUTH).status_code == 415
    assert put(client, f"graph={G}", PEOPLE.encode("latin-1"), "text/turtle; charset=iso-8859-1").status_code == 415
    assert put(client, f"graph={G}", PEOPLE.encode("latin-1")).status_code == 400
    reply = put(client, f"graph={G}", "@prefix ex: <http://e/> .\nex:a ex:b .", Accept="application/json")
    assert reply.status_code == 400
    error = json.loads(reply.get_data())
    assert (error["line"], error["column"]) == (2, 11) and "line 2, column 11" in error["error"]
    reply = put(client, f"graph={G}", f"<{G}x> {{ <{FAMILY}a> <{FAMILY}b> <{FAMILY}c> }}", "application/trig")
    assert reply.status_code == 400 and "named graph" in reply.get_data(as_text=True)
    xml = '<!DOCTYPE r [<!ENTITY a "aaaa">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    assert put(client, f"graph={G}", xml, "application/rdf+xml").status_code == 400
    assert isomorphic(get_graph(client, f"graph={G}"), before)


def test_identification_errors_and_methods(client: FlaskClient) -> None:
    assert client.get("/store").status_code == 400
    assert client.get(f"/store?graph={G}&default").status_code == 400
    assert client.get(f"/store?graph={G}&graph={G}2").status_code == 400
    assert client.get("/store?graph=not-absolute").status_code == 400
    assert client.get("/store?default", headers={"Accept": "image/png"}).status_code == 406
    reply = client.options("/store")
    assert reply.status_code == 204 and "PUT" in reply.headers["Allow"]
    reply = client.patch(f"/store?graph={G}")
    assert reply.status_code == 405 and "DELETE" in reply.headers["Allow"]


def test_multipart_posts_merge_every_part(client: FlaskClient) -> None:
    body = (b"--b\r\nContent-Type: text/turtle\r\n\r\n<http://e/a> <http://e/b> 1 .\r\n"
            b"--b\r\nContent-Type: application/n-triples\r\n\r\n<http://e/a> <http://e/c> \"2\" .\r\n--b--\r\n")
    reply = client.post(f"/store?graph={G}", data=body, content_type="multipart/form-data; boundary=b", headers=AUTH)
    assert reply.status_code == 201
    assert len(get_graph(client, f"graph={G}")) == 2


def test_the_service_description_advertises_the_store(client: FlaskClient) -> None:
    reply = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert reply.status_code == 200
    assert reply.headers["Link"] == f'<http://localhost/store>; rel="{BASE}service#graphStore"'
    description = rdflib.Graph().parse(data=reply.get_data(), format="turtle")
    assert (None, rdflib.URIRef(BASE + "service#graphStore"), rdflib.URIRef("http://localhost/store")) in description


def test_writes_reach_the_worker_replicas() -> None:
    """After a write's 2xx, every worker of the pool answers from the new data, closure included."""
    settings = Settings(base_uri=BASE, write_token=TOKEN, workers=2)
    graph = reasoned(settings, RdfSource(FIXTURES / "family.ttl"))
    pool = WorkerPool(graph, settings)
    try:
        client = create_app(settings, graph, evaluator=pool).test_client()
        assert client.post("/store?default", data=PEOPLE, content_type=TURTLE, headers=AUTH).status_code == 200
        for _ in range(2 * settings.workers):
            assert select(client, f"SELECT ?p WHERE {{ <{FAMILY}fay> <{FAMILY}hasParent> ?p }}", "owlrl") == [(FAMILY + "eve",)]
    finally:
        pool.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("store"), FIXTURES / "family.ttl", env={"KG_WRITE_TOKEN": TOKEN}) as running:
        yield running


def test_a_real_server_round_trip(server: LiveServer) -> None:
    """``kg serve``: PUT a graph over HTTP, read it back, query its closure, delete it."""
    path = "/store?graph=" + G
    reply = server.request("PUT", path, PEOPLE, {"Content-Type": TURTLE, **AUTH})
    assert reply.status == 201, reply.text
    reply = server.request("GET", path, headers={"Accept": "application/n-triples"})
    assert reply.status == 200 and reply.headers["content-type"] == "application/n-triples; charset=utf-8"
    assert isomorphic(rdflib.Graph().parse(data=reply.body, format="nt"), rdflib.Graph().parse(data=PEOPLE, format="turtle"))
    reply = server.request("POST", "/store?default", f"<{FAMILY}eve> <{FAMILY}hasChild> <{FAMILY}fay> .",
                           {"Content-Type": TURTLE, "Content-Encoding": "gzip", **AUTH})
    assert reply.status == 400  # the body is not gzip
    reply = server.request("POST", "/store?default", gzip.compress(f"<{FAMILY}eve> <{FAMILY}hasChild> <{FAMILY}fay> .".encode()),
                           {"Content-Type": TURTLE, "Content-Encoding": "gzip", **AUTH})
    assert reply.status == 200, reply.text
    query = f"SELECT ?p WHERE {{ <{FAMILY}fay> <{FAMILY}hasParent> ?p }}"
    reply = server.request("GET", f"/sparql?reasoning=owlrl&query={quote_plus(query)}",
                           headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200 and FAMILY + "eve" in reply.text
    assert server.request("DELETE", path, headers=AUTH).status == 204
    assert server.request("GET", path).status == 404


def test_under_a_base_path_direct_iris_and_locations_keep_it() -> None:
    """With ``KG_BASE_URI=…/kg/`` the store is ``/kg/store``; ``/kg/store/x`` is the graph ``<…/kg/store/x>``."""
    base = "http://localhost:8000/kg/"
    settings = Settings(base_uri=base, write_token=TOKEN)
    client = create_app(settings, reasoned(settings)).test_client()
    assert client.put("/kg/store/x", data=PEOPLE, content_type=TURTLE, headers=AUTH).status_code == 201
    assert client.get(f"/kg/store?graph={base}store/x").status_code == 200
    reply = client.post("/kg/store", data=PEOPLE, content_type=TURTLE, headers=AUTH)
    assert reply.status_code == 201 and reply.headers["Location"].startswith(base + "store/")
    assert client.get("/kg" + reply.headers["Location"][len(base) - 1:]).status_code == 200
    assert client.get("/store?default").status_code == 404
    assert client.get("/kg/sparql").headers["Link"].startswith("<http://localhost/kg/store>")
