"""Serving under the path of ``KG_BASE_URI`` (``https://example.org/kg/``), as a reverse proxy forwards it unchanged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.app import create_app
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.linked_data_support import FIXTURE_FILES
from tests.live_server import LiveServer, free_port, live_server

BASE = "http://localhost:8000/kg/"
ASK = "/sparql?query=" + quote("ASK {}")
HTML = {"Accept": "text/html"}


def _hrefs(page: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', page)


@pytest.fixture(scope="module")
def app() -> Flask:
    settings = Settings(base_uri=BASE)
    graph = open_dataset(settings, [RdfSource(p) for p in FIXTURE_FILES])
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    application = create_app(settings, graph)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_routes_answer_under_the_prefix_only(client: FlaskClient) -> None:
    assert client.get("/kg" + ASK).status_code == 200
    for outside in (ASK, "/", "/id/person/liu-hua", "/kgx/sparql", "/query"):
        answer = client.get(outside)
        assert answer.status_code == 404, outside
        assert "/kg/" in answer.get_data(as_text=True) and answer.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/kg").headers["Location"].endswith("/kg/")


def test_links_carry_the_prefix(client: FlaskClient) -> None:
    home = client.get("/kg/", headers=HTML)
    assert home.status_code == 200
    links = _hrefs(home.get_data(as_text=True))
    assert "/kg/id/person/liu-hua" in links and "/kg/static/style.css" in links
    assert not [link for link in links if link.startswith(("/id/", "/graph/", "/doc/", "/static/"))]
    catalogue = client.get("/kg/api/queries").get_json()["queries"]
    assert catalogue and all(q["links"]["run"].startswith("/kg/api/queries/") for q in catalogue)


def test_a_resource_under_the_base_dereferences(client: FlaskClient) -> None:
    answer = client.get("/kg/id/person/liu-hua", headers={"Accept": "application/n-triples"})
    assert answer.status_code == 200
    assert "<http://localhost:8000/kg/id/person/liu-hua>" in answer.get_data(as_text=True)
    assert answer.headers["Content-Location"].endswith("/kg/doc/id/person/liu-hua.nt")


def test_a_server_that_mounts_the_prefix_itself_is_left_alone(client: FlaskClient) -> None:
    assert client.get(ASK, environ_overrides={"SCRIPT_NAME": "/kg"}).status_code == 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``kg serve`` with ``KG_BASE_URI=http://127.0.0.1:PORT/kg/`` on the linked-data fixtures."""
    port = free_port()
    with live_server(tmp_path_factory.mktemp("prefix"), *FIXTURE_FILES, env={"KG_BASE_URI": f"http://127.0.0.1:{port}/kg/"},
                     workers=1, port=port) as running:
        yield running


def test_kg_serve_answers_under_the_base_path_only(server: LiveServer) -> None:
    assert server.request("GET", "/kg" + ASK).status == 200
    assert server.request("GET", ASK).status == 404
    home = server.request("GET", "/kg/", headers=HTML)
    assert home.status == 200 and "/kg/id/person/liu-hua" in _hrefs(home.text)
    site_links = [href for href in _hrefs(home.text) if href.startswith("/")]
    assert site_links and all(href.startswith("/kg/") for href in site_links), site_links  # navigation included
    assert f"listening on http://127.0.0.1:{server.port}/kg/sparql" in server.log()
    resource = server.request("GET", "/kg/id/person/liu-hua", headers={"Accept": "application/n-triples"})
    assert resource.status == 200 and f"<http://127.0.0.1:{server.port}/kg/id/person/liu-hua>" in resource.text
    assert server.request("GET", "/id/person/liu-hua").status == 404


def test_the_prefix_is_taken_from_the_base_iri_as_clients_encode_it() -> None:
    settings = Settings(base_uri="http://localhost:8000/caf%C3%A9/")
    application = create_app(settings, open_dataset(settings, [RdfSource(FIXTURE_FILES[0])]))
    assert application.test_client().get("/caf%C3%A9" + ASK).status_code == 200
