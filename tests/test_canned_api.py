"""The canned-query REST API, through the Flask test client (and once through a real ``kg serve``)."""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path

import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient
from rdflib.plugins.sparql.results.jsonresults import JSONResultParser
from rdflib.plugins.sparql.results.xmlresults import XMLResultParser

from kg.dataset import KnowledgeGraph
from tests.canned_support import CANNED, EX, TOKEN, fixture_app, fixture_graph, rq
from tests.live_server import live_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SPARQL_QUERY = "application/sparql-query"
MINE = """#+ title: Members by name
#+ description: Members of an organisation whose name contains a text.
#+ tags: [people, saved]
#+ parameters:
#+   text:
#+     type: literal
#+     default: "a"
PREFIX ex: <http://example.org/canned#>
SELECT ?text ?person ?name WHERE {
  ?person ex:memberOf ?org ; schema:name ?name .
  FILTER(CONTAINS(LCASE(?name), LCASE(?text)))
}
ORDER BY ?name
"""


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return fixture_graph()


@pytest.fixture
def app(graph: KnowledgeGraph, tmp_path: Path) -> Flask:
    return fixture_app(graph, tmp_path / "saved")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def put(client: FlaskClient, name: str, text: str, headers: dict | None = None, **kwargs):
    return client.put(f"/api/queries/{name}", data=text.encode(), content_type=SPARQL_QUERY,
                      headers=AUTH if headers is None else headers, **kwargs)


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    result = JSONResultParser().parse(io.StringIO(response.get_data(as_text=True)))
    return [{str(k): str(v) for k, v in row.items()} for row in result.bindings]


# -- reading the catalogue ---------------------------------------------------------------------------------------


def test_list_has_the_contract_shape(client: FlaskClient) -> None:
    response = client.get("/api/queries")
    assert response.status_code == 200 and response.mimetype == "application/json"
    queries = response.json["queries"]
    assert len(queries) == 8
    entry = next(q for q in queries if q["name"] == "members-of")
    assert {"name", "title", "description", "tags", "parameters"} <= set(entry)
    assert entry["parameters"] == [{
        "name": "organization", "type": "iri", "label": "Organisation", "description": "Whose members to list.",
        "required": False, "default": "acme", "class": EX + "Organization", "namespace": EX}]
    assert entry["reasoning"] == "owlrl" and entry["source"] == "shipped"
    assert entry["links"]["run"] == "/api/queries/members-of/run"
    assert "sparql" not in entry


def test_list_filters_by_tag_and_text(client: FlaskClient) -> None:
    def names(query: str) -> set[str]:
        return {q["name"] for q in client.get(f"/api/queries?{query}").json["queries"]}

    assert names("tag=sectors") == {"organizations-by-sector"}
    assert names("tag=people&q=born") == {"born-after"}
    assert names("q=ORGANISATION+members") == {"members-of", "members-per-organization", "memberships"}
    assert names("tag=nothing") == set()


def test_get_gives_metadata_and_sparql_or_the_file(client: FlaskClient) -> None:
    document = client.get("/api/queries/members-of").json
    assert document["sparql"] == (CANNED / "members-of.rq").read_text()
    assert document["title"] == "Members of an organisation"
    raw = client.get("/api/queries/members-of", headers={"Accept": SPARQL_QUERY})
    assert raw.mimetype == SPARQL_QUERY and raw.get_data(as_text=True) == document["sparql"]
    assert "Accept" in raw.headers["Vary"]


def test_unknown_and_hostile_names_on_read(client: FlaskClient) -> None:
    assert client.get("/api/queries/nope").status_code == 404
    assert client.get("/api/queries/nope").json["error"] == "no canned query named 'nope'"
    for name in ("..", "%2e%2e", "UPPER", "a.rq", "x" * 65, "..%2F..%2Fetc%2Fpasswd"):
        assert client.get(f"/api/queries/{name}").status_code in (400, 404), name
        assert client.get(f"/api/queries/{name}/run").status_code in (400, 404), name


# -- running -----------------------------------------------------------------------------------------------------


def test_run_with_defaults_answers_sparql_results_json(client: FlaskClient) -> None:
    response = client.get("/api/queries/members-of/run")
    assert response.mimetype == "application/sparql-results+json"
    assert [r["name"] for r in rows(response)] == ["Ana Lima", "Bo Chen", "Mo Tan"]


def test_run_with_parameters_in_the_query_string_or_a_form(client: FlaskClient) -> None:
    assert [r["name"] for r in rows(client.get("/api/queries/members-of/run?organization=zeta"))] == ["Sam Roe"]
    assert [r["name"] for r in rows(client.get(f"/api/queries/members-of/run?organization={EX}tsinghua".replace(
        "#", "%23")))] == ["Li Wei"]
    posted = client.post("/api/queries/members-of/run", data={"organization": "zeta"})
    assert [r["name"] for r in rows(posted)] == ["Sam Roe"]


@pytest.mark.parametrize(
    ("accept", "fmt", "media_type"),
    [
        ("text/csv", None, "text/csv"),
        ("application/sparql-results+xml", None, "application/sparql-results+xml"),
        ("text/tab-separated-values", None, "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", None, "application/sparql-results+xml"),
        ("application/json", None, "application/sparql-results+json"),
        ("text/html", "csv", "text/csv"),
        (None, "xml", "application/sparql-results+xml"),
        (None, "text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_run_negotiates_like_the_endpoint(client: FlaskClient, accept: str | None, fmt: str | None,
                                          media_type: str) -> None:
    url = "/api/queries/members-of/run" + (f"?format={fmt}" if fmt else "")
    response = client.get(url, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == media_type
    body = response.get_data(as_text=True)
    if media_type == "text/csv":
        table = list(csv.reader(io.StringIO(body)))
        assert table[0] == ["organization", "person", "name"] and len(table) == 4
    elif media_type == "application/sparql-results+xml":
        assert len(XMLResultParser().parse(io.BytesIO(response.data)).bindings) == 3
    elif media_type == "text/tab-separated-values":
        assert body.splitlines()[0] == "?organization\t?person\t?name" and len(body.splitlines()) == 4


def test_run_of_a_graph_query_answers_rdf(client: FlaskClient) -> None:
    formats = (("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"))
    for accept, parser in formats:
        response = client.get("/api/queries/memberships/run", headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept
        graph = rdflib.Graph().parse(data=response.get_data(as_text=True), format=parser)
        assert (rdflib.URIRef(EX + "sam-roe"), rdflib.URIRef(EX + "memberOf"), rdflib.URIRef(EX + "zeta")) in graph
    refused = client.get("/api/queries/memberships/run?format=csv")
    assert refused.status_code == 406 and "text/turtle" in refused.json["error"]


@pytest.mark.parametrize("accept", [None, "text/csv", "application/sparql-results+xml", "text/turtle;q=0.2, */*;q=0.1",
                                    "application/n-triples", "application/json", "image/png", "text/html"])
@pytest.mark.parametrize("fmt", [None, "csv", "turtle", "ttl", "text/tab-separated-values"])
def test_negotiation_is_exactly_the_endpoints(client: FlaskClient, accept: str | None, fmt: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    extra = f"&format={fmt}" if fmt else ""
    for canned, text in (("members-per-organization", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"),
                         ("memberships", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1")):
        run = client.get(f"/api/queries/{canned}/run?reasoning=owlrl{extra}", headers=headers)
        endpoint = client.get("/sparql", query_string={"query": text, **({"format": fmt} if fmt else {})},
                              headers=headers)
        assert (run.status_code, run.mimetype) == (endpoint.status_code, endpoint.mimetype) or (
            run.status_code == endpoint.status_code != 200), (canned, accept, fmt)


def test_run_of_an_ask_query(client: FlaskClient) -> None:
    yes = client.get("/api/queries/is-member/run?person=ana-lima&organization=acme")
    assert yes.json == {"head": {}, "boolean": True}
    no = client.get("/api/queries/is-member/run?person=ana-lima&organization=zeta")
    assert no.json["boolean"] is False


def test_unknown_format_is_a_400(client: FlaskClient) -> None:
    response = client.get("/api/queries/members-of/run?format=excel")
    assert response.status_code == 400 and "unknown format 'excel'" in response.json["error"]


def test_download_sets_an_attachment_filename(client: FlaskClient) -> None:
    response = client.get("/api/queries/members-of/run?format=csv&download=1")
    assert response.headers["Content-Disposition"] == 'attachment; filename="members-of.csv"'
    assert response.data.startswith(b"organization,person,name")
    json_download = client.get("/api/queries/members-of/run?format=json&download=true")
    assert json_download.headers["Content-Disposition"] == 'attachment; filename="members-of.json"'
    assert "Content-Disposition" not in client.get("/api/queries/members-of/run?format=csv").headers


def test_reasoning_is_honoured(client: FlaskClient) -> None:
    with_reasoning = rows(client.get("/api/queries/members-per-organization/run"))
    assert [(r["label"], r["members"]) for r in with_reasoning] == [
        ("Acme Corporation", "3"), ("Tsinghua University", "1"), ("Zeta Ltd", "1")]
    assert rows(client.get("/api/queries/members-per-organization/run?reasoning=none")) == []
    assert len(rows(client.get("/api/queries/members-per-organization/run?reasoning=rdfs"))) == 3
    bad = client.get("/api/queries/members-per-organization/run?reasoning=magic")
    assert bad.status_code == 400 and "unknown reasoning 'magic'" in bad.json["error"]


@pytest.mark.parametrize("value", ['"} ; DROP ALL ; #', "<x> } UNION { ?s ?p ?o }", "' OR ''='", "a\nb } #", "\"\"\""])
def test_injection_into_a_literal_is_bound_harmlessly(client: FlaskClient, value: str) -> None:
    response = client.get("/api/queries/people-named/run", query_string={"text": value})
    assert rows(response) == []
    assert len(rows(client.get("/api/queries/members-of/run"))) == 3  # the data is untouched


@pytest.mark.parametrize(
    ("url", "parameter", "message"),
    [
        ("/api/queries/members-of/run?organization=%3Cx%3E+%7D+UNION+%7B", "organization", "expected the IRI of"),
        ("/api/queries/members-of/run?organization=li-wei", "organization", "is not an instance of"),
        ("/api/queries/members-of/run?organization=acme%22%20.%20%7D", "organization", "expected the IRI"),
        ("/api/queries/older-than/run?age=40%20%7D%20UNION%20%7B", "age", "expected an integer"),
        ("/api/queries/born-after/run?after=yesterday", "after", "expected a date (YYYY-MM-DD)"),
        ("/api/queries/organizations-by-sector/run?sector=business%22%20%7D", "sector",
         "expected one of: academia, business, government"),
        ("/api/queries/people-named/run", "text", "missing parameter 'text'"),
        ("/api/queries/people-named/run?text=a&txet=b", "txet", "unknown parameter 'txet'"),
        ("/api/queries/people-named/run?text=a&text=b", "text", "given 2 values"),
    ],
)
def test_bad_parameter_values_are_400s_naming_the_parameter(client: FlaskClient, url: str, parameter: str,
                                                           message: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.json["parameter"] == parameter
    assert message in response.json["error"]


# -- writing -----------------------------------------------------------------------------------------------------


def test_writes_need_the_token(client: FlaskClient) -> None:
    missing = put(client, "mine", MINE, headers={})
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = put(client, "mine", MINE, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    basic = put(client, "mine", MINE, headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    assert client.delete("/api/queries/members-of").status_code == 401
    assert client.get("/api/queries/mine").status_code == 404


def test_writes_are_forbidden_without_a_configured_token(graph: KnowledgeGraph, tmp_path: Path) -> None:
    client = fixture_app(graph, tmp_path / "saved", token=None).test_client()
    response = put(client, "mine", MINE)
    assert response.status_code == 403 and "KG_WRITE_TOKEN" in response.json["error"]
    assert client.delete("/api/queries/mine", headers=AUTH).status_code == 403
    assert not (tmp_path / "saved").exists()


def test_put_creates_then_replaces_and_the_catalogue_shows_it(client: FlaskClient) -> None:
    created = put(client, "mine", MINE)
    assert created.status_code == 201, created.json
    assert created.headers["Location"].endswith("/api/queries/mine")
    assert created.json["source"] == "saved" and created.json["revision"] == 1 and created.json["sparql"] == MINE
    assert "mine" in {q["name"] for q in client.get("/api/queries?tag=saved").json["queries"]}
    assert [r["name"] for r in rows(client.get("/api/queries/mine/run?text=chen"))] == ["Bo Chen"]
    replaced = put(client, "mine", MINE.replace("Members by name", "Members, by name"))
    assert replaced.status_code == 200 and replaced.json["revision"] == 2
    assert client.get("/api/queries/mine").json["title"] == "Members, by name"


def test_history_revision_and_restore(client: FlaskClient) -> None:
    put(client, "mine", MINE)
    put(client, "mine", MINE.replace("Members by name", "Broken title"))
    history = client.get("/api/queries/mine/history").json
    assert [r["revision"] for r in history["revisions"]] == [1, 2]
    first = client.get(history["revisions"][0]["url"])
    assert first.mimetype == SPARQL_QUERY and first.get_data(as_text=True) == MINE
    assert client.post("/api/queries/mine/history/1/restore").status_code == 401
    restored = client.post("/api/queries/mine/history/1/restore", headers=AUTH)
    assert restored.status_code == 200 and restored.json["title"] == "Members by name"
    assert restored.json["revision"] == 3
    assert client.get("/api/queries/mine/history/9").status_code == 404
    assert client.get("/api/queries/members-of/history").status_code == 404


def test_delete_removes_and_keeps_the_history(client: FlaskClient) -> None:
    put(client, "mine", MINE)
    assert client.delete("/api/queries/mine", headers=AUTH).status_code == 204
    assert client.get("/api/queries/mine").status_code == 404
    assert client.get("/api/queries/mine/run").status_code == 404
    assert client.delete("/api/queries/mine", headers=AUTH).status_code == 404
    assert client.post("/api/queries/mine/history/1/restore", headers=AUTH).status_code == 200
    assert client.get("/api/queries/mine").status_code == 200


def test_shipped_queries_cannot_be_replaced_or_deleted(client: FlaskClient) -> None:
    replaced = put(client, "members-of", MINE)
    assert replaced.status_code == 409 and "shipped query" in replaced.json["error"]
    assert client.delete("/api/queries/members-of", headers=AUTH).status_code == 409
    assert client.get("/api/queries/members-of").json["title"] == "Members of an organisation"


@pytest.mark.parametrize("name", ["..", "...", "a.b", "UPPER", "-dash", "under_score", "x" * 65, "%2e%2e",
                                  "%2E%2E%2Fevil", "caf%C3%A9", "sp%20ace", ".history", "x%0A"])
def test_hostile_names_are_refused_and_nothing_is_written(client: FlaskClient, tmp_path: Path, name: str) -> None:
    response = put(client, name, MINE)
    assert response.status_code in (400, 404), (name, response.status_code)
    assert client.delete(f"/api/queries/{name}", headers=AUTH).status_code in (400, 404)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.is_relative_to(tmp_path / "saved") for p in written)
    assert not any(p.suffix == ".rq" for p in written)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT ?s WHERE { ?s ?p ?o }\n", "needs a 'title'"),
        (rq("T", "SELECT ?s WHERE { ?s ?p \n"), "syntax error at line 3"),
        (rq("T", "SELECT ?s WHERE { ?s ?p ?o }\n", "#+ parameters:\n#+   year: integer\n"),
         "?year is not in the query"),
        (rq("T", "SELECT ?s WHERE { ?s ?p ?y }\n", "#+ parameters:\n#+   y: integer\n"), "cannot be bound"),
        (rq("T", "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }\n"), "SERVICE"),
        (rq("T", "INSERT DATA { <http://e/s> <http://e/p> 1 }\n"), "syntax error"),
    ],
)
def test_invalid_queries_are_not_saved(client: FlaskClient, text: str, message: str) -> None:
    response = put(client, "bad", text)
    assert response.status_code == 400, response.json
    assert message in response.json["error"]
    assert client.get("/api/queries/bad").status_code == 404


def test_syntax_error_positions_are_in_the_answer(client: FlaskClient) -> None:
    response = put(client, "bad", rq("T", "SELECT ?s WHERE {\n  ?s ?p \n}\n"))
    assert response.status_code == 400
    assert response.json["line"] == 4 and response.json["column"] >= 1


def test_body_must_be_a_sparql_query_and_not_too_large(graph: KnowledgeGraph, tmp_path: Path) -> None:
    app = fixture_app(graph, tmp_path / "saved")
    client = app.test_client()
    wrong = client.put("/api/queries/mine", data=MINE, content_type="text/plain", headers=AUTH)
    assert wrong.status_code == 415 and SPARQL_QUERY in wrong.json["error"]
    assert put(client, "mine", "   ").status_code == 400
    latin1 = client.put("/api/queries/mine", data=MINE.replace("Members", "Mitglieder für").encode("latin-1"),
                        content_type=SPARQL_QUERY, headers=AUTH)
    assert latin1.status_code == 400 and "not UTF-8" in latin1.json["error"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    huge = put(client, "mine", MINE + "#" * 5000)
    assert huge.status_code == 413 and "larger than" in huge.json["error"]


def test_concurrent_puts_of_one_name_keep_every_version_whole(client: FlaskClient, app: Flask) -> None:
    texts = [MINE.replace("Members by name", f"Version {n}") + "#" * 10_000 + "\n" for n in range(12)]
    barrier = threading.Barrier(len(texts))
    statuses: list[int] = []

    def save(text: str) -> None:
        local = app.test_client()
        barrier.wait()
        statuses.append(put(local, "raced", text).status_code)

    threads = [threading.Thread(target=save, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * (len(texts) - 1) + [201]
    history = client.get("/api/queries/raced/history").json["revisions"]
    assert [r["revision"] for r in history] == list(range(1, len(texts) + 1))
    versions = [client.get(r["url"]).get_data(as_text=True) for r in history]
    assert sorted(versions) == sorted(texts)
    assert client.get("/api/queries/raced").json["sparql"] == versions[-1]


def test_a_query_saved_over_http_survives_a_restart(tmp_path: Path) -> None:
    env = {"KG_QUERIES_DIR": str(tmp_path / "saved"), "KG_WRITE_TOKEN": TOKEN}
    data = CANNED / "data.ttl"
    with live_server(tmp_path, data, env=env, workers=1) as server:
        saved = server.request("PUT", "/api/queries/mine", MINE, {"Content-Type": SPARQL_QUERY, **AUTH})
        assert saved.status == 201, saved.text
        hostile = server.request("PUT", "/api/queries/..%2F..%2Fescape", MINE, {"Content-Type": SPARQL_QUERY, **AUTH})
        assert hostile.status in (400, 404)
        anonymous = server.request("PUT", "/api/queries/other", MINE, {"Content-Type": SPARQL_QUERY})
        assert anonymous.status == 401
    with live_server(tmp_path, data, env=env, workers=1) as server:
        listed = json.loads(server.request("GET", "/api/queries").body)
        assert "mine" in {q["name"] for q in listed["queries"]}
        answer = server.request("GET", "/api/queries/mine/run?text=lima", headers={"Accept": "text/csv"})
        assert answer.status == 200
        assert list(csv.reader(io.StringIO(answer.text)))[1][2] == "Ana Lima"
    assert not any(tmp_path.rglob("escape*"))
