"""The plain WSGI path of ``/sparql`` queries answers exactly as the Flask view does, and only what it may."""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from flask import Flask, g

from kg.app import create_app
from kg.dataset import KnowledgeGraph
from kg.settings import Settings
from kg.web.service_description import TRUNCATION_HEADER

#: An Authorization header that names no bearer token: the caller stays anonymous, but the request goes through Flask.
THROUGH_FLASK = {"Authorization": "Basic eDp5"}
SELECT = "SELECT ?s ?p WHERE { ?s ?p ?o } ORDER BY ?s ?p LIMIT 3"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 2"
REQUESTS = [
    ("GET", "/sparql?" + urlencode({"query": SELECT}), {"Accept": "application/sparql-results+json"}, None),
    ("GET", "/sparql/?" + urlencode({"query": "ASK { ?s ?p ?o }"}), {"Accept": "text/csv"}, None),
    ("GET", "/sparql?" + urlencode({"query": CONSTRUCT}), {"Accept": "application/n-triples"}, None),
    ("GET", "/sparql?" + urlencode({"query": CONSTRUCT, "format": "turtle"}), {}, None),
    ("GET", "/sparql?" + urlencode({"query": SELECT, "reasoning": "none"}), {"Accept": "*/*"}, None),
    ("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+xml"},
     urlencode({"query": SELECT}).encode()),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, CONSTRUCT.encode()),
]


@pytest.fixture(scope="module")
def counted_app(settings: Settings, knowledge_graph: KnowledgeGraph) -> Flask:
    """The app, its row cap 2, counting the requests Flask dispatches (``app.config["dispatched"]``)."""
    app = create_app(replace(settings, max_result_rows=2), knowledge_graph)
    app.config["dispatched"] = 0

    @app.before_request
    def count() -> None:
        app.config["dispatched"] += 1
        g.counted = True

    return app


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
def test_a_query_answers_alike_with_and_without_flask(counted_app: Flask, caplog: pytest.LogCaptureFixture,
                                                      method: str, path: str, headers: dict[str, str],
                                                      body: bytes | None) -> None:
    client = counted_app.test_client()
    caplog.set_level(logging.INFO, logger="kg.requests")
    before = counted_app.config["dispatched"]
    plain = client.open(path, method=method, headers=headers, data=body)
    plain_log = caplog.records[-1].getMessage()
    assert counted_app.config["dispatched"] == before, "the plain path should have answered"
    flask = client.open(path, method=method, headers={**headers, **THROUGH_FLASK}, data=body)
    flask_log = caplog.records[-1].getMessage()
    assert counted_app.config["dispatched"] == before + 1
    assert plain.status_code == flask.status_code == 200
    assert list(plain.headers.items()) == list(flask.headers.items())
    assert plain.get_data() == flask.get_data()
    assert plain_log.rsplit(" ", 2)[0] == flask_log.rsplit(" ", 2)[0]  # all but the milliseconds and rows
    assert plain_log.split()[-1] == flask_log.split()[-1]


def test_a_truncated_answer_names_the_cap_on_both_paths(counted_app: Flask) -> None:
    client = counted_app.test_client()
    path = "/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"})
    plain, flask = client.get(path), client.get(path, headers=THROUGH_FLASK)
    assert plain.headers[TRUNCATION_HEADER] == flask.headers[TRUNCATION_HEADER] == "2"
    assert list(plain.headers.items()) == list(flask.headers.items())


@pytest.mark.parametrize(("path", "headers", "status"), [
    ("/sparql?" + urlencode({"query": "SELECT * WHERE {"}), {}, 400),  # evaluated, refused: Flask renders it
    ("/sparql?" + urlencode({"query": "ASK {}", "format": "nonsense"}), {}, 400),  # malformed before evaluation
    ("/sparql?" + urlencode({"query": "ASK {}"}), {"Accept": "image/png"}, 406),
    ("/sparql", {}, 200),  # the service description
])
def test_what_is_not_an_answered_query_goes_to_flask(counted_app: Flask, path: str, headers: dict[str, str],
                                                     status: int) -> None:
    client = counted_app.test_client()
    before = counted_app.config["dispatched"]
    reply = client.get(path, headers=headers)
    assert reply.status_code == status
    assert counted_app.config["dispatched"] == before + 1
    assert reply.headers["Access-Control-Allow-Origin"] == "*" and reply.headers["X-Frame-Options"] == "DENY"


def test_a_refused_query_keeps_its_line_and_column(counted_app: Flask) -> None:
    reply = counted_app.test_client().get("/sparql?" + urlencode({"query": "SELECT * WHERE {\n  ?s ?p"}),
                                          headers={"Accept": "application/json"})
    assert reply.status_code == 400
    assert reply.get_json()["line"] == 2


def test_a_body_shorter_than_announced_is_answered_as_flask_answers_it(counted_app: Flask) -> None:
    import io

    from werkzeug.test import EnvironBuilder, run_wsgi_app

    def send(headers: dict[str, str]) -> tuple[str, bytes]:
        environ = EnvironBuilder("/sparql", method="POST", data=b"ASK {}" + b" " * 94,
                                 headers={"Content-Type": "application/sparql-query", **headers}).get_environ()
        environ["wsgi.input"] = io.BytesIO(b"ASK {}")  # the client left after 6 of its 100 bytes
        body, status, _ = run_wsgi_app(counted_app, environ, buffered=True)
        return status, b"".join(body)

    plain, flask = send({}), send(THROUGH_FLASK)
    assert plain == flask and plain[0].startswith("400")
