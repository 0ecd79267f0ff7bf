"""grlc's ``.rq`` files: its decorators and ``?_name_type`` parameters, read by the catalogue and run over the API.

The fixtures in ``tests/fixtures/grlc`` are written for this project from grlc's
documented syntax, one per kind of file in grlc's own test folder; each is
loaded by the catalogue the server uses and run on the shipped graph.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from rdflib.plugins.sparql.results.jsonresults import JSONResultParser

from kg.app import create_app
from kg.canned.catalogue import Catalogue
from kg.canned.errors import InvalidQuery
from kg.canned.grlc import paged
from kg.canned.header import parse_query
from kg.canned.run import query_job
from kg.cli import main
from kg.dataset import KnowledgeGraph
from kg.settings import Settings
from tests.conftest import BASE, FIXTURES

GRLC = FIXTURES / "grlc"
HOSTILE = '"> } ; DROP ALL ; #'
ID = BASE + "id/"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def grlc_app(knowledge_graph: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app over the shipped graph, with the grlc fixtures as its shipped catalogue."""
    settings = Settings(base_uri=BASE, queries_dir=tmp_path_factory.mktemp("saved"))
    app = create_app(settings, knowledge_graph)
    app.config["TESTING"] = True
    app.extensions["kg.catalogue"] = Catalogue.from_settings(settings, shipped_dir=GRLC)
    return app


@pytest.fixture
def client(grlc_app: Flask) -> FlaskClient:
    return grlc_app.test_client()


def catalogue(grlc_app: Flask) -> Catalogue:
    return grlc_app.extensions["kg.catalogue"]


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    result = JSONResultParser().parse(io.StringIO(response.get_data(as_text=True)))
    return [{str(k): str(v) for k, v in row.items()} for row in result.bindings]


def column(response, name: str) -> list[str]:
    return [row[name] for row in rows(response)]


def refused(response, parameter: str) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["parameter"] == parameter
    return response.json["error"]


def direct(graph: KnowledgeGraph, fixture: str, variable: str) -> list[str]:
    """The values of ``variable`` when the fixture's SPARQL runs straight on the graph, without the API."""
    return [str(row[variable]) for row in graph.select((GRLC / f"{fixture}.rq").read_text(), "owlrl")]


# -- reading ---------------------------------------------------------------------------------------------------


def test_every_grlc_fixture_is_in_the_catalogue(grlc_app: Flask) -> None:
    names = {query.name for query in catalogue(grlc_app).queries()}
    assert names == {path.stem for path in GRLC.glob("*.rq")}
    assert len(names) == 8


PARSED = {
    "summary-tags": {"title": "Organisations with their English names", "tags": ["organisations", "grlc"],
                     "parameters": [], "pagination": None, "method": None, "notes": []},
    "endpoint": {"title": "Dated events", "tags": ["events"], "parameters": [], "notes": [
        "endpoint http://dbpedia.org/sparql: not used, runs answer from this server's own graph",
        "endpoint_in_url False: not used, runs take no endpoint= parameter"]},
    "defaults-enumerate": {"parameters": [{
        "name": "sector", "type": "iri", "label": "sector", "description": "", "required": False,
        "default": "sector:academia", "values": ["sector:academia", "sector:business", "sector:think-tank"],
        "variable": "_sector_iri"}]},
    "pagination": {"title": "Organisations, ten at a time", "pagination": 10, "parameters": []},
    "convention": {"parameters": [
        {"name": "subject", "type": "iri", "label": "subject", "description": "", "required": True,
         "variable": "_subject_iri"},
        {"name": "minimum", "type": "number", "label": "minimum", "description": "", "required": False,
         "variable": "__minimum_number"},
        {"name": "period", "type": "literal", "label": "period", "description": "", "required": False,
         "datatype": XSD + "gYear", "variable": "__period_xsd_gYear"},
        {"name": "label", "type": "literal", "label": "label", "description": "", "required": False, "lang": "en",
         "variable": "__label_en"},
    ]},
    "convention-events": {"parameters": [
        {"name": "ordinal", "type": "integer", "label": "ordinal", "description": "", "required": True,
         "variable": "_ordinal_integer"},
        {"name": "from", "type": "date", "label": "from", "description": "", "required": False,
         "variable": "__from_date"},
    ]},
    "method-post": {"method": "POST", "notes": [], "parameters": [
        {"name": "abbreviation", "type": "literal", "label": "abbreviation", "description": "", "required": True,
         "variable": "_abbreviation"}]},
    "transform": {"notes": ["transform: not applied, runs answer in the standard SPARQL result formats"],
                  "parameters": [{"name": "organization", "type": "iri", "label": "organization", "description": "",
                                  "required": False, "default": "organization:cnipa",
                                  "variable": "_organization_iri"}]},
}


@pytest.mark.parametrize("name", sorted(PARSED))
def test_grlc_metadata_is_read_onto_the_model(client: FlaskClient, name: str) -> None:
    entry = client.get(f"/api/queries/{name}").json
    for key, expected in PARSED[name].items():
        assert entry[key] == expected, key


def test_summary_is_the_title_and_a_title_keeps_precedence() -> None:
    both = parse_query("q", "#+ title: Mine\n#+ summary: grlc's\n#+ description: More.\nSELECT * {}\n", {})
    assert (both.title, both.description) == ("Mine", "grlc's\n\nMore.")
    assert parse_query("q", "#+ summary: Only\nSELECT * {}\n", {}).title == "Only"


def test_declared_parameters_turn_the_convention_off() -> None:
    text = "#+ title: T\n#+ parameters:\n#+   x: literal\nSELECT ?x ?_y WHERE { ?_y ?p ?x }\n"
    assert [p.name for p in parse_query("q", text, {}).parameters] == ["x"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#+ summary: T\n#+ pagination: ten\nSELECT * {}\n", "rows per page"),
        ("#+ summary: T\n#+ pagination: 0\nSELECT * {}\n", "rows per page"),
        ("#+ summary: T\n#+ method: PUT\nSELECT * {}\n", "GET or POST"),
        ("#+ summary: T\n#+ defaults:\n#+   - nope: 1\nSELECT ?_x {}\n", "'nope', which is not a parameter"),
        ("#+ summary: T\n#+ defaults:\n#+   - n: ten\nSELECT ?_n_integer {}\n", "not an integer"),
        ("#+ summary: T\n#+ enumerate:\n#+   - d: [2021-02-30]\nSELECT ?_d_date {}\n", "not a date"),
        ("#+ summary: T\n#+ enumerate:\n#+   - s: [a b]\nSELECT ?_s_iri {}\n", "not an IRI"),
        ("#+ summary: T\nSELECT ?_x_foo_bar {}\n", "prefix 'foo:' is not declared"),
        ("#+ summary: T\nSELECT ?_x_a_b_c {}\n", "not a grlc parameter name"),
        ("#+ summary: T\nSELECT ?_x ?__x_iri {}\n", "both the grlc parameter 'x'"),
        ("#+ summary: T\nSELECT ?_page {}\n", "reserved"),
        ("#+ description: no title\nSELECT * {}\n", "or grlc's 'summary'"),
        ("#+ summary: T\n#+ endpoint-method: GET\nSELECT * {}\n", "unknown metadata key 'endpoint-method'"),
    ],
)
def test_grlc_header_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_query("q", text, {"xsd": XSD})
    assert message in caught.value.message


def test_suffixes_give_the_types_grlc_documents() -> None:
    text = "#+ summary: T\nPREFIX exa: <http://example.org/>\nSELECT * WHERE { ?s ?p ?_a, ?_b_iri, ?_c_number, " \
           "?_d_literal, ?_e_zh, ?_f_integer, ?_g_xsd_date, ?_h_decimal, ?_i_exa_kind, ?_j_whatever, ?__k_string, ?_l_ex_kind }\n"
    parameters = parse_query("q", text, {"xsd": XSD}).parameters
    kinds = {p.name: (p.type, p.lang, p.datatype, p.required) for p in parameters}
    assert kinds == {
        "a": ("literal", None, None, True), "b": ("iri", None, None, True), "c": ("number", None, None, True),
        "d": ("literal", None, None, True), "e": ("literal", "zh", None, True), "f": ("integer", None, None, True),
        "g": ("date", None, None, True), "h": ("literal", None, XSD + "decimal", True),
        "i": ("literal", None, "http://example.org/kind", True), "j": ("literal", None, None, True),
        "k": ("literal", None, None, False), "l": ("literal", "ex", None, True),
    }


# -- where the notes are shown ---------------------------------------------------------------------------------


def test_notes_and_method_are_shown_in_the_listing_the_openapi_document_and_the_cli(
        client: FlaskClient, tmp_path: Path) -> None:
    listed = {q["name"]: q for q in client.get("/api/queries").json["queries"]}
    assert listed["endpoint"]["notes"][0].startswith("endpoint http://dbpedia.org/sparql: not used")
    assert listed["method-post"]["method"] == "POST"
    paths = client.get("/api/openapi.json").json["paths"]
    assert "Not applicable here: transform: not applied" in paths["/api/queries/transform/run"]["get"]["description"]
    assert "Declared for `POST`" in paths["/api/queries/method-post/run"]["post"]["description"]
    page = next(p for p in paths["/api/queries/pagination/run"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"] == {"type": "integer", "minimum": 1, "default": 1}
    sector = paths["/api/queries/defaults-enumerate/run"]["get"]["parameters"][0]
    assert sector["schema"]["enum"] == ["sector:academia", "sector:business", "sector:think-tank"]
    assert "page" not in {p["name"] for p in paths["/api/queries/endpoint/run"]["get"]["parameters"]}
    saved = tmp_path / "saved"
    saved.mkdir()
    for name in ("endpoint", "pagination"):
        shutil.copy(GRLC / f"{name}.rq", saved / f"{name}.rq")
    runner = CliRunner()
    shown = runner.invoke(main, ["--base-uri", BASE, "queries", "--queries-dir", str(saved), "show", "endpoint"])
    assert shown.exit_code == 0, shown.output
    assert "note: endpoint http://dbpedia.org/sparql: not used" in shown.output
    paged_show = runner.invoke(main, ["--base-uri", BASE, "queries", "--queries-dir", str(saved), "show", "pagination"])
    assert "pagination: 10 rows per page" in paged_show.output


# -- running ---------------------------------------------------------------------------------------------------


def test_summary_tags_query_runs(client: FlaskClient, knowledge_graph: KnowledgeGraph) -> None:
    names = column(client.get("/api/queries/summary-tags/run"), "name")
    assert len(names) >= 30 and "China National Intellectual Property Administration" in names
    assert names == direct(knowledge_graph, "summary-tags", "name")
    assert [q["name"] for q in client.get("/api/queries?tag=grlc").json["queries"]] == ["summary-tags"]


def test_endpoint_query_runs_on_this_graph(client: FlaskClient) -> None:
    events = column(client.get("/api/queries/endpoint/run"), "event")
    assert ID + "event/high-level-roundtable-2021-01-13" in events
    refused(client.get("/api/queries/endpoint/run?endpoint=http://dbpedia.org/sparql"), "endpoint")


def test_defaults_and_enumerate(client: FlaskClient) -> None:
    run = "/api/queries/defaults-enumerate/run"
    by_default = rows(client.get(run))
    assert by_default and {row["_sector_iri"] for row in by_default} == {ID + "sector/academia"}
    business = rows(client.get(run, query_string={"sector": "sector:business"}))
    assert business and {row["_sector_iri"] for row in business} == {ID + "sector/business"}
    full_iri = rows(client.get(run, query_string={"sector": f"<{ID}sector/business>"}))
    assert full_iri == business
    assert "one of: sector:academia" in refused(client.get(run, query_string={"sector": "sector:government"}),
                                                "sector")
    refused(client.get(run, query_string={"sector": HOSTILE}), "sector")


def test_pagination_pages_through_the_answer(client: FlaskClient, knowledge_graph: KnowledgeGraph) -> None:
    everything = direct(knowledge_graph, "pagination", "organization")
    assert len(everything) > 20
    run = "/api/queries/pagination/run"
    first = client.get(run)
    assert column(first, "organization") == everything[:10]
    assert f'<{run}?page=2>; rel="next"' in first.headers["Link"]
    pages = [column(client.get(run, query_string={"page": n}), "organization") for n in range(1, 6)]
    assert [len(page) for page in pages] == [min(10, max(0, len(everything) - 10 * i)) for i in range(5)]
    assert [organization for page in pages for organization in page] == everything
    second = client.get(run, query_string={"page": "2", "format": "json"})
    assert f'<{run}?format=json&page=1>; rel="prev"' in second.headers["Link"]
    last = client.get(run, query_string={"page": str(len(everything) // 10 + 1)})
    assert 'rel="next"' not in last.headers["Link"]
    for bad in ("0", "-1", "two", "1 LIMIT 1000", HOSTILE, "1" * 12):
        refused(client.get(run, query_string={"page": bad}), "page")
    assert "not paged" in refused(client.get("/api/queries/endpoint/run?page=2"), "page")


def test_convention_parameters_bind_typed_values(client: FlaskClient) -> None:
    run = "/api/queries/convention/run"
    china = rows(client.get(run, query_string={"subject": "place:china"}))
    assert len(china) >= 3 and {row["_subject_iri"] for row in china} == {ID + "place/china"}
    at_least = rows(client.get(run, query_string={"subject": "place:china", "minimum": "20.5"}))
    assert at_least and all(float(row["value"]) >= 20.5 for row in at_least) and len(at_least) < len(china)
    in_2020 = rows(client.get(run, query_string={"subject": "place:china", "period": "2020"}))
    assert in_2020 and {row["__period_xsd_gYear"] for row in in_2020} == {"2020"}
    assert len(in_2020) < len(china)
    label = china[0]["__label_en"]
    assert column(client.get(run, query_string={"subject": "place:china", "label": label}), "observation") == [
        china[0]["observation"]]
    assert rows(client.get(run, query_string={"subject": "place:china", "label": HOSTILE})) == []
    refused(client.get(run), "subject")
    refused(client.get(run, query_string={"subject": "place:china", "minimum": "lots"}), "minimum")
    refused(client.get(run, query_string={"subject": "place:china", "period": "2020-10"}), "period")
    refused(client.get(run, query_string={"subject": HOSTILE}), "subject")


def test_convention_integer_and_date(client: FlaskClient) -> None:
    run = "/api/queries/convention-events/run"
    assert column(client.get(run, query_string={"ordinal": "1"}), "event") == [
        ID + "event/high-level-roundtable-2021-01-13"]
    assert rows(client.get(run, query_string={"ordinal": "1", "from": "2021-02-01"})) == []
    refused(client.get(run, query_string={"ordinal": "1.5"}), "ordinal")
    refused(client.get(run, query_string={"ordinal": "1", "from": "13/01/2021"}), "from")


def test_method_post_query_runs_with_post_and_get(client: FlaskClient) -> None:
    run = "/api/queries/method-post/run"
    posted = column(client.post(run, data={"abbreviation": "CNIPA"}), "organization")
    assert posted == [ID + "organization/cnipa"]
    assert column(client.get(run, query_string={"abbreviation": "CNIPA"}), "organization") == posted
    assert rows(client.post(run, data={"abbreviation": HOSTILE})) == []


def test_transform_query_answers_standard_results(client: FlaskClient) -> None:
    response = client.get("/api/queries/transform/run", headers={"Accept": "application/sparql-results+json"})
    assert set(response.json) == {"head", "results"}
    assert response.json["head"]["vars"] == ["_organization_iri", "property", "value"]
    assert (BASE + "ontology#abbreviation", "CNIPA") in {(row["property"], row["value"]) for row in rows(response)}


def test_a_parameter_variable_that_is_not_projected_is_explained(grlc_app: Flask, client: FlaskClient) -> None:
    saved = catalogue(grlc_app).saved_dir
    saved.mkdir(parents=True, exist_ok=True)
    (saved / "unprojected.rq").write_text("#+ summary: U\nSELECT ?p ?o WHERE { ?_id_iri ?p ?o } LIMIT 5\n")
    try:
        response = client.get("/api/queries/unprojected/run", query_string={"id": "organization:cnipa"})
    finally:
        (saved / "unprojected.rq").unlink()
    assert response.status_code == 400
    assert response.json["error"].startswith("parameter 'id' cannot be bound: ?_id_iri must be visible")


def test_a_hostile_value_is_bound_never_written_into_the_query(grlc_app: Flask,
                                                               knowledge_graph: KnowledgeGraph) -> None:
    query = catalogue(grlc_app).get("method-post")
    job = query_job(query, {"abbreviation": [HOSTILE]}, knowledge_graph)
    assert job.text == query.sparql and "DROP" not in job.text
    assert dict(job.bindings) == {"_abbreviation": rdflib.Literal(HOSTILE, datatype=rdflib.URIRef(XSD + "string"))}
    paged_job = query_job(catalogue(grlc_app).get("pagination"), {"page": ["3"]}, knowledge_graph)
    assert paged_job.text.endswith("\nLIMIT 10 OFFSET 20\n")


# -- the page window ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "page", "expected"),
    [
        ("SELECT ?n WHERE { VALUES ?n { 1 2 3 4 5 6 7 } } ORDER BY ?n", 2, [3, 4]),
        ("SELECT ?n WHERE { VALUES ?n { 1 2 3 4 5 6 7 } } ORDER BY ?n LIMIT 5", 3, [5]),
        ("SELECT ?n WHERE { VALUES ?n { 1 2 3 4 5 6 7 } } ORDER BY ?n OFFSET 1 limit 3", 2, [4]),
        ("SELECT ?n WHERE { VALUES ?n { 1 2 3 4 5 6 7 } } ORDER BY ?n LIMIT 2", 2, []),
        ("SELECT ?n WHERE { { SELECT ?n WHERE { VALUES ?n { 1 2 3 4 5 } } ORDER BY ?n LIMIT 4 } } ORDER BY ?n # end",
         2, [3, 4]),
        ("SELECT ?n WHERE { } ORDER BY ?n LIMIT 3 VALUES ?n { 1 2 3 4 }", 2, [3]),
        ("SELECT ?n WHERE { VALUES ?n { 1 2 3 4 5 } } ORDER BY ?n VALUES ?n { 1 2 3 4 }", 2, [3, 4]),
    ],
)
def test_page_window_keeps_the_query_s_own_limits(knowledge_graph: KnowledgeGraph, text: str, page: int,
                                                   expected: list[int]) -> None:
    answer = knowledge_graph.select(paged(text, 2, page), "none")
    assert [int(row["n"]) for row in answer] == expected
