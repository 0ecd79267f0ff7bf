"""Hostile and malformed requests: generated ones against a real ``kg serve``, and properties of what reads them.

:func:`hostile_request` makes one request from a seeded random generator —
deep or long queries, huge numbers, bad dates, unknown functions, regex bombs,
bodies in the wrong encoding or compression, junk headers, methods and paths,
path traversal — and ``bench/fuzz.py`` sends thousands of them.  Here a few
hundred go to a real server: none may be answered with a 5xx other than a 503
for the time limit, none may carry a traceback, and the server must be alive
and answer correctly afterwards.  Raw malformed HTTP goes over a socket.  The
property tests check, in-process and on thousands of inputs, that the readers
of a request raise only their own typed errors.
"""

from __future__ import annotations

import gzip
import io
import random
import socket
import string
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.query import Result

from kg.app import create_app
from kg.evaluation.pool import WorkerPool
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from kg.sparql.errors import HttpError, QueryError
from kg.sparql.protocol import ProtocolError, decode_content, parse_request
from kg.sparql.safety import check_query, check_update
from tests.conftest import FIXTURES
from tests.live_server import LiveServer, live_server

TOKEN = "fuzz-token"
TIME_LIMIT = 1.0
#: A label with markup: pages must show it as text.
SCRIPT_LABEL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
_ESCAPED_LABEL = SCRIPT_LABEL.replace('"', '\\"')
LABELLED = f"""@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://localhost:8000/id/person/mallory> a <https://schema.org/Person> ; rdfs:label "{_ESCAPED_LABEL}"@en .
"""

KEYWORDS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "BIND", "AS",
            "VALUES", "GRAPH", "SERVICE", "EXISTS", "NOT", "GROUP", "BY", "ORDER", "LIMIT", "OFFSET", "DISTINCT",
            "FROM", "NAMED", "PREFIX", "BASE", "a", "UNDEF", "COUNT", "STR", "REGEX", "INSERT", "DELETE", "DATA", "LOAD"]
PIECES = ["{", "}", "(", ")", "[", "]", ".", ";", ",", "*", "/", "|", "^", "!", "+", "-", "=", "<", ">", "&&", "||",
          "?s", "?p", "?o", "$x", "_:b", "ex:a", ":", "<http://example.org/a>", "<file:///etc/passwd>", '"x"', "'y'",
          '"""z"""', "1", "-0.5e10", "9" * 400, "@en", "^^", "#c\n", "\\u0053", "\x00", "\u202e", "𝔘", "é", "\ufeff"]
FUNCTIONS = ["STR", "LANG", "YEAR", "REGEX", "SUBSTR", "REPLACE", "SHA512", "STRDT", "IRI", "BNODE", "ABS", "CONCAT",
             "<http://example.org/f>", "<http://www.w3.org/2001/XMLSchema#integer>",
             "<http://www.w3.org/2001/XMLSchema#dateTime>"]
ODD_LITERALS = ['"2020-13-45"^^<http://www.w3.org/2001/XMLSchema#date>', '"1e99999"^^<http://www.w3.org/2001/XMLSchema#double>',
                '"' + "9" * 5000 + '"^^<http://www.w3.org/2001/XMLSchema#integer>', "9" * 5000, '"x"@' + "a" * 300,
                '"\\uD800"', '"\u0000"', '"-0"^^<http://www.w3.org/2001/XMLSchema#decimal>', "1e400", "NaN"]
EXPLOSIVE = ["SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
             'SELECT * WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?a), STR(?d), "aaaaaaaaaaaaaaaaaaaaaaaa!"), "(a+)+$")) }']
NESTERS = [("{ ", " }"), ("STR(", ")"), ("(", ")"), ("{ FILTER EXISTS { ", " } }"), ("OPTIONAL { ", " }"),
           ("{ SELECT * WHERE { ", " } }"), ("!(", ")"), ("[ <http://p> ", " ]"), ("GRAPH ?g { ", " }")]
CHAINS = [" UNION ", " || ", " && ", " + ", "/", "|", " . ", " ; <http://p> "]
CONTENT_TYPES = ["application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded",
                 "text/plain", "application/json", "multipart/form-data; boundary=xyz", "application/sparql-query; charset=",
                 "application/sparql-query; charset=utf-16", "application/sparql-query; charset=latin-1",
                 "application/sparql-query; charset=klingon", ";;;", "application/x-www-form-urlencoded; charset=utf-7",
                 "application/rdf+xml", "text/turtle"]
ACCEPTS = ["*/*", "text/csv", "application/sparql-results+json;q=0", "image/png", "text/*;q=0.1, */*;q=abc", "",
           "application/rdf+xml", "text/html", ",,,;;;", "a/b/c", "application/ld+json;profile=x"]
PATHS = ["/sparql", "/sparql/", "/query", "/api/queries", "/api/queries/{j}", "/api/queries/{j}/run",
         "/api/queries/{j}/history", "/id/{j}", "/doc/{j}", "/graph/{j}", "/ontology", "/.well-known/void", "/static/{j}",
         "/explain", "/{j}"]
TRAVERSALS = ["..%2F..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "..%252F..%252Fetc%252Fpasswd", "%2e%2e/%2e%2e/etc/passwd",
              "....//....//etc/passwd", "..\\..\\etc\\passwd", "%00", "x%00.rq", "%c0%ae%c0%ae/etc/passwd",
              "/etc/passwd", "file:///etc/passwd", "..", ".", "a" * 5000, "%", "%zz", "é/ü", "%ff%fe"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "MKCOL", "BREW", "X" * 50]


@dataclass
class HostileRequest:
    """One request to send: method, path with its query string, headers and body."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def hostile_query(rng: random.Random) -> str:
    """A hostile or malformed SPARQL query (or update)."""
    kind = rng.randrange(9)
    if kind == 0:
        opening, closing = rng.choice(NESTERS)
        depth = rng.choice([50, 99, 101, 300, 1000, 3000, 10000])
        return "SELECT * WHERE { " + opening * depth + "?s ?p ?o" + closing * depth + " }"
    if kind == 1:
        joiner = rng.choice(CHAINS)
        count = rng.choice([100, 999, 1001, 3000, 10000])
        return "SELECT * WHERE { FILTER(" + joiner.join(["true"] * count) + ") }" if "|" in joiner or "&" in joiner \
            else "SELECT * WHERE { " + joiner.join(["{ ?s <http://p> ?o }"] * count) + " }"
    if kind == 2:
        function = rng.choice(FUNCTIONS)
        literal = rng.choice(ODD_LITERALS)
        return f"SELECT ({function}({literal}) AS ?x) WHERE {{ ?s ?p ?o }} LIMIT 3"
    if kind == 3:
        return " ".join(rng.choice(KEYWORDS + PIECES) for _ in range(rng.randrange(1, 60)))
    if kind == 4:
        base = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 5"
        chars = list(base)
        for _ in range(rng.randrange(1, 6)):
            position = rng.randrange(len(chars))
            chars[position:position + rng.randrange(3)] = rng.choice(PIECES + list(string.punctuation))
        return "".join(chars)
    if kind == 5:
        rows = rng.choice([10, 9999, 10001, 30000])
        return "SELECT * WHERE { VALUES ?x { " + " ".join(str(i) for i in range(rows)) + " } }"
    if kind == 6:
        return rng.choice([
            "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "LOAD <file:///etc/passwd>",
            "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "ASK { " + "?s ?p ?o . " * 300 + "}",
            "SELECT * WHERE { ?s ?p ?o } LIMIT 99999999999999999999999", "DESCRIBE ?x", "CLEAR ALL", "DROP DEFAULT",
            "INSERT DATA { <http://a> <http://b> " + rng.choice(ODD_LITERALS) + " }",
        ])
    if kind == 7:
        return rng.choice(EXPLOSIVE) if rng.random() < 0.3 else "ASK { ?s ?p ?o }"
    return "SELECT * WHERE { ?s ?p ?o } #" + "x" * rng.choice([1000, 100_000, 300_000])


def hostile_body(rng: random.Random, text: str) -> tuple[bytes, dict[str, str]]:
    """``text`` as a body, mis-declared, mis-encoded or mis-compressed at random."""
    headers: dict[str, str] = {"Content-Type": rng.choice(CONTENT_TYPES)}
    encoding = rng.choice(["utf-8", "utf-8", "latin-1", "utf-16", "utf-32", "cp1252"])
    body = text.encode(encoding, errors="replace")
    if headers["Content-Type"].startswith("application/x-www-form-urlencoded"):
        body = b"query=" + quote(text).encode() if rng.random() < 0.7 else bytes(rng.randrange(256) for _ in range(200))
    roll = rng.random()
    if roll < 0.15:
        headers["Content-Encoding"] = "gzip"
        body = gzip.compress(body)
    elif roll < 0.2:
        headers["Content-Encoding"] = "deflate"
        body = zlib.compress(body)
    elif roll < 0.25:
        headers["Content-Encoding"] = rng.choice(["gzip", "deflate", "br", "gzip, identity", "x" * 20])
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    elif roll < 0.28:
        headers["Content-Encoding"] = "gzip"
        body = gzip.compress(b" " * 20_000_000)  # a bomb
    elif roll < 0.35:
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
    return body, headers


def hostile_request(rng: random.Random) -> HostileRequest:
    """One hostile or malformed request, drawn from ``rng``."""
    roll = rng.random()
    accept = rng.choice(ACCEPTS)
    headers = {"Accept": accept} if accept else {}
    if roll < 0.35:
        text = hostile_query(rng)
        extra = rng.choice(["", "&reasoning=" + rng.choice(["none", "rdfs", "x", ""]), "&format=" + rng.choice(["csv", "x", "%00"]),
                            "&default-graph-uri=" + quote(rng.choice(["not an iri", "file:///etc/passwd", "<x>", ""])),
                            "&named-graph-uri=" + quote(rng.choice(TRAVERSALS)), "&query=ASK%7B%7D"])
        return HostileRequest("GET", f"/sparql?query={quote(text)}{extra}", headers)
    if roll < 0.65:
        text = hostile_query(rng)
        body, body_headers = hostile_body(rng, text)
        if rng.random() < 0.3:
            body_headers["Authorization"] = rng.choice([f"Bearer {TOKEN}", "Bearer wrong", "Basic eDp5", "Bearer"])
        return HostileRequest("POST", "/sparql" + rng.choice(["", "?update=x", "?using-graph-uri=x"]), {**headers, **body_headers},
                              body)
    if roll < 0.85:
        junk = rng.choice(TRAVERSALS + [quote(hostile_query(rng)[:200], safe="")])
        path = rng.choice(PATHS).replace("{j}", junk)
        if rng.random() < 0.3:
            path += "?" + rng.choice(["name=" + junk, "sparql=" + quote(hostile_query(rng)[:2000]) + "&action=run",
                                      "format=" + junk, "run=1&name=" + junk, "q=" + junk, "x=%ff"])
        return HostileRequest(rng.choice(["GET", "GET", "HEAD", "POST"]), path, headers)
    method = rng.choice(METHODS)
    body, body_headers = hostile_body(rng, hostile_query(rng)) if method in ("PUT", "POST", "PATCH") else (b"", {})
    if rng.random() < 0.5:
        body_headers["Authorization"] = f"Bearer {TOKEN}"
    return HostileRequest(method, rng.choice(PATHS).replace("{j}", rng.choice(TRAVERSALS)), {**headers, **body_headers},
                          body)


def acceptable(status: int, body: bytes) -> str | None:
    """Why an answer breaks the rules (None if it keeps them): a 5xx other than a time-limit 503, or a traceback."""
    if b"Traceback" in body or b'File "/' in body:
        return "a traceback in the body"
    if status >= 500 and not (status == 503 and b"time limit" in body):
        return f"status {status}: {body[:300]!r}"
    return None


# -- against a real server ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("fuzz")
    labelled = directory / "labelled.ttl"
    labelled.write_text(LABELLED, encoding="utf-8")
    env = {"KG_QUERY_TIMEOUT": str(TIME_LIMIT), "KG_WRITE_TOKEN": TOKEN, "KG_QUERIES_DIR": str(directory / "queries")}
    with live_server(directory, FIXTURES / "family.ttl", labelled, env=env) as running:
        yield running


def send(server: LiveServer, request: HostileRequest) -> tuple[int, bytes]:
    """Send ``request`` (characters a request line cannot carry raw are percent-encoded); status 0 if refused."""
    path = "".join(char if 32 < ord(char) < 127 else quote(char) for char in request.path)
    try:
        reply = server.request(request.method, path, request.body or None, request.headers, timeout=30)
    except (ConnectionError, http_client_errors()) as error:  # the server may close a connection it will not serve
        return 0, str(error).encode()
    return reply.status, reply.body


def http_client_errors() -> type[Exception]:
    import http.client

    return http.client.HTTPException


def healthy(server: LiveServer) -> bool:
    """The server is alive and answers correctly."""
    reply = server.request("GET", "/sparql?query=" + quote("ASK { ?s ?p ?o }"), headers={"Accept": "application/sparql-results+json"})
    return server.process.poll() is None and reply.status == 200 and Result.parse(io.BytesIO(reply.body), format="json").askAnswer


def test_generated_hostile_requests_never_get_a_5xx_or_a_traceback(server: LiveServer) -> None:
    requests = [hostile_request(random.Random(seed)) for seed in range(300)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda request: send(server, request), requests))
    broken = [(r.method, r.path[:120], why) for r, (status, body) in zip(requests, answers, strict=True)
              if (why := acceptable(status, body))]
    assert not broken, broken[:5]
    assert {status for status, _ in answers} & {200, 400, 404}
    assert healthy(server)
    assert "Traceback" not in server.log() or "failed on a query" not in server.log()


RAW_REQUESTS = [
    b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n", b"TRACE /sparql HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /sparql HTTP/9.9\r\n\r\n", b"GET /sparql\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 500 + b"\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", b"POST /sparql HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\nASK {}",
    b"POST /sparql HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n",
    b"POST /sparql HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/sparql-query\r\n\r\nffffffffffff\r\n",
    b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
    b"GET /sparql?query=ASK%7B%7D HTTP/1.1\nHost: x\n\n", b"GET \x00\xff /\r\n\r\n", b"\r\n\r\n\r\n\r\n", b"A" * 70_000,
    b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\nASK",
]


def test_raw_malformed_http_leaves_the_server_alive_and_correct(server: LiveServer) -> None:
    for data in RAW_REQUESTS:
        reply = server.send_raw(data, timeout=5)
        assert not reply.startswith(b"HTTP/1.1 5") and b"Traceback" not in reply, (data[:60], reply[:200])
        assert healthy(server), data[:60]


# -- safe by default: escaping, headers, traversal --------------------------------------------------------


def test_pages_show_markup_in_labels_as_text_and_send_security_headers(server: LiveServer) -> None:
    page = server.request("GET", "/id/person/mallory", headers={"Accept": "text/html"})
    assert page.status == 200
    assert SCRIPT_LABEL.encode() not in page.body and b"<script>alert" not in page.body
    assert b"&lt;script&gt;alert(" in page.body
    for path in ("/id/person/mallory", "/", "/query", "/api/docs", "/no/such/page"):
        reply = server.request("GET", path, headers={"Accept": "text/html"})
        assert reply.headers["x-content-type-options"] == "nosniff", path
        directives = dict(part.strip().split(" ", 1) for part in reply.headers["content-security-policy"].split(";"))
        assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'", path
        assert "unsafe" not in directives.get("script-src", directives.get("default-src", "")), path
        if not path.startswith("/query"):  # the query page's editor styles itself inline
            assert "unsafe" not in directives.get("style-src", ""), path
    search = server.request("GET", "/query?" + "q=" + quote(SCRIPT_LABEL) + "&sparql=" + quote(f'SELECT ("{SCRIPT_LABEL.replace(chr(34), "")}" AS ?x) {{}}')
                            + "&action=run")
    assert b"<script>alert" not in search.body and b"<img src=x" not in search.body
    assert server.request("GET", "/sparql?query=ASK%7B%7D").headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", [
    "/api/queries/..%2F..%2F..%2Fetc%2Fpasswd", "/api/queries/..%2F..%2Fkg%2Fsettings", "/api/queries/../../etc/passwd",
    "/api/queries/%2e%2e%2f%2e%2e%2fetc%2fpasswd/run", "/api/queries/..%252F..%252Fetc%252Fpasswd", "/api/queries/x%00/run",
    "/id/../../etc/passwd", "/id/..%2F..%2Fetc%2Fpasswd", "/doc/..%2F..%2F..%2Fetc%2Fpasswd", "/doc/../../../etc/passwd.ttl",
    "/graph/..%2F..%2Fetc%2Fpasswd", "/static/../../../etc/passwd", "/static/..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/..%2fsettings.py", "/query?name=..%2F..%2F..%2Fetc%2Fpasswd&edit=1", "/query/download?name=../../etc/passwd",
    "/api/queries/..%5C..%5C..%5Cetc%5Cpasswd", "/api/queries/..\\..\\pyproject", "/api/queries/%2e%2e%5c%2e%2e%5cREADME/run",
    "/api/queries/dated-events%00.rq", "/doc/..%5c..%5cREADME.md", "/static/..%5c..%5capp.py", "/id/..%5c..%5cetc%5cpasswd",
])
def test_names_and_paths_cannot_leave_their_folders(server: LiveServer, path: str) -> None:
    reply = server.request("GET", path, headers={"Accept": "text/html, application/json;q=0.9"})
    assert reply.status < 500
    assert b"root:" not in reply.body and b"class Settings" not in reply.body
    if path.startswith(("/api/queries", "/id/", "/doc/", "/graph/", "/static/")):
        assert reply.status in (400, 404), (path, reply.status)
    put = server.request("PUT", path.split("?")[0], b"ASK {}", {"Content-Type": "application/sparql-query",
                                                                "Authorization": f"Bearer {TOKEN}"})
    assert put.status in (400, 404, 405), (path, put.status)
    assert not Path("/etc/passwd.rq").exists()


# -- properties of the request readers ---------------------------------------------------------------------

SMALL = Settings(base_uri="http://localhost:8000/", max_nesting_depth=20, max_operators=40, max_triple_patterns=10,
                 max_values_rows=10, max_query_length=5_000)
sparql_text = st.lists(st.sampled_from(KEYWORDS + PIECES + FUNCTIONS + ODD_LITERALS[:2]), max_size=80).map(" ".join) | st.text(
    max_size=400)


@settings(max_examples=1500, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparql_text)
def test_the_limit_checks_raise_only_query_errors(text: str) -> None:
    for check in (check_query, check_update):
        try:
            check(text, SMALL)
        except QueryError as error:
            assert 400 <= error.status < 500 and error.message


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(["GET", "POST"]), st.binary(max_size=300), st.sampled_from(CONTENT_TYPES + [None, ""]),
       st.binary(max_size=300))
def test_the_protocol_reader_raises_only_http_errors(method: str, query_string: bytes, content_type: str | None,
                                                         body: bytes) -> None:
    try:
        parse_request(method, query_string, content_type, body)
    except HttpError as error:
        assert 400 <= error.status < 500 and error.message


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=2000), st.sampled_from(["gzip", "deflate", "gzip, deflate", "identity", "br", "x-gzip", ""]),
       st.booleans())
def test_the_content_decoder_raises_only_protocol_errors_and_stays_in_its_limit(data: bytes, coding: str, compress: bool) -> None:
    if compress and "gzip" in coding:
        data = gzip.compress(data)
    try:
        assert len(decode_content(data, coding, 1_000)) <= max(1_000, len(data))
    except ProtocolError as error:
        assert error.status in (400, 413, 415)


# -- through the app itself (Flask's test client), with real query workers ---------------------------------------


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """The app as ``kg serve`` builds it (a worker pool answers queries), driven in-process by Flask's test client."""
    directory = tmp_path_factory.mktemp("fuzz-app")
    labelled = directory / "labelled.ttl"
    labelled.write_text(LABELLED, encoding="utf-8")
    settings = Settings(base_uri="http://localhost:8000/", query_timeout=TIME_LIMIT, write_token=TOKEN,
                        queries_dir=directory / "queries")
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl"), RdfSource(labelled)])
    pool = WorkerPool(graph, settings)
    try:
        app = create_app(settings, graph, evaluator=pool)
        yield app.test_client()
    finally:
        pool.close()


def test_generated_hostile_requests_through_the_app_never_get_a_5xx_or_a_traceback(app_client: FlaskClient) -> None:
    """Other seeds than the live server's, and every answer's security headers too."""
    broken = []
    statuses = set()
    for seed in range(10_000, 10_400):
        request = hostile_request(random.Random(seed))
        path = "".join(char if 32 < ord(char) < 127 else quote(char) for char in request.path)
        reply = app_client.open(path, method=request.method, headers=request.headers, data=request.body)
        statuses.add(reply.status_code)
        if why := acceptable(reply.status_code, reply.get_data()):
            broken.append((seed, request.method, request.path[:120], why))
        elif reply.headers.get("X-Content-Type-Options") != "nosniff" or "Content-Security-Policy" not in reply.headers:
            broken.append((seed, request.method, request.path[:120], "no security headers"))
    assert not broken, broken[:5]
    assert {200, 400, 404, 415} <= statuses
    reply = app_client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"})
    assert reply.status_code == 200 and reply.get_json()["boolean"] is True


def test_clients_trickling_their_headers_hold_no_thread(server: LiveServer) -> None:
    """Slowloris: more half-sent heads than the server has threads, while a slow but honest client and others are served."""
    held = []
    try:
        for _ in range(80):  # KG_THREADS is 32
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            connection.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            held.append(connection)
        honest = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        for piece in (b"GET /sparql?query=ASK%7B%7D HT", b"TP/1.1\r\nHost: x\r\nAccept: text/csv\r\n", b"Connection: close\r\n\r\n"):
            honest.sendall(piece)
            time.sleep(0.3)
        assert honest.recv(65536).startswith(b"HTTP/1.1 200")
        honest.close()
        started = time.monotonic()
        assert healthy(server)
        assert time.monotonic() - started < 2
    finally:
        for connection in held:
            connection.close()


def test_clients_too_slow_with_their_bodies_hold_no_thread_and_get_408(tmp_path: Path) -> None:
    """More stalled POST bodies than threads: other requests are answered at once, each stalled one 408 at the
    deadline, with its connection closed."""
    env = {"KG_BODY_TIMEOUT": "1.5", "KG_THREADS": "2"}
    with live_server(tmp_path, FIXTURES / "family.ttl", env=env) as server:
        stalled = []
        for _ in range(6):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            connection.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                               b"Content-Length: 100\r\n\r\nASK")
            stalled.append(connection)
        started = time.monotonic()
        assert healthy(server)
        assert time.monotonic() - started < 1
        for connection in stalled:
            answer = b""
            while chunk := connection.recv(65536):  # the server closes the connection after its answer
                answer += chunk
            connection.close()
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408") and b"connection: close" in head.lower(), answer[:300]
            assert b"more than 1.5 s to send its request" in body
        assert 1.4 < time.monotonic() - started < 10
        assert healthy(server)


def test_clients_that_do_not_read_their_answers_hold_no_thread(tmp_path: Path) -> None:
    """Clients that ask for large answers and never read them: others are still answered, as many at once."""
    query = quote("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 50000")  # 4,096 rows, about 1 MB
    with live_server(tmp_path, FIXTURES / "family.ttl", env={"KG_THREADS": "2"}) as server:
        readers = []
        for _ in range(6):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            for _ in range(4):  # pipelined: the server's writes back up
                connection.sendall(f"GET /sparql?query={query}&reasoning=none HTTP/1.1\r\nHost: x\r\n"
                                   "Accept: text/tab-separated-values\r\n\r\n".encode())
            readers.append(connection)
        time.sleep(1.0)
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            assert all(pool.map(lambda _: healthy(server), range(8)))
        assert time.monotonic() - started < 3
        assert server.request("GET", "/").status == 200  # a page, answered by a thread of the app
        for connection in readers:
            connection.close()


def test_a_body_cut_off_as_too_slow_is_answered_408_by_the_app(app_client: FlaskClient) -> None:
    from kg.web.errors import SlowClient

    class StalledBody(io.RawIOBase):
        def readinto(self, buffer: object) -> int:
            raise SlowClient(104, "the client took more than 20 s to send its request")

    from werkzeug.test import EnvironBuilder, run_wsgi_app

    environ = EnvironBuilder("/sparql", method="POST", data=b"x" * 100,
                             headers={"Content-Type": "application/sparql-query"}).get_environ()
    environ["wsgi.input"] = StalledBody()
    body, status, headers = run_wsgi_app(app_client.application, environ, buffered=True)
    assert status.startswith("408") and headers["Connection"] == "close"
    assert b"more than 20 s" in b"".join(body)
