"""Every request body decodes or is refused: content codings, charsets, sizes — never a 500.

``Content-Encoding`` gzip and deflate are undone before any surface reads the
body (capped once decoded: a compression bomb is a 413); other codings are 415.
A ``charset`` other than UTF-8 is converted, an unknown one is 415; bytes that
are not valid in the declared encoding are 400.  Checked through the app and,
for what only a real server does (chunked bodies, HTTP framing), through ``kg serve``.
"""

from __future__ import annotations

import gzip
import io
import socket
import zlib
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from rdflib.query import Result

from kg.app import create_app
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES
from tests.live_server import LiveServer, live_server

LIMIT = 100_000
QUERY = 'ASK { ?s ?p "Zoë" }'  # no such literal: answers false
CONVERTED = 'SELECT ?s WHERE { ?s a ?c FILTER(STR(?c) != "Zoë") } LIMIT 1'  # one row once "ë" is read right


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    settings = Settings(base_uri=BASE, max_request_bytes=LIMIT)
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    app = create_app(settings, graph)
    app.config["TESTING"] = True
    return app.test_client()


def post(client: FlaskClient, body: bytes, content_type: str = "application/sparql-query", **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/sparql", data=body, headers={"Content-Type": content_type, "Accept": "application/sparql-results+json",
                                                        **headers})


def answer(reply) -> bool:  # type: ignore[no-untyped-def]
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return bool(Result.parse(io.BytesIO(reply.data), format="json").askAnswer)


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize("coding,encode", [
    ("gzip", gzip.compress), ("x-gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", raw_deflate),
    ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))), ("identity", lambda data: data),
    ("GZip", lambda data: gzip.compress(data[:8]) + gzip.compress(data[8:])),
], ids=["gzip", "x-gzip", "deflate", "raw-deflate", "gzip-twice", "identity", "two-gzip-members"])
def test_compressed_bodies_are_decoded(client: FlaskClient, coding: str, encode) -> None:  # type: ignore[no-untyped-def]
    assert answer(post(client, encode(QUERY.encode()), **{"Content-Encoding": coding})) is False
    form = encode(b"query=ASK%20%7B%7D")
    assert answer(post(client, form, "application/x-www-form-urlencoded", **{"Content-Encoding": coding})) is True


def test_a_compression_bomb_is_413_not_memory(client: FlaskClient) -> None:
    bomb = gzip.compress(b" " * 50_000_000)  # 50 MB of spaces, ~50 KB compressed
    assert len(bomb) < LIMIT
    reply = post(client, bomb, **{"Content-Encoding": "gzip"})
    assert reply.status_code == 413
    assert "KG_MAX_REQUEST_BYTES" in reply.get_data(as_text=True) and f"{LIMIT:,}" in reply.get_data(as_text=True)


@pytest.mark.parametrize("coding,body,status", [
    ("br", b"\x0b\x02\x80ASK {}\x03", 415), ("compress", b"x", 415), ("zstd", b"x", 415), ("gzip;q=1", b"x", 415),
    ("gzip", b"ASK {}", 400), ("deflate", b"\x78\x9c garbage", 400), ("gzip", gzip.compress(QUERY.encode())[:-6], 400),
    ("gzip", b"", 400),
])
def test_codings_that_cannot_be_decoded_are_refused(client: FlaskClient, coding: str, body: bytes, status: int) -> None:
    reply = post(client, body, **{"Content-Encoding": coding})
    assert reply.status_code == status, reply.get_data(as_text=True)
    text = reply.get_data(as_text=True)
    assert "Traceback" not in text
    if status == 415:
        assert reply.headers["Accept-Encoding"] == "gzip, deflate" and "gzip or deflate" in text


@pytest.mark.parametrize("charset,encoding", [
    ("iso-8859-1", "latin-1"), ("latin1", "latin-1"), ("windows-1252", "cp1252"), ("UTF-8", "utf-8"),
])
def test_form_bodies_in_other_charsets_are_converted(client: FlaskClient, charset: str, encoding: str) -> None:
    """Percent-escapes of a form are bytes in its charset: ``%EB`` is "ë" in latin-1."""
    form = "query=" + quote(CONVERTED, encoding=encoding)
    reply = post(client, form.encode("ascii"), f"application/x-www-form-urlencoded; charset={charset}")
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert len(list(Result.parse(io.BytesIO(reply.data), format="json"))) == 1


@pytest.mark.parametrize("charset", ["iso-8859-1", "utf-16", "UTF-16LE", "utf-32", "windows-1252"])
def test_sparql_bodies_must_be_utf8_as_the_protocol_says(client: FlaskClient, charset: str) -> None:
    """W3C bad_query_non_utf8 / bad_update_non_utf8: a SPARQL body in another charset is a 4xx (415 here)."""
    for media_type in ("application/sparql-query", "application/sparql-update"):
        reply = post(client, CONVERTED.encode(charset), f"{media_type}; charset={charset}")
        assert reply.status_code == 415 and "must be UTF-8" in reply.get_data(as_text=True)
    assert answer(post(client, QUERY.encode(), "application/sparql-query; charset=UTF-8")) is False


def test_a_utf8_byte_order_mark_is_skipped_and_a_utf16_one_named(client: FlaskClient) -> None:
    assert answer(post(client, QUERY.encode("utf-8-sig"))) is False
    for encoding in ("utf-16", "utf-32"):
        reply = post(client, QUERY.encode(encoding))
        assert reply.status_code == 400
        assert f"looks like {encoding.upper()}" in reply.get_data(as_text=True)


@pytest.mark.parametrize("content_type,body", [
    ("application/sparql-query", "ASK { ?s ?p \"Zo\xeb\" }".encode("latin-1")),
    ("application/x-www-form-urlencoded; charset=utf-16", b"\xff\xfeq\x00=\x00\x00\xd8"),
    ("application/sparql-query; charset=us-ascii", "ASK { ?s ?p \"Zoë\" }".encode()[:-4] + b"\xff\"}"),
    ("application/x-www-form-urlencoded", b"query=ASK%20%7B%FF%7D"),
    ("application/x-www-form-urlencoded", b"query=ASK%20%7B\xff%7D"),
])
def test_bytes_invalid_in_the_declared_encoding_are_400(client: FlaskClient, content_type: str, body: bytes) -> None:
    reply = post(client, body, content_type)
    assert reply.status_code == 400 and "not valid" in reply.get_data(as_text=True)


@pytest.mark.parametrize("charset", ["klingon", "base64", "rot13", "zlib", "x" * 300, ""])
def test_unknown_charsets_are_415(client: FlaskClient, charset: str) -> None:
    reply = post(client, b"ASK {}", f"application/sparql-query; charset={charset}")
    assert reply.status_code in (415, 200) if not charset else reply.status_code == 415
    if charset:
        assert "charset" in reply.get_data(as_text=True)


def test_bad_percent_encoding_in_the_url_is_400_or_read_literally(client: FlaskClient) -> None:
    assert client.get("/sparql?query=ASK%20%7B%FF%7D").status_code == 400
    assert client.get("/sparql?query=ASK%20%7B%7D%zz").status_code == 400  # '%zz' kept as text: a syntax error
    assert client.get("/sparql?query=%").status_code == 400


def test_a_body_over_the_limit_is_413_naming_it(client: FlaskClient) -> None:
    reply = post(client, b"ASK {}" + b" " * LIMIT)
    assert reply.status_code == 413 and "KG_MAX_REQUEST_BYTES" in reply.get_data(as_text=True)


# -- values no converter takes: huge integers, impossible dates, unknown functions, regex bombs ----------------

XSD = "http://www.w3.org/2001/XMLSchema#"
BIG = "9" * 5_000  # past Python's 4,300-digit limit for int(str)
ODD_LITERALS = [f'"{BIG}"^^<{XSD}integer>', f'"-{BIG}"^^<{XSD}integer>', f'"{BIG}.5"^^<{XSD}decimal>',
                f'"1e999999"^^<{XSD}double>', f'"2020-13-45"^^<{XSD}date>', f'"2020-02-30T25:61:00"^^<{XSD}dateTime>',
                f'"99999999999-01-01"^^<{XSD}date>', f'"P99999999999999999999Y"^^<{XSD}duration>', f'"abc"^^<{XSD}boolean>',
                f'"{BIG}"^^<{XSD}nonNegativeInteger>', f'"x"^^<{XSD}gYear>']
ODD_QUERIES = [
    f"SELECT ({BIG} AS ?x) {{}}", f"SELECT ({BIG} * {BIG} AS ?x) {{}}", f'SELECT (xsd:integer("{BIG}") AS ?x) {{}}',
    f'SELECT (STRDT("{BIG}", xsd:integer) AS ?x) {{}}', f"SELECT (ABS(-{BIG}) AS ?x) {{}}",
    'SELECT (xsd:date("2020-13-45") AS ?x) {}', 'SELECT (YEAR("2020-13-45"^^xsd:date) AS ?x) {}',
    'SELECT (xsd:dateTime("2020-02-30T25:61:00") - xsd:dateTime("0001-01-01T00:00:00") AS ?x) {}',
    "SELECT (1/0 AS ?x) {}", 'SELECT (REGEX("' + "a" * 5000 + '!", "(a+)+$") AS ?x) {}',
    'SELECT (REGEX("a", "(") AS ?x) {}', 'SELECT (REGEX("a", "a", "zz") AS ?x) {}',
    'SELECT (REPLACE("aaa", "(a*)*", "$9") AS ?x) {}',
    "SELECT (SUM(?o) AS ?s) (AVG(?o) AS ?a) (MAX(?o) AS ?m) WHERE { ?s ?p ?o }", "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o",
]
UNKNOWN_FUNCTIONS = ["SELECT (<http://example.org/unknown>(1) AS ?x) {}",
                     "SELECT ?x WHERE { BIND(<http://example.org/f>(?y) AS ?x) }",
                     "SELECT * WHERE { ?s ?p ?o FILTER(<urn:x>(?o)) }"]
RESULT_TYPES = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]


@pytest.fixture(scope="module")
def odd_client() -> FlaskClient:
    """An app whose data holds every odd literal, on one resource with a page."""
    settings = Settings(base_uri=BASE, write_token="odd")
    app = create_app(settings, open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")]))
    app.config["TESTING"] = True
    client = app.test_client()
    data = " ".join(f"<{BASE}id/person/odd> <{BASE}ontology#v{i}> {value} ." for i, value in enumerate(ODD_LITERALS))
    reply = client.post("/sparql", data=f'INSERT DATA {{ {data} <{BASE}id/person/odd> a <https://schema.org/Person> }}',
                        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer odd"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return client


def never_a_5xx(reply) -> str:  # type: ignore[no-untyped-def]
    text = reply.get_data(as_text=True)
    assert reply.status_code < 500 and "Traceback" not in text, (reply.status_code, text[:300])
    return text


@pytest.mark.parametrize("query", ODD_QUERIES + [f"SELECT ?o WHERE {{ <{BASE}id/person/odd> ?p ?o }}"])
def test_odd_values_in_queries_and_answers_are_never_a_5xx(odd_client: FlaskClient, query: str) -> None:
    text = f"PREFIX xsd: <{XSD}>\n{query}"
    for accept in RESULT_TYPES:
        assert odd_client.get("/sparql", query_string={"query": text}, headers={"Accept": accept}).status_code == 200, accept
    never_a_5xx(odd_client.get("/query", query_string={"sparql": text, "action": "run"}))


def test_the_stored_huge_integer_comes_back_whole(odd_client: FlaskClient) -> None:
    reply = odd_client.get("/sparql", headers={"Accept": "text/csv"},
                           query_string={"query": f"SELECT ?o WHERE {{ <{BASE}id/person/odd> <{BASE}ontology#v0> ?o }}"})
    assert reply.get_data(as_text=True).split("\r\n")[1] == BIG


@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/ld+json", "application/rdf+xml",
                                    "application/n-triples", "application/trig"])
@pytest.mark.filterwarnings("ignore:Parsing weird boolean")  # rdflib's, while it renders the page
def test_a_page_about_odd_values_is_never_a_5xx(odd_client: FlaskClient, accept: str) -> None:
    reply = odd_client.get("/id/person/odd", headers={"Accept": accept})
    assert reply.status_code in (200, 303), reply.status_code
    if reply.status_code == 303:
        reply = odd_client.get(reply.headers["Location"], headers={"Accept": accept})
    assert BIG in never_a_5xx(reply)


@pytest.mark.parametrize("query", UNKNOWN_FUNCTIONS)
def test_unknown_functions_are_400_naming_them(odd_client: FlaskClient, query: str) -> None:
    reply = odd_client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})
    assert reply.status_code == 400
    assert "example.org" in reply.get_data(as_text=True) or "urn:x" in reply.get_data(as_text=True)


# -- what only a real server does --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"KG_MAX_REQUEST_BYTES": str(LIMIT)}
    with live_server(tmp_path_factory.mktemp("encoding"), FIXTURES / "family.ttl", env=env) as running:
        yield running


def raw(server: LiveServer, data: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as connection:
        connection.sendall(data)
        chunks = []
        try:
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


def test_a_chunked_body_is_read_and_capped(server: LiveServer) -> None:
    body = gzip.compress(QUERY.encode())
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    head = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Encoding: gzip\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    assert raw(server, head + chunked).startswith(b"HTTP/1.1 200")
    big = b"A" * (LIMIT + 10)
    chunked = f"{len(big):x}\r\n".encode() + big + b"\r\n0\r\n\r\n"
    head = head.replace(b"Content-Encoding: gzip\r\n", b"")
    assert raw(server, head + chunked).startswith(b"HTTP/1.1 413")
    bomb = gzip.compress(b" " * (LIMIT * 20))
    chunked = f"{len(bomb):x}\r\n".encode() + bomb + b"\r\n0\r\n\r\n"
    assert raw(server, head.replace(b"Transfer", b"Content-Encoding: gzip\r\nTransfer") + chunked).startswith(b"HTTP/1.1 413")


def test_a_huge_request_line_is_refused_without_reading_it_all(server: LiveServer) -> None:
    line = b"GET /sparql?query=" + b"A" * 3_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        reply = raw(server, line)
    except (BrokenPipeError, ConnectionResetError):
        reply = b""  # closed on us mid-send: refused too
    assert not reply.startswith(b"HTTP/1.1 200") and not reply.startswith(b"HTTP/1.1 5")
    assert server.request("GET", "/sparql?query=ASK%7B%7D").status == 200
