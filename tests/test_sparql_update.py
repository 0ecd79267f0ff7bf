"""SPARQL 1.1 Update on ``/sparql``: the W3C protocol's update cases against ``kg serve``, the update language's
operations on our dataset layout (through the Flask test client), authorisation, atomicity, and replicas.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib.query import Result

from kg.app import create_app
from kg.evaluation.pool import WorkerPool
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import FIXTURES
from tests.live_server import LiveServer, Reply, live_server

TOKEN = "update-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DATA = "http://kasei.us/2009/09/sparql/data/"
FAMILY = "http://example.org/family#"
BASE = "http://localhost:8000/"


# -- the W3C protocol test suite: update operation, against a real server ----------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"KG_WRITE_TOKEN": TOKEN}
    with live_server(tmp_path_factory.mktemp("update"), FIXTURES / "protocol.trig", env=env) as running:
        yield running


def post_update(server: LiveServer, text: str, path: str = "/sparql/") -> Reply:
    return server.request("POST", path, text, {"Content-Type": "application/sparql-update", **AUTH})


def ask(server: LiveServer, text: str) -> bool:
    reply = server.request("POST", "/sparql/", text, {"Content-Type": "application/sparql-query"})
    assert reply.status == 200, reply.text
    return bool(Result.parse(io.BytesIO(reply.body), format="json").askAnswer)


def g(name: str) -> str:
    return quote(DATA + name, safe="")


PROLOGUE = "PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
THREE_DOCUMENTS = f"""INSERT DATA {{
    GRAPH <{DATA}data1.rdf> {{ <{DATA}data1.rdf> a foaf:Document }}
    GRAPH <{DATA}data2.rdf> {{ <{DATA}data2.rdf> a foaf:Document }}
    GRAPH <{DATA}data3.rdf> {{ <{DATA}data3.rdf> a foaf:Document }}
}} ;
"""


def test_update_dataset_default_graph(server: LiveServer) -> None:
    """W3C update_dataset_default_graph: using-graph-uri is the WHERE clause's default graph."""
    text = PROLOGUE + f"""CLEAR ALL ;
INSERT DATA {{ GRAPH <{DATA}data1.rdf> {{ <{DATA}data1.rdf> a foaf:Document }} }} ;
INSERT {{ GRAPH <http://example.org/protocol-update-dataset-test/> {{ ?s a dc:BibliographicResource }} }}
WHERE {{ ?s a foaf:Document }}"""
    assert post_update(server, text, f"/sparql/?using-graph-uri={g('data1.rdf')}").status == 200
    assert ask(server, f"""ASK {{ GRAPH <http://example.org/protocol-update-dataset-test/> {{
        <{DATA}data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> }} }}""")


def test_update_dataset_default_graphs(server: LiveServer) -> None:
    """W3C update_dataset_default_graphs: two using-graph-uri make the default graph; data3 stays out."""
    text = PROLOGUE + "DROP ALL ;\n" + THREE_DOCUMENTS + """INSERT {
    GRAPH <http://example.org/protocol-update-dataset-graphs-test/> { ?s a dc:BibliographicResource } }
WHERE { ?s a foaf:Document }"""
    path = f"/sparql/?using-graph-uri={g('data1.rdf')}&using-graph-uri={g('data2.rdf')}"
    assert post_update(server, text, path).status == 200
    assert ask(server, f"""ASK {{
        GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {{
            <{DATA}data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
            <{DATA}data2.rdf> a <http://purl.org/dc/terms/BibliographicResource> . }}
        FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {{
            <{DATA}data3.rdf> a <http://purl.org/dc/terms/BibliographicResource> . }} }} }}""")


def test_update_dataset_named_graphs(server: LiveServer) -> None:
    """W3C update_dataset_named_graphs: using-named-graph-uri are the graphs GRAPH ?g ranges over."""
    text = PROLOGUE + "DROP ALL ;\n" + THREE_DOCUMENTS + """INSERT {
    GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> { ?s a dc:BibliographicResource } }
WHERE { GRAPH ?g { ?s a foaf:Document } }"""
    path = f"/sparql/?using-named-graph-uri={g('data1.rdf')}&using-named-graph-uri={g('data2.rdf')}"
    assert post_update(server, text, path).status == 200
    assert ask(server, f"""ASK {{
        GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {{
            <{DATA}data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
            <{DATA}data2.rdf> a <http://purl.org/dc/terms/BibliographicResource> . }}
        FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {{
            <{DATA}data3.rdf> a <http://purl.org/dc/terms/BibliographicResource> . }} }} }}""")


def test_update_dataset_full(server: LiveServer) -> None:
    """W3C update_dataset_full: using-graph-uri and using-named-graph-uri together."""
    text = PROLOGUE + "DROP ALL ;\n" + THREE_DOCUMENTS + """INSERT {
    GRAPH <http://example.org/protocol-update-dataset-full-test/> { ?s <http://example.org/in> ?in } }
WHERE { { GRAPH ?g { ?s a foaf:Document } BIND(?g AS ?in) } UNION { ?s a foaf:Document . BIND("default" AS ?in) } }"""
    path = f"/sparql/?using-graph-uri={g('data1.rdf')}&using-named-graph-uri={g('data2.rdf')}"
    assert post_update(server, text, path).status == 200
    assert ask(server, f"""ASK {{
        GRAPH <http://example.org/protocol-update-dataset-full-test/> {{
            <{DATA}data1.rdf> <http://example.org/in> "default" .
            <{DATA}data2.rdf> <http://example.org/in> <{DATA}data2.rdf> . }}
        FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-full-test/> {{ <{DATA}data3.rdf> ?p ?o }} }} }}""")


def test_update_post_form(server: LiveServer) -> None:
    """W3C update_post_form: an update as a URL-encoded form field."""
    post_update(server, "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }")
    reply = server.request("POST", "/sparql/", "update=CLEAR+ALL", {"Content-Type": "application/x-www-form-urlencoded", **AUTH})
    assert reply.status == 200
    assert not ask(server, "ASK { ?s ?p ?o }")


def test_update_post_direct(server: LiveServer) -> None:
    """W3C update_post_direct: an update as an application/sparql-update body."""
    post_update(server, "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }")
    assert post_update(server, "CLEAR ALL").status == 200
    assert not ask(server, "ASK { ?s ?p ?o }")


def test_update_base_uri(server: LiveServer) -> None:
    """W3C update_base_uri: relative IRIs resolve against the service's base (not left as <test>)."""
    text = """CLEAR GRAPH <http://example.org/protocol-base-test/> ;
INSERT DATA { GRAPH <http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> <test> } }"""
    assert post_update(server, text).status == 200
    reply = server.request("POST", "/sparql/", """SELECT ?o WHERE {
    GRAPH <http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> ?o } }""",
                           {"Content-Type": "application/sparql-query"})
    rows = list(Result.parse(io.BytesIO(reply.body), format="json"))
    assert [str(row[0]) for row in rows] == [BASE + "test"]


def test_bad_update_get(server: LiveServer) -> None:
    """W3C bad_update_get: an update sent with GET is refused (400) and changes nothing."""
    post_update(server, "INSERT DATA { <http://example.org/kept> <http://example.org/p> 1 }")
    reply = server.request("GET", "/sparql/?update=CLEAR%20ALL", headers=AUTH)
    assert reply.status == 400
    assert "POST" in reply.text
    assert ask(server, "ASK { <http://example.org/kept> ?p ?o }")


def test_bad_multiple_updates(server: LiveServer) -> None:
    """W3C bad_multiple_updates: two update parameters are a 400."""
    reply = server.request("POST", "/sparql/", "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
                           {"Content-Type": "application/x-www-form-urlencoded", **AUTH})
    assert reply.status == 400
    assert "'update' parameter is given 2 times" in reply.text


def test_bad_update_wrong_media_type(server: LiveServer) -> None:
    """W3C bad_update_wrong_media_type: a text/plain body is 415."""
    assert server.request("POST", "/sparql/", "CLEAR NAMED", {"Content-Type": "text/plain", **AUTH}).status == 415


def test_bad_update_missing_form_type(server: LiveServer) -> None:
    """W3C bad_update_missing_form_type: a URL-encoded body without its Content-Type is 415."""
    assert server.request("POST", "/sparql/", "update=CLEAR%20NAMED", AUTH).status == 415


def test_bad_update_non_utf8(server: LiveServer) -> None:
    """W3C bad_update_non_utf8: a UTF-16 update body is 415."""
    reply = server.request("POST", "/sparql/", "CLEAR NAMED".encode("utf-16"),
                           {"Content-Type": "application/sparql-update; charset=UTF-16", **AUTH})
    assert reply.status == 415


def test_bad_update_syntax(server: LiveServer) -> None:
    """W3C bad_update_syntax: CLEAR XYZ is a 400 naming what was expected and where."""
    reply = server.request("POST", "/sparql/", "update=CLEAR%20XYZ", {"Content-Type": "application/x-www-form-urlencoded", **AUTH})
    assert reply.status == 400
    assert "line 1, column 7" in reply.text and "GRAPH, DEFAULT, NAMED or ALL" in reply.text


def test_bad_update_dataset_conflict(server: LiveServer) -> None:
    """W3C bad_update_dataset_conflict: using-named-graph-uri with a WITH clause is a 400."""
    text = """PREFIX foaf:  <http://xmlns.com/foaf/0.1/>
WITH <http://example/addresses>
DELETE { ?person foaf:givenName 'Bill' }
INSERT { ?person foaf:givenName 'William' }
WHERE { ?person foaf:givenName 'Bill' }"""
    reply = post_update(server, text, "/sparql/?using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople")
    assert reply.status == 400
    assert "WITH at line 2, column 1 conflicts" in reply.text


# -- authorisation --------------------------------------------------------------------------------------------


def family_graph(settings: Settings) -> KnowledgeGraph:
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    return graph


@pytest.fixture
def app() -> Flask:
    settings = Settings(base_uri=BASE, write_token=TOKEN)
    application = create_app(settings, family_graph(settings))
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def run(client: FlaskClient, text: str, **params: str) -> str:
    reply = client.post("/sparql", data=text, content_type="application/sparql-update", headers=AUTH, query_string=params)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.get_data(as_text=True)


def select(client: FlaskClient, text: str, reasoning: str = "none") -> list[tuple[str, ...]]:
    reply = client.get("/sparql", query_string={"query": text, "reasoning": reasoning})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return sorted(tuple(str(v) if v is not None else None for v in row) for row in Result.parse(io.BytesIO(reply.data), format="json"))


def test_updates_are_refused_without_a_configured_token() -> None:
    settings = Settings(base_uri=BASE)
    client = create_app(settings, family_graph(settings)).test_client()
    reply = client.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update", headers=AUTH)
    assert reply.status_code == 403
    assert "KG_WRITE_TOKEN" in reply.get_data(as_text=True)
    assert select(client, f"SELECT ?c WHERE {{ <{FAMILY}ann> <{FAMILY}hasChild> ?c }}") == [(FAMILY + "bob",)]


def test_updates_need_the_right_bearer_token(client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        reply = client.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update", headers=headers)
        assert reply.status_code == 401
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    reply = client.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update", headers={"Authorization": "Bearer wrong"})
    assert reply.status_code == 401
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert select(client, "ASK { ?s ?p ?o }".replace("ASK", "SELECT ?s WHERE") + " LIMIT 1")


# -- the update language on our dataset ------------------------------------------------------------------------


def test_insert_data_updates_the_closure_before_the_next_query(client: FlaskClient) -> None:
    summary = run(client, f"PREFIX ex: <{FAMILY}>\nINSERT DATA {{ ex:eve ex:hasChild ex:fay }}")
    assert "asserted triples +1 -0" in summary and "inferred triples +" in summary
    people = select(client, "SELECT ?x WHERE { ?x a schema:Person }", "owlrl")
    assert (FAMILY + "eve",) in people
    assert select(client, f"SELECT ?p WHERE {{ <{FAMILY}fay> <{FAMILY}hasParent> ?p }}", "owlrl") == [(FAMILY + "eve",)]


def test_a_named_graph_stays_named_unless_the_data_declares_it_a_source_graph(client: FlaskClient) -> None:
    fact = f"<{FAMILY}gus> a <{FAMILY}Parent>"
    run(client, f"INSERT DATA {{ GRAPH <http://example.org/g1> {{ {fact} }} }}")
    assert select(client, f"SELECT ?g WHERE {{ GRAPH ?g {{ {fact} }} }}") == [("http://example.org/g1",)]
    assert select(client, f"SELECT ?x WHERE {{ ?x a <{FAMILY}Parent> FILTER(?x = <{FAMILY}gus>) }}") == []
    run(client, f"DELETE DATA {{ GRAPH <http://example.org/g1> {{ {fact} }} }}")
    assert select(client, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{FAMILY}gus> ?p ?o }} }}") == []
    run(client, "INSERT DATA { <http://example.org/g2> a kg:SourceGraph }")
    run(client, f"INSERT DATA {{ GRAPH <http://example.org/g2> {{ {fact} }} }}")
    assert select(client, f"SELECT ?g WHERE {{ GRAPH ?g {{ {fact} }} }}") == [("http://example.org/g2",)]
    assert (FAMILY + "gus",) in select(client, "SELECT ?x WHERE { ?x a schema:Person }", "owlrl")


def test_a_triple_held_by_two_graphs_leaves_asserted_only_with_the_last(client: FlaskClient) -> None:
    triple = "<http://example.org/a> <http://example.org/b> <http://example.org/c>"
    asserted = f"SELECT (COUNT(*) AS ?n) WHERE {{ {triple} }}"
    run(client, "INSERT DATA { <http://example.org/g1> a kg:SourceGraph . <http://example.org/g2> a kg:SourceGraph }")
    run(client, f"INSERT DATA {{ GRAPH <http://example.org/g1> {{ {triple} }} GRAPH <http://example.org/g2> {{ {triple} }} }}")
    run(client, f"DELETE DATA {{ GRAPH <http://example.org/g1> {{ {triple} }} }}")
    assert select(client, f"SELECT ?g WHERE {{ GRAPH ?g {{ {triple} }} }}") == [("http://example.org/g2",)]
    assert select(client, asserted) == [("1",)]
    run(client, "CLEAR NAMED")
    assert select(client, f"SELECT ?g WHERE {{ GRAPH ?g {{ {triple} }} }}") == []
    assert select(client, asserted) == [("0",)]


def test_delete_insert_where_with_templates(client: FlaskClient) -> None:
    run(client, f"""PREFIX ex: <{FAMILY}>
DELETE {{ ?p ex:age ?age }}
INSERT {{ ?p ex:born ?year ; ex:note [ ex:text "moved" ] . ?p ex:unbound ?nothing }}
WHERE {{ ?p ex:age ?age BIND(2021 - ?age AS ?year) }}""")
    assert select(client, f"SELECT ?p ?y WHERE {{ ?p <{FAMILY}born> ?y }}") == [(FAMILY + "ann", "1960")]
    assert select(client, f"SELECT ?a WHERE {{ ?p <{FAMILY}age> ?a }}") == []
    assert select(client, f"SELECT ?t WHERE {{ <{FAMILY}ann> <{FAMILY}note> ?n . ?n <{FAMILY}text> ?t }}") == [("moved",)]
    assert select(client, f"SELECT ?o WHERE {{ ?s <{FAMILY}unbound> ?o }}") == []


def test_delete_where_and_with(client: FlaskClient) -> None:
    run(client, f"INSERT DATA {{ GRAPH <http://example.org/w> {{ <{FAMILY}ann> <{FAMILY}likes> 'tea', 'jam' }} }}")
    run(client, f"WITH <http://example.org/w> DELETE {{ ?s <{FAMILY}likes> 'tea' }} INSERT {{ ?s <{FAMILY}likes> 'coffee' }} WHERE {{ ?s <{FAMILY}likes> 'tea' }}")
    assert select(client, f"SELECT ?o WHERE {{ GRAPH <http://example.org/w> {{ ?s <{FAMILY}likes> ?o }} }}") == [("coffee",), ("jam",)]
    run(client, f"DELETE WHERE {{ GRAPH <http://example.org/w> {{ ?s <{FAMILY}likes> ?o }} }}")
    assert select(client, f"SELECT ?o WHERE {{ ?s <{FAMILY}likes> ?o }}") == []


def test_using_names_the_where_dataset(client: FlaskClient) -> None:
    run(client, "INSERT DATA { GRAPH <http://example.org/u> { <http://example.org/x> a <http://example.org/T> } }")
    run(client, "INSERT { <http://example.org/found> <http://example.org/is> ?x } USING <http://example.org/u> WHERE { ?x a <http://example.org/T> }")
    run(client, "INSERT { <http://example.org/none> <http://example.org/is> ?x } USING <http://example.org/elsewhere> WHERE { ?x a <http://example.org/T> }")
    assert select(client, "SELECT ?s ?x WHERE { ?s <http://example.org/is> ?x }") == [("http://example.org/found", "http://example.org/x")]


def test_graph_management(client: FlaskClient) -> None:
    run(client, "INSERT DATA { GRAPH <http://example.org/a> { <http://example.org/s> <http://example.org/p> 1, 2 } }")
    run(client, "COPY <http://example.org/a> TO <http://example.org/b> ; ADD GRAPH <http://example.org/a> TO <http://example.org/c>")
    run(client, "MOVE <http://example.org/b> TO GRAPH <http://example.org/d>")
    counts = select(client, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { <http://example.org/s> ?p ?o } } GROUP BY ?g")
    assert counts == sorted([("http://example.org/a", "2"), ("http://example.org/c", "2"), ("http://example.org/d", "2")])
    run(client, "DROP GRAPH <http://example.org/a> ; CLEAR SILENT GRAPH <http://example.org/c> ; DROP GRAPH <http://example.org/never>")
    assert select(client, "SELECT DISTINCT ?g WHERE { GRAPH ?g { <http://example.org/s> ?p ?o } }") == [("http://example.org/d",)]
    reply = client.post("/sparql", data="CREATE GRAPH <http://example.org/d>", content_type="application/sparql-update", headers=AUTH)
    assert reply.status_code == 400 and "already exists" in reply.get_data(as_text=True)
    run(client, "CREATE SILENT GRAPH <http://example.org/d> ; CREATE GRAPH <http://example.org/new>")
    run(client, "CLEAR DEFAULT")
    assert select(client, "SELECT ?s WHERE { ?s ?p ?o }", "owlrl") == []


def test_inferred_graphs_cannot_be_changed(client: FlaskClient) -> None:
    for text in (
        "CLEAR GRAPH graph:inferred",
        "DROP GRAPH <http://localhost:8000/graph/inferred-rdfs>",
        "INSERT DATA { GRAPH graph:inferred { <http://a> <http://b> <http://c> } }",
        "COPY DEFAULT TO graph:inferred",
        "MOVE graph:inferred TO <http://example.org/x>",
    ):
        reply = client.post("/sparql", data=text, content_type="application/sparql-update", headers=AUTH)
        assert reply.status_code == 400, text
        assert "computed by the reasoner" in reply.get_data(as_text=True)
    run(client, "ADD graph:inferred TO <http://example.org/materialized>")
    assert (FAMILY + "Parent",) in select(client, f"SELECT ?t WHERE {{ GRAPH <http://example.org/materialized> {{ <{FAMILY}ann> a ?t }} }}")


def test_a_failing_operation_undoes_the_whole_request(client: FlaskClient) -> None:
    before = select(client, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    reply = client.post("/sparql", content_type="application/sparql-update", headers=AUTH,
                        data="INSERT DATA { <http://example.org/new> <http://example.org/p> 1 } ;\nCLEAR DEFAULT ;\nCLEAR GRAPH graph:inferred")
    assert reply.status_code == 400
    assert select(client, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }") == before


def test_malformed_updates_say_where(client: FlaskClient) -> None:
    cases = {
        "INSERT DATA { <http://a> <http://b> }": (1, 37),
        "PREFIX ex: <http://ex/>\nINSERT { ?s ex:p ?o }\nWHERE { ?s ex:q ?o FILTER( }": (3, 29),
        "DELETE DATA { _:b <http://b> <http://c> }": (1, 15),  # the blank node itself
        "CLEAR ALL ;\nFROB GRAPH <http://x>": (2, 1),
        "INSERT DATA { nope:a <http://b> <http://c> }": None,
    }
    for text, position in cases.items():
        reply = client.post("/sparql", data=text, content_type="application/sparql-update", headers={**AUTH, "Accept": "application/json"})
        assert reply.status_code == 400, text
        body = reply.get_json()
        if position:
            assert (body["line"], body["column"]) == position, (text, body)
        assert "Traceback" not in body["error"]


def test_updates_reach_the_worker_replicas() -> None:
    """After an update's 2xx, queries answered by the pool's workers see it (closure included)."""
    settings = Settings(base_uri=BASE, write_token=TOKEN, workers=2)
    graph = family_graph(settings)
    pool = WorkerPool(graph, settings)
    try:
        client = create_app(settings, graph, evaluator=pool).test_client()
        for round_number in range(3):
            run(client, f"INSERT DATA {{ <{FAMILY}kid{round_number}> a <{FAMILY}Parent> }}")
            for _ in range(2 * settings.workers):  # every worker answers at least once
                people = select(client, "SELECT ?x WHERE { ?x a schema:Person }", "owlrl")
                assert (f"{FAMILY}kid{round_number}",) in people
        run(client, f"DELETE WHERE {{ ?x a <{FAMILY}Parent> }}")
        for _ in range(2 * settings.workers):
            assert select(client, f"SELECT ?x WHERE {{ ?x a <{FAMILY}Parent> }}", "owlrl") == [(FAMILY + "ann",), (FAMILY + "bob",)]
    finally:
        pool.close()


def test_new_workers_start_from_the_current_data(tmp_path: Path) -> None:
    settings = Settings(base_uri=BASE, write_token=TOKEN, workers=1, query_timeout=1)
    graph = family_graph(settings)
    pool = WorkerPool(graph, settings)
    try:
        client = create_app(settings, graph, evaluator=pool).test_client()
        run(client, f"INSERT DATA {{ <{FAMILY}late> a <{FAMILY}Parent> }}")
        slow = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"})
        assert slow.status_code == 503
        assert select(client, f"SELECT ?x WHERE {{ <{FAMILY}late> a ?x }}", "none") == [(FAMILY + "Parent",)]
    finally:
        pool.close()


def test_load_works_when_an_operator_enables_it() -> None:
    """With KG_ALLOW_LOAD, LOAD reads the document (format from its media type) into the graph named by INTO."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Document(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 — the http.server API
            body = f"<{FAMILY}loaded> a <{FAMILY}Parent> .\n".encode()
            self.send_response(200 if self.path == "/data" else 404)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    listener = ThreadingHTTPServer(("127.0.0.1", 0), Document)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    try:
        settings = Settings(base_uri=BASE, write_token=TOKEN, allow_load=True)
        client = create_app(settings, family_graph(settings)).test_client()
        url = f"http://127.0.0.1:{listener.server_address[1]}"
        run(client, f"LOAD <{url}/data> INTO GRAPH <http://example.org/loaded>")
        assert select(client, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{FAMILY}loaded> a <{FAMILY}Parent> }} }}") == [
            ("http://example.org/loaded",)]
        run(client, f"LOAD <{url}/data>")
        assert (FAMILY + "loaded",) in select(client, "SELECT ?x WHERE { ?x a schema:Person }", "owlrl")
        missing = client.post("/sparql", data=f"LOAD <{url}/missing>", content_type="application/sparql-update", headers=AUTH)
        assert missing.status_code == 400 and "LOAD" in missing.get_data(as_text=True)
        run(client, f"LOAD SILENT <{url}/missing>")
    finally:
        listener.shutdown()
        listener.server_close()
