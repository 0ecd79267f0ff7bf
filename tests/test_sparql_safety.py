"""Limits and safety of ``kg serve`` on 127.0.0.1: no outbound request, no local file, a time limit that stops work.

A listener on 127.0.0.1 records every connection: SERVICE, LOAD and FROM must
never reach it.  The time limit is checked with a query that would run for
minutes; the row cap with answers longer than it.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import rdflib
from rdflib.query import Result

from tests.conftest import FIXTURES
from tests.live_server import LiveServer, Reply, live_server
from tests.test_sparql_protocol import GRAPH_PARSERS, RESULT_PARSERS, media_type

TOKEN = "safety-test-token"
TIMEOUT = 1.0
MAX_ROWS = 5
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"


class Listener:
    """A TCP listener on 127.0.0.1 that records the first bytes of every connection it gets."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            connection.settimeout(1)
            try:
                self.received.append(connection.recv(4096) or b"(connected)")
            except OSError:
                self.received.append(b"(connected)")
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Nesting limit lifted so that a query can still reach the engine and crash it (the crash path is under test).
    env = {"KG_QUERY_TIMEOUT": str(TIMEOUT), "KG_MAX_RESULT_ROWS": str(MAX_ROWS), "KG_WRITE_TOKEN": TOKEN,
           "KG_MAX_NESTING_DEPTH": "100000"}
    with live_server(tmp_path_factory.mktemp("safety"), FIXTURES / "family.ttl", env=env) as running:
        yield running


@pytest.fixture
def listener() -> Iterator[Listener]:
    opened = Listener()
    yield opened
    opened.close()


def query(server: LiveServer, text: str, accept: str = "application/sparql-results+json", extra: str = "") -> Reply:
    return server.request("POST", f"/sparql{extra}", text, {"Content-Type": "application/sparql-query", "Accept": accept})


def update(server: LiveServer, text: str) -> Reply:
    return server.request("POST", "/sparql", text, {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})


# -- no outbound requests, no local files ------------------------------------------------------------------


def test_service_is_refused_however_it_is_written(server: LiveServer, listener: Listener) -> None:
    spellings = [
        f"SELECT * WHERE {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ sErViCe <{listener.url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE#comment\n<{listener.url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE\t<{listener.url}> {{ ?s ?p ?o }} }} }} }}",
        f"PREFIX ex: <{listener.url}>\nASK {{ SERVICE ex:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{listener.url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    ]
    for text in spellings:
        reply = query(server, text)
        assert reply.status == 400, text
        assert "SERVICE" in reply.text and "KG_ALLOW_SERVICE" in reply.text
    form = server.request("GET", f"/sparql?query={quote(spellings[1])}")
    assert form.status == 400
    # An escaped keyword is not a keyword to the engine either: a syntax error, nothing sent.
    escaped = query(server, f"SELECT * WHERE {{ \\u0053ERVICE <{listener.url}> {{ ?s ?p ?o }} }}")
    assert escaped.status == 400
    time.sleep(0.5)
    assert listener.received == []


def test_service_as_a_name_is_not_a_keyword(server: LiveServer) -> None:
    reply = query(server, 'SELECT ?service WHERE { BIND("SERVICE <http://x/>" AS ?service) FILTER(?service != <http://service/SERVICE>) }')
    assert reply.status == 200


def test_from_never_fetches(server: LiveServer, listener: Listener) -> None:
    for text in (
        f"SELECT * FROM <{listener.url}data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{listener.url}g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ GRAPH <{listener.url}g> {{ ?s ?p ?o }} }}",
    ):
        reply = query(server, text)
        assert reply.status == 200
        assert list(Result.parse(io.BytesIO(reply.body), format="json")) == []
    reply = query(server, "SELECT * WHERE { ?s ?p ?o }", extra=f"?default-graph-uri={quote(listener.url, safe='')}")
    assert list(Result.parse(io.BytesIO(reply.body), format="json")) == []
    time.sleep(0.5)
    assert listener.received == []


def test_no_local_file_is_read(server: LiveServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.ttl"
    secret.write_text('<http://example.org/secret> <http://example.org/is> "the-secret-value" .\n')
    for text in (
        f"SELECT * FROM <file://{secret}> WHERE {{ ?s ?p ?o }}",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        f"SELECT * FROM NAMED <file://{secret}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    ):
        reply = query(server, text, accept="text/csv")
        assert reply.status == 200
        assert reply.text.strip().count("\n") == 0, reply.text
        assert "the-secret-value" not in reply.text and "root:" not in reply.text
    reply = query(server, "SELECT * WHERE { ?s ?p ?o }", accept="text/csv", extra="?default-graph-uri=file%3A%2F%2F%2Fetc%2Fpasswd")
    assert "root:" not in reply.text and reply.text.strip().count("\n") == 0


def test_load_is_refused_however_it_is_written(server: LiveServer, listener: Listener, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.ttl"
    secret.write_text('<http://example.org/secret> <http://example.org/is> "the-secret-value" .\n')
    for text in (
        f"LOAD <{listener.url}data.ttl>",
        f"load silent <{listener.url}data.ttl> INTO GRAPH <http://example.org/g>",
        f"INSERT DATA {{ <http://a> <http://b> <http://c> }} ;\nLoAd # comment\n<file://{secret}>",
        "LOAD <file:///etc/passwd>",
    ):
        reply = update(server, text)
        assert reply.status == 400, text
        assert "LOAD" in reply.text and "KG_ALLOW_LOAD" in reply.text
    check = query(server, 'ASK { { ?s ?p "the-secret-value" } UNION { <http://a> <http://b> <http://c> } }')
    assert Result.parse(io.BytesIO(check.body), format="json").askAnswer is False
    time.sleep(0.5)
    assert listener.received == []


def test_service_in_an_update_is_refused(server: LiveServer, listener: Listener) -> None:
    reply = update(server, f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")
    assert reply.status == 400
    assert "KG_ALLOW_SERVICE" in reply.text
    time.sleep(0.5)
    assert listener.received == []


# -- the time limit ------------------------------------------------------------------------------------------


def test_time_limit_stops_the_query_and_others_are_served(server: LiveServer) -> None:
    assert server.worker_count() >= 2
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        explosive = pool.submit(query, server, EXPLOSIVE)
        time.sleep(0.2)
        light_started = time.monotonic()
        light = query(server, "ASK { ?s ?p ?o }")
        light_seconds = time.monotonic() - light_started
        stopped = explosive.result(timeout=30)
        elapsed = time.monotonic() - started
    assert light.status == 200 and light_seconds < TIMEOUT
    assert stopped.status == 503
    assert "1 s time limit" in stopped.text and "KG_QUERY_TIMEOUT" in stopped.text
    assert TIMEOUT <= elapsed < TIMEOUT + 1.5
    deadline = time.monotonic() + 30
    while server.worker_count() < 2 and time.monotonic() < deadline:  # replaced (spares may be starting too)
        time.sleep(0.1)
    assert server.worker_count() >= 2
    assert "stopped after the 1 s time limit" in server.log()
    for _ in range(4):
        assert query(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1").status == 200


def test_a_query_that_crashes_the_engine_is_answered_and_its_worker_replaced(server: LiveServer) -> None:
    nested = "SELECT (" + "STR(" * 3000 + "1" + ")" * 3000 + " AS ?x) {}"
    reply = query(server, nested)
    assert reply.status == 400
    assert "crashed" in reply.text and "Traceback" not in reply.text
    deadline = time.monotonic() + 30
    while server.worker_count() < 2 and time.monotonic() < deadline:  # replaced (spares may be starting too)
        time.sleep(0.1)
    assert server.worker_count() >= 2
    assert query(server, "ASK {}").status == 200


# -- the row cap -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", list(RESULT_PARSERS))
def test_row_cap_truncates_solutions_and_says_so(server: LiveServer, accept: str) -> None:
    reply = query(server, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", accept=accept)
    assert reply.status == 200 and media_type(reply) == accept
    assert reply.headers["x-sparql-maxrows"] == str(MAX_ROWS)
    assert len(list(Result.parse(io.BytesIO(reply.body), format=RESULT_PARSERS[accept]))) == MAX_ROWS
    small = query(server, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", accept=accept)
    assert "x-sparql-maxrows" not in small.headers
    assert len(list(Result.parse(io.BytesIO(small.body), format=RESULT_PARSERS[accept]))) == 3


@pytest.mark.parametrize("accept", list(GRAPH_PARSERS))
def test_row_cap_truncates_graphs_and_says_so(server: LiveServer, accept: str) -> None:
    reply = query(server, "CONSTRUCT WHERE { ?s ?p ?o }", accept=accept)
    assert reply.status == 200 and reply.headers["x-sparql-maxrows"] == str(MAX_ROWS)
    dataset = rdflib.Dataset()
    dataset.parse(data=reply.body, format=GRAPH_PARSERS[accept])
    assert len(list(dataset.quads((None, None, None, None)))) == MAX_ROWS


def test_request_log_has_one_line_per_request_with_rows(server: LiveServer) -> None:
    query(server, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2", extra="?tag=log-check")
    server.log_holding("tag=log-check")
    time.sleep(0.2)  # a second line would be there by now
    lines = [line for line in server.log().splitlines() if "tag=log-check" in line]
    assert len(lines) == 1
    assert " POST /sparql?tag=log-check 200 " in lines[0] and "ms rows=2" in lines[0]


# -- updates: their WHERE patterns run under the same limits ---------------------------------------------------


def ask(server: LiveServer, text: str) -> bool:
    reply = query(server, text)
    assert reply.status == 200, reply.text
    return bool(json.loads(reply.body)["boolean"])


def test_an_update_whose_where_explodes_is_stopped_and_changes_nothing(server: LiveServer) -> None:
    pattern = EXPLOSIVE.replace("SELECT (COUNT(*) AS ?n) WHERE", "")
    text = ("INSERT DATA { <urn:x-test:exploded> <urn:x-test:p> 1 } ;\n"
            f"INSERT {{ <urn:x-test:exploded> <urn:x-test:n> ?n }} WHERE {{ {{ SELECT (COUNT(*) AS ?n) WHERE {pattern} }} }}")
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        stopped = pool.submit(update, server, text)
        time.sleep(0.2)
        light_started = time.monotonic()
        assert query(server, "ASK { ?s ?p ?o }").status == 200
        light_seconds = time.monotonic() - light_started
        reply = stopped.result(timeout=30)
        elapsed = time.monotonic() - started
    assert reply.status == 503 and "1 s time limit" in reply.text and "Traceback" not in reply.text
    assert TIMEOUT <= elapsed < TIMEOUT + 1.5 and light_seconds < TIMEOUT
    assert not ask(server, "ASK { <urn:x-test:exploded> ?p ?o }")  # the first operation was taken back too
    assert update(server, "INSERT DATA { <urn:x-test:after> <urn:x-test:p> 2 }").status == 200
    assert ask(server, "ASK { <urn:x-test:after> <urn:x-test:p> 2 }")
    assert update(server, "DELETE DATA { <urn:x-test:after> <urn:x-test:p> 2 }").status == 200


def test_a_where_pattern_sees_the_earlier_operations_of_its_update(server: LiveServer) -> None:
    text = ('INSERT DATA { <urn:x-test:a> <urn:x-test:p> 1 ; <urn:x-test:r> [ <urn:x-test:label> "blank" ] } ;\n'
            "INSERT { ?s <urn:x-test:q> ?o } WHERE { ?s <urn:x-test:p> ?o } ;\n"
            "DELETE { ?b <urn:x-test:label> ?l } WHERE { <urn:x-test:a> <urn:x-test:r> ?b . ?b <urn:x-test:label> ?l }")
    reply = update(server, text)
    assert reply.status == 200, reply.text
    for _ in range(6):  # whichever worker answers
        assert ask(server, "ASK { <urn:x-test:a> <urn:x-test:q> 1 }")
        assert ask(server, "ASK { <urn:x-test:a> <urn:x-test:r> ?b }")
        assert not ask(server, "ASK { ?b <urn:x-test:label> ?l }")  # the same blank node, found by the worker
    assert "holds the uncommitted changes of an update" in server.log_holding("holds the uncommitted changes")
    assert update(server, "DELETE WHERE { <urn:x-test:a> ?p ?o }").status == 200
    assert not ask(server, "ASK { <urn:x-test:a> ?p ?o }")


def test_an_update_whose_where_has_more_solutions_than_the_cap_is_refused(server: LiveServer) -> None:
    reply = update(server, "INSERT { ?s <urn:x-test:copy> ?o } WHERE { ?s ?p ?o }")
    assert reply.status == 400
    assert f"more than {MAX_ROWS} solutions (KG_MAX_RESULT_ROWS)" in reply.text and "nothing was changed" in reply.text
    assert not ask(server, "ASK { ?s <urn:x-test:copy> ?o }")
