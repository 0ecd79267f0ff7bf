"""One error handler, one body shape per surface, and one write check for every write route."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from kg.dataset import KnowledgeGraph
from kg.sparql.errors import HttpError
from tests.canned_support import TOKEN, fixture_app, fixture_graph

PROBLEM_MEMBERS = {"type", "title", "status", "detail"}
MINE = "#+ title: Mine\nSELECT ?s WHERE { ?s ?p ?o } LIMIT 1\n"


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return fixture_graph()


@pytest.fixture
def client(graph: KnowledgeGraph, tmp_path: Path) -> FlaskClient:
    return fixture_app(graph, tmp_path / "saved").test_client()


@pytest.fixture
def tokenless(graph: KnowledgeGraph, tmp_path: Path) -> FlaskClient:
    return fixture_app(graph, tmp_path / "saved", token=None).test_client()


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/queries/nope", 404),
    ("GET", "/api/queries/nope/history/1", 404),
    ("GET", "/api/no-such-route", 404),
    ("PATCH", "/api/queries", 405),
    ("GET", "/api/queries/members-of/run?reasoning=magic", 400),
    ("GET", "/api/queries/members-of/run?format=excel", 400),
    ("PUT", "/api/queries/mine", 401),
    ("GET", "/explain?s=%3Chttp://x/a%3E&p=a", 400),
])
def test_api_errors_are_problem_details(client: FlaskClient, method: str, path: str, status: int) -> None:
    reply = client.open(path, method=method)
    assert reply.status_code == status
    assert reply.mimetype == "application/problem+json"
    body = reply.get_json()
    assert PROBLEM_MEMBERS <= set(body) and body["status"] == status and body["type"] == "about:blank"
    assert body["detail"] and body["error"] == body["detail"]


def test_problem_details_carry_the_error_details(client: FlaskClient) -> None:
    body = client.get("/api/queries/people-named/run").get_json()  # a required parameter is missing
    assert body["status"] == 400 and body["parameter"] == "text" and body["title"] == "Bad Request"
    assert client.open("/api/queries", method="PATCH").headers["Allow"]
    for accept in ("text/html", "text/plain"):
        assert client.get("/api/queries/nope", headers={"Accept": accept}).mimetype == "application/problem+json"


def test_sparql_errors_are_plain_text_naming_the_problem(client: FlaskClient) -> None:
    reply = client.get("/sparql?query=ASK%20%7B")
    assert reply.status_code == 400 and reply.mimetype == "text/plain"
    assert "line 1, column 6" in reply.get_data(as_text=True)
    refused = client.get("/sparql?query=ASK%7B%7D&reasoning=magic")
    assert refused.status_code == 400 and refused.mimetype == "text/plain"
    assert "unknown reasoning 'magic'" in refused.get_data(as_text=True)
    assert refused.headers["Access-Control-Allow-Origin"] == "*"


def test_sparql_errors_in_json_when_asked(client: FlaskClient) -> None:
    reply = client.get("/sparql?query=ASK%20%7B", headers={"Accept": "application/json"})
    assert reply.mimetype == "application/json"
    assert reply.get_json()["status"] == 400 and reply.get_json()["line"] == 1


@pytest.mark.parametrize(("accept", "mimetype"), [("text/html", "text/html"), ("text/turtle", "text/turtle")])
def test_linked_data_errors_come_in_the_negotiated_flavour(client: FlaskClient, accept: str, mimetype: str) -> None:
    for path, status in (("/id/nobody", 404), ("/id/nobody?reasoning=magic", 404), ("/ontology?reasoning=magic", 400)):
        reply = client.get(path, headers={"Accept": accept})
        assert reply.status_code == status and reply.mimetype == mimetype, path
        assert "Accept" in reply.vary
    page = client.get("/ontology?reasoning=magic", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "unknown reasoning &#39;magic&#39;" in page
    turtle = client.get("/ontology?reasoning=magic", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert turtle.startswith("# unknown reasoning 'magic'")


def test_a_store_failure_is_an_http_error(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.store import StoreError

    def fail(*_args: object, **_kwargs: object) -> None:
        raise StoreError("the store is down")

    monkeypatch.setattr("kg.web.canned.Catalogue.queries", fail)
    reply = client.get("/api/queries")
    assert reply.status_code == 502 and reply.get_json()["detail"] == "the store is down"


def test_every_error_type_is_an_http_error() -> None:
    from kg.canned.errors import CannedError
    from kg.linked_data.flavours import LinkedDataError
    from kg.sparql.errors import QueryError
    from kg.sparql.protocol import ProtocolError

    for error_type in (CannedError, LinkedDataError, QueryError, ProtocolError):
        assert issubclass(error_type, HttpError)


# -- writes --------------------------------------------------------------------------------------------------


def _writes(client: FlaskClient, token: str | None) -> dict[str, tuple[int, dict[str, str]]]:
    """Every write route, tried with ``token`` (``None``: none sent): its status and headers."""
    auth = {"Authorization": f"Bearer {token}"} if token is not None else {}
    answers = {
        "update": client.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update", headers=auth),
        "put": client.put("/api/queries/mine", data=MINE, content_type="application/sparql-query", headers=auth),
        "delete": client.delete("/api/queries/mine", headers=auth),
        "restore": client.post("/api/queries/mine/history/1/restore", headers=auth),
        "save": client.post("/query/save", data={"sparql": MINE, "save_name": "mine", "save_title": "Mine",
                                                 "token": token or ""}),
    }
    return {route: (reply.status_code, dict(reply.headers)) for route, reply in answers.items()}


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_missing_or_wrong_token_is_401_on_every_write_route(client: FlaskClient, token: str | None) -> None:
    for route, (status, headers) in _writes(client, token).items():
        assert status == 401, route
        if route != "save":  # the page asks for the token in its form, not with a challenge
            assert headers["WWW-Authenticate"].startswith("Bearer"), route


def test_writes_without_a_configured_token_are_403_on_every_write_route(tokenless: FlaskClient) -> None:
    for route, (status, _headers) in _writes(tokenless, TOKEN).items():
        assert status == 403, route


# -- reasoning= ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/sparql?query=ASK%7B%7D&reasoning=magic",
    "/api/queries/members-of/run?reasoning=magic",
    "/ontology?reasoning=magic",
    "/explain?s=%3Chttp://x/a%3E&p=a&o=%3Chttp://x/c%3E&reasoning=magic",
])
def test_an_unknown_reasoning_mode_is_one_400_everywhere(client: FlaskClient, path: str) -> None:
    reply = client.get(path, headers={"Accept": "text/turtle"})
    assert reply.status_code == 400
    assert "unknown reasoning 'magic'; use one of: none, rdfs, owlrl" in reply.get_data(as_text=True)


def test_explanations_refuse_the_mode_without_inferences(client: FlaskClient) -> None:
    reply = client.get("/explain?s=%3Chttp://x/a%3E&p=a&o=%3Chttp://x/c%3E&reasoning=none")
    assert reply.status_code == 400 and "explanations exist for: rdfs, owlrl" in reply.get_json()["detail"]


# -- answers -------------------------------------------------------------------------------------------------


def test_every_query_route_answers_an_outcome_alike(graph: KnowledgeGraph, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    from dataclasses import replace

    from kg.app import create_app
    from kg.canned.catalogue import Catalogue
    from kg.web.service_description import TRUNCATION_HEADER
    from tests.canned_support import CANNED, fixture_settings

    settings = replace(fixture_settings(tmp_path / "saved"), max_result_rows=1)
    app = create_app(settings, graph)
    app.extensions["kg.catalogue"] = Catalogue.from_settings(settings, shipped_dir=CANNED)
    client = app.test_client()
    query = "SELECT ?s WHERE { ?s ?p ?o }"
    caplog.set_level("INFO", logger="kg.requests")
    for path in ("/sparql?" + urlencode({"query": query}), "/api/queries/members-per-organization/run?format=csv",
                 "/query/download?" + urlencode({"sparql": query, "format": "csv"})):
        reply = client.get(path)
        assert reply.status_code == 200 and reply.headers[TRUNCATION_HEADER] == "1", path
        assert caplog.records[-1].getMessage().endswith("rows=1"), path
    refused = client.get("/query/download?" + urlencode({"sparql": "SELECT * WHERE {", "format": "csv"}))
    assert refused.status_code == 400 and refused.mimetype == "text/plain"
