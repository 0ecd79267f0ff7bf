"""The OpenAPI document generated from the catalogue, checked by a real OpenAPI validator, and its docs page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from kg.dataset import KnowledgeGraph
from tests.canned_support import TOKEN, fixture_app, fixture_graph, rq

SOLUTION_TYPES = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                  "text/tab-separated-values"}


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return fixture_graph()


@pytest.fixture
def client(graph: KnowledgeGraph, tmp_path: Path) -> FlaskClient:
    return fixture_app(graph, tmp_path / "saved").test_client()


@pytest.fixture
def document(client: FlaskClient) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


def parameters(document: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}


def test_the_document_is_valid_openapi_3(document: dict) -> None:
    assert document["openapi"].startswith("3.")
    validate(document)


def test_the_validator_is_not_a_rubber_stamp(document: dict) -> None:
    broken = {**document, "paths": {**document["paths"], "/api/queries/x/run": {"get": {"responses": "none"}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_one_run_path_per_canned_query(client: FlaskClient, document: dict) -> None:
    names = {q["name"] for q in client.get("/api/queries").json["queries"]}
    runs = {m.group(1) for path in document["paths"] if (m := re.fullmatch(r"/api/queries/([a-z0-9-]+)/run", path))}
    assert runs == names
    operation_ids = [op["operationId"] for item in document["paths"].values() for key, op in item.items()
                     if key in ("get", "put", "post", "delete")]
    assert len(operation_ids) == len(set(operation_ids))


def test_parameters_are_typed_with_enums_defaults_and_bounds(document: dict) -> None:
    sector = parameters(document, "/api/queries/organizations-by-sector/run")["sector"]
    assert sector["schema"] == {"type": "string", "enum": ["academia", "business", "government"], "default": "business"}
    assert sector["required"] is False and sector["in"] == "query"
    age = parameters(document, "/api/queries/older-than/run")["age"]
    assert age["schema"] == {"type": "integer", "minimum": 0, "maximum": 150, "default": 40}
    after = parameters(document, "/api/queries/born-after/run")["after"]
    assert after["schema"] == {"type": "string", "format": "date", "default": "1965-01-01"}
    text = parameters(document, "/api/queries/people-named/run")["text"]
    assert text["required"] is True and text["schema"] == {"type": "string"}
    organization = parameters(document, "/api/queries/members-of/run")["organization"]
    assert organization["schema"]["x-kg-class"] == "http://example.org/canned#Organization"
    assert "`acme` (Acme Corporation)" in organization["description"]
    reasoning = parameters(document, "/api/queries/members-per-organization/run")["reasoning"]
    assert reasoning["schema"] == {"type": "string", "enum": ["none", "rdfs", "owlrl"], "default": "owlrl"}


def test_result_media_types_follow_the_query_form(document: dict) -> None:
    select = document["paths"]["/api/queries/members-of/run"]["get"]["responses"]["200"]["content"]
    assert set(select) == SOLUTION_TYPES
    construct = document["paths"]["/api/queries/memberships/run"]["get"]["responses"]["200"]["content"]
    assert {"text/turtle", "application/n-triples", "application/ld+json"} <= set(construct)
    assert not SOLUTION_TYPES & set(construct)
    formats = parameters(document, "/api/queries/memberships/run")["format"]["schema"]["enum"]
    assert "turtle" in formats and "csv" not in formats


def test_post_runs_take_a_form_body(document: dict) -> None:
    post = document["paths"]["/api/queries/people-named/run"]["post"]
    schema = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert schema["required"] == ["text"] and schema["properties"]["text"]["type"] == "string"


def test_writes_declare_bearer_security(document: dict) -> None:
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": "A writer's token: KG_WRITE_TOKEN, or a KG_USERS user's of role write or admin."}
    item = document["paths"]["/api/queries/{name}"]
    assert item["put"]["security"] == [{"bearerAuth": []}] and item["delete"]["security"] == [{"bearerAuth": []}]
    assert "security" not in item["get"]
    assert "application/sparql-query" in item["put"]["requestBody"]["content"]


def test_a_saved_query_gets_its_path(client: FlaskClient) -> None:
    text = rq("Saved one", "SELECT ?n ?p WHERE { ?p schema:name ?n }\n",
              "#+ parameters:\n#+   n: {type: literal, lang: en}\n")
    assert client.put("/api/queries/saved-one", data=text, content_type="application/sparql-query",
                      headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 201
    document = client.get("/api/openapi.json").json
    validate(document)
    assert document["paths"]["/api/queries/saved-one/run"]["get"]["summary"] == "Saved one"


def test_the_documented_server_url_is_the_request_root(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json", base_url="http://kg.example:8080/").json
    assert document["servers"] == [{"url": "http://kg.example:8080"}]


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.scripts: list[dict] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"] or "")
        if tag == "script":
            self.scripts.append(attributes)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def test_the_docs_page_renders_every_operation_without_scripts(client: FlaskClient, document: dict) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = _Page()
    page.feed(response.get_data(as_text=True))
    operation_ids = {op["operationId"] for item in document["paths"].values() for key, op in item.items()
                     if key in ("get", "put", "post", "delete")}
    assert operation_ids <= page.ids
    assert all("src" in script for script in page.scripts) and page.handlers == []
    html = response.get_data(as_text=True)
    assert "curl -H 'Accept: text/csv'" in html and "/api/queries/older-than/run?age=40" in html
    assets = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert assets and not [a for a in assets if a.startswith(("http:", "https:", "//"))]  # nothing from elsewhere
