"""The SPARQL 1.1 Protocol's query operation against ``kg serve`` on 127.0.0.1, every answer read by rdflib's parsers.

Each W3C protocol test case (w3c/rdf-tests, ``sparql/sparql11/protocol/manifest.ttl``)
is covered by a test here (query cases) or in ``test_sparql_update.py`` (update
cases); its docstring names the case.  The update cases' data lives in
``tests/fixtures/protocol.trig`` under the graph names the suite uses.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import rdflib
from rdflib.query import Result

from tests.conftest import FIXTURES
from tests.live_server import LiveServer, Reply, live_server

DATA = "http://kasei.us/2009/09/sparql/data/"
FAMILY = "http://example.org/family#"
RESULT_PARSERS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("protocol"), FIXTURES / "family.ttl", FIXTURES / "protocol.trig") as running:
        yield running


def media_type(reply: Reply) -> str:
    return reply.headers["content-type"].split(";")[0].strip()


def parsed_result(reply: Reply) -> Result:
    """The answer read by rdflib's own parser for its media type."""
    assert reply.status == 200, reply.text
    return Result.parse(io.BytesIO(reply.body), format=RESULT_PARSERS[media_type(reply)])


def parsed_graph(reply: Reply) -> rdflib.Dataset:
    assert reply.status == 200, reply.text
    dataset = rdflib.Dataset()
    dataset.parse(data=reply.body, format=GRAPH_PARSERS[media_type(reply)])
    return dataset


def get(server: LiveServer, query: str, extra: str = "", headers: dict[str, str] | None = None) -> Reply:
    return server.request("GET", f"/sparql/?query={quote(query)}{extra}", headers=headers)


def post_query(server: LiveServer, query: str, path: str = "/sparql/", headers: dict[str, str] | None = None) -> Reply:
    return server.request("POST", path, query, {"Content-Type": "application/sparql-query", **(headers or {})})


def g(name: str) -> str:
    return quote(DATA + name, safe="")


# -- the W3C protocol test suite: query operation ------------------------------------------------------


def test_query_post_form(server: LiveServer) -> None:
    """W3C query_post_form: ASK {} via URL-encoded POST, dataset in the URL."""
    reply = server.request("POST", f"/sparql/?default-graph-uri={g('data0.rdf')}", "query=ASK%20%7B%7D",
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert parsed_result(reply).askAnswer is True


def test_query_dataset_default_graphs_get(server: LiveServer) -> None:
    """W3C query_dataset_default_graphs_get: two default-graph-uri merge into the default graph."""
    query = f"ASK {{ <{DATA}data1.rdf> a ?type . <{DATA}data2.rdf> a ?type . }}"
    reply = get(server, query, f"&default-graph-uri={g('data1.rdf')}&default-graph-uri={g('data2.rdf')}")
    assert parsed_result(reply).askAnswer is True


def test_query_dataset_default_graphs_post(server: LiveServer) -> None:
    """W3C query_dataset_default_graphs_post: the same with the query as an application/sparql-query body."""
    query = f"ASK {{ <{DATA}data1.rdf> a ?type . <{DATA}data2.rdf> a ?type . }}"
    reply = post_query(server, query, f"/sparql/?default-graph-uri={g('data1.rdf')}&default-graph-uri={g('data2.rdf')}")
    assert parsed_result(reply).askAnswer is True


def test_query_dataset_named_graphs_post(server: LiveServer) -> None:
    """W3C query_dataset_named_graphs_post: named-graph-uri gives the graphs GRAPH ?g ranges over."""
    query = f"ASK {{ GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}"
    reply = post_query(server, query, f"/sparql/?named-graph-uri={g('data1.rdf')}&named-graph-uri={g('data2.rdf')}")
    assert parsed_result(reply).askAnswer is True


def test_query_dataset_named_graphs_get(server: LiveServer) -> None:
    """W3C query_dataset_named_graphs_get: the same with GET."""
    query = f"ASK {{ GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}"
    reply = get(server, query, f"&named-graph-uri={g('data1.rdf')}&named-graph-uri={g('data2.rdf')}")
    assert parsed_result(reply).askAnswer is True


def test_query_dataset_full(server: LiveServer) -> None:
    """W3C query_dataset_full: protocol default and named graphs together."""
    query = (f"ASK {{ <{DATA}data3.rdf> a ?type GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} "
             f"GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}")
    path = f"/sparql/?default-graph-uri={g('data3.rdf')}&named-graph-uri={g('data1.rdf')}&named-graph-uri={g('data2.rdf')}"
    assert parsed_result(post_query(server, query, path)).askAnswer is True
    # Without data3 as the default graph the first pattern has nothing to match.
    path = f"/sparql/?default-graph-uri={g('data0.rdf')}&named-graph-uri={g('data1.rdf')}&named-graph-uri={g('data2.rdf')}"
    assert parsed_result(post_query(server, query.replace("data3", "data2"), path)).askAnswer is False


def test_query_multiple_dataset(server: LiveServer) -> None:
    """W3C query_multiple_dataset: the protocol's dataset overrides the query's FROM.

    (The manifest percent-encodes the '&' between the two named-graph-uri values, so as
    written it names one odd graph; this sends the two parameters it means.)
    """
    query = (f"ASK FROM <{DATA}data3.rdf> {{ GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} "
             f"GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}")
    reply = post_query(server, query, f"/sparql/?named-graph-uri={g('data1.rdf')}&named-graph-uri={g('data2.rdf')}")
    assert parsed_result(reply).askAnswer is True
    # The query's own FROM alone gives no named graphs, so the same ASK is false without the protocol's.
    assert parsed_result(post_query(server, query)).askAnswer is False


def test_query_get(server: LiveServer) -> None:
    """W3C query_get: ASK {} via GET."""
    assert parsed_result(get(server, "ASK {}", f"&default-graph-uri={g('data0.rdf')}")).askAnswer is True


def test_query_content_type_select(server: LiveServer) -> None:
    """W3C query_content_type_select: a SELECT answers in a tabular results format."""
    reply = post_query(server, "SELECT (1 AS ?value) {}", f"/sparql/?default-graph-uri={g('data0.rdf')}")
    assert media_type(reply) in RESULT_PARSERS
    assert [int(row[0]) for row in parsed_result(reply)] == [1]


def test_query_content_type_ask(server: LiveServer) -> None:
    """W3C query_content_type_ask: an ASK answers in a boolean results format."""
    reply = post_query(server, "ASK {}", f"/sparql/?default-graph-uri={g('data0.rdf')}")
    assert media_type(reply) in ("application/sparql-results+json", "application/sparql-results+xml")
    assert parsed_result(reply).askAnswer is True


def test_query_content_type_describe(server: LiveServer) -> None:
    """W3C query_content_type_describe: a DESCRIBE answers in an RDF format."""
    reply = post_query(server, "DESCRIBE <http://example.org/>", f"/sparql/?default-graph-uri={g('data0.rdf')}")
    assert media_type(reply) in GRAPH_PARSERS
    assert len(parsed_graph(reply)) == 0
    reply = post_query(server, f"DESCRIBE <{DATA}data0.rdf>", f"/sparql/?default-graph-uri={g('data0.rdf')}")
    assert (rdflib.URIRef(DATA + "data0.rdf"), rdflib.DCTERMS.title, rdflib.Literal("data 0")) in parsed_graph(reply)


def test_query_content_type_construct(server: LiveServer) -> None:
    """W3C query_content_type_construct: a CONSTRUCT answers in an RDF format, relative IRIs resolved."""
    reply = post_query(server, "CONSTRUCT { <s> <p> 1 } WHERE {}", f"/sparql/?default-graph-uri={g('data0.rdf')}")
    assert media_type(reply) == "text/turtle"
    triples = list(parsed_graph(reply).triples((None, None, None)))
    assert triples == [(rdflib.URIRef("http://localhost:8000/s"), rdflib.URIRef("http://localhost:8000/p"), rdflib.Literal(1))]


def test_query_post_direct(server: LiveServer) -> None:
    """W3C query_post_direct: ASK {} as an application/sparql-query body."""
    assert parsed_result(post_query(server, "ASK {}")).askAnswer is True


def test_bad_query_method(server: LiveServer) -> None:
    """W3C bad_query_method: PUT (and DELETE, PATCH) are 405 with an Allow header."""
    for method in ("PUT", "DELETE", "PATCH"):
        reply = server.request(method, f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={g('data0.rdf')}", b"",
                               {"Content-Type": "application/x-www-form-urlencoded"})
        assert reply.status == 405
        assert {"GET", "POST"} <= {m.strip() for m in reply.headers["allow"].split(",")}


def test_bad_multiple_queries(server: LiveServer) -> None:
    """W3C bad_multiple_queries: two query parameters are a 400 saying so."""
    reply = server.request("GET", "/sparql/?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert reply.status == 400
    assert "'query' parameter is given 2 times" in reply.text


def test_bad_query_wrong_media_type(server: LiveServer) -> None:
    """W3C bad_query_wrong_media_type: a text/plain body is 415 naming the accepted types."""
    reply = server.request("POST", "/sparql/", "ASK {}", {"Content-Type": "text/plain"})
    assert reply.status == 415
    assert "application/sparql-query" in reply.text


def test_bad_query_missing_form_type(server: LiveServer) -> None:
    """W3C bad_query_missing_form_type: a URL-encoded body without its Content-Type is 415."""
    assert server.request("POST", "/sparql/", "query=ASK%20%7B%7D").status == 415


def test_bad_query_missing_direct_type(server: LiveServer) -> None:
    """W3C bad_query_missing_direct_type: a SPARQL body without its Content-Type is 415."""
    assert server.request("POST", "/sparql/", "ASK {}").status == 415


def test_bad_query_non_utf8(server: LiveServer) -> None:
    """W3C bad_query_non_utf8: a UTF-16 body (charset=UTF-16) is 415; undeclared non-UTF-8 bytes are 400."""
    reply = server.request("POST", "/sparql/", "ASK {}".encode("utf-16"),
                           {"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert reply.status == 415
    assert "UTF-8" in reply.text
    reply = server.request("POST", "/sparql/", "ASK {}".encode("utf-16"), {"Content-Type": "application/sparql-query"})
    assert reply.status == 400
    assert "not valid UTF-8" in reply.text


def test_bad_query_syntax(server: LiveServer) -> None:
    """W3C bad_query_syntax: a malformed query is 400 with the parser's message, line and column."""
    reply = server.request("GET", "/sparql/?query=ASK%20%7B")
    assert reply.status == 400
    assert "line 1, column 6" in reply.text
    reply = get(server, "SELECT * WHERE {\n  ?s ?p ?o .\n  ?s <a b> ?o\n}", headers={"Accept": "application/json"})
    body = json.loads(reply.body)
    assert reply.status == 400
    assert (body["line"], body["column"]) == (3, 11)
    assert "syntax error at line 3, column 11" in body["error"]


# -- negotiation and formats ---------------------------------------------------------------------------


@pytest.mark.parametrize("accept", list(RESULT_PARSERS))
def test_select_in_every_results_format(server: LiveServer, accept: str) -> None:
    query = f"SELECT ?x ?age WHERE {{ ?x a schema:Person OPTIONAL {{ ?x <{FAMILY}age> ?age }} }} ORDER BY ?x"
    reply = get(server, query, headers={"Accept": accept})
    assert media_type(reply) == accept
    assert reply.headers["content-type"].endswith("charset=utf-8")
    assert "Accept" in reply.headers["vary"]
    rows = {str(row[0]): (str(row[1]) if row[1] is not None else None) for row in parsed_result(reply)}
    assert rows == {FAMILY + "ann": "61", FAMILY + "bob": None, "http://localhost:8000/people/dee": None}


@pytest.mark.parametrize("accept", list(GRAPH_PARSERS))
def test_construct_in_every_rdf_format(server: LiveServer, accept: str) -> None:
    query = f"CONSTRUCT {{ ?x a <{FAMILY}Person> ; <{FAMILY}note> \"é\\n\\\"x\\\"\"@fr }} WHERE {{ ?x a schema:Person }}"
    reply = get(server, query, headers={"Accept": accept})
    assert media_type(reply) == accept
    graph = parsed_graph(reply)
    people = set(graph.subjects(rdflib.RDF.type, rdflib.URIRef(FAMILY + "Person")))
    assert people == {rdflib.URIRef(FAMILY + "ann"), rdflib.URIRef(FAMILY + "bob"), rdflib.URIRef("http://localhost:8000/people/dee")}
    assert set(graph.objects(rdflib.URIRef(FAMILY + "ann"), rdflib.URIRef(FAMILY + "note"))) == {rdflib.Literal('é\n"x"', lang="fr")}


def test_accept_q_values_and_wildcards(server: LiveServer) -> None:
    accept = "application/sparql-results+json;q=0.5, text/csv;q=0.9, */*;q=0.1"
    assert media_type(get(server, "SELECT * {}", headers={"Accept": accept})) == "text/csv"
    assert media_type(get(server, "SELECT * {}", headers={"Accept": "*/*"})) == "application/sparql-results+json"
    assert media_type(get(server, "SELECT * {}", headers={"Accept": "application/xml"})) == "application/sparql-results+xml"
    assert media_type(get(server, "CONSTRUCT WHERE { ?s ?p ?o }", headers={"Accept": "text/*"})) == "text/turtle"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert media_type(get(server, "ASK {}", headers={"Accept": browser})) == "application/sparql-results+xml"


def test_format_parameter_overrides_accept(server: LiveServer) -> None:
    reply = get(server, "SELECT (1 AS ?one) {}", "&format=tsv", {"Accept": "application/sparql-results+json"})
    assert media_type(reply) == "text/tab-separated-values"
    assert media_type(get(server, "SELECT * {}", "&format=" + quote("application/sparql-results+xml"))) == \
        "application/sparql-results+xml"
    assert media_type(get(server, "CONSTRUCT WHERE { ?s ?p ?o }", "&format=jsonld")) == "application/ld+json"
    unknown = get(server, "SELECT * {}", "&format=yaml")
    assert unknown.status == 400
    assert "unknown format 'yaml'" in unknown.text


def test_unacceptable_format_is_406_listing_the_offer(server: LiveServer) -> None:
    reply = get(server, "SELECT * {}", headers={"Accept": "image/png"})
    assert reply.status == 406
    for offered in RESULT_PARSERS:
        assert offered in reply.text
    reply = get(server, "CONSTRUCT WHERE { ?s ?p ?o }", headers={"Accept": "image/png, text/html;q=0.5"})
    assert reply.status == 406
    assert "text/turtle" in reply.text and "application/n-quads" in reply.text
    assert get(server, "SELECT * {}", "&format=turtle").status == 406
    assert get(server, "CONSTRUCT WHERE { ?s ?p ?o }", "&format=csv").status == 406


def test_a_client_accepting_one_kind_gets_the_other_in_its_default(server: LiveServer) -> None:
    """rdflib's SPARQLStore sends result-set media types even with a CONSTRUCT: it gets Turtle, not a 406."""
    reply = get(server, "CONSTRUCT WHERE { ?s ?p ?o }", headers={"Accept": "application/sparql-results+json"})
    assert media_type(reply) == "text/turtle"
    assert media_type(get(server, "ASK {}", headers={"Accept": "application/n-triples"})) == "application/sparql-results+json"


# -- request forms, dataset, reasoning -----------------------------------------------------------------


def test_head_answers_like_get_without_a_body(server: LiveServer) -> None:
    reply = server.request("HEAD", f"/sparql?query={quote('ASK {}')}")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/sparql-results+json")
    assert reply.body == b""


def test_post_form_and_path_without_slash(server: LiveServer) -> None:
    reply = server.request("POST", "/sparql", "query=" + quote("SELECT (2 AS ?two) {}") + "&format=csv",
                           {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert reply.text == "two\r\n2\r\n"


def test_query_and_update_together_is_400(server: LiveServer) -> None:
    reply = server.request("POST", "/sparql", "query=ASK%7B%7D&update=CLEAR%20ALL",
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400
    assert "either a query or an update" in reply.text


def test_reasoning_per_request(server: LiveServer) -> None:
    """``reasoning=none|rdfs|owlrl`` switches what the default graph entails; anything else is 400."""
    query = "SELECT ?x WHERE { ?x a schema:Person } ORDER BY ?x"
    answers = {mode: {str(r[0]) for r in parsed_result(get(server, query, f"&reasoning={mode}"))} for mode in ("none", "rdfs", "owlrl")}
    assert answers["none"] == set()
    assert answers["rdfs"] == set()  # schema:Person is reached only through owl:equivalentClass
    assert answers["owlrl"] == {FAMILY + "ann", FAMILY + "bob", "http://localhost:8000/people/dee"}
    assert {str(r[0]) for r in parsed_result(get(server, query))} == answers["owlrl"]
    ask = f"ASK {{ <{FAMILY}ann> a <{FAMILY}Parent> }}"
    assert parsed_result(get(server, ask, "&reasoning=rdfs")).askAnswer is True
    assert parsed_result(get(server, ask, "&reasoning=none")).askAnswer is False
    bad = get(server, "ASK {}", "&reasoning=owl2")
    assert bad.status == 400
    assert "none, rdfs, owlrl" in bad.text


def test_graph_variable_sees_the_bookkeeping_graphs_only_when_the_query_names_them(server: LiveServer) -> None:
    named = "VALUES ?g { graph:asserted graph:inferred graph:inferred-rdfs }"
    query = f"SELECT ?g WHERE {{ {named} GRAPH ?g {{ <{FAMILY}ann> a ?type }} FILTER(?type = <{FAMILY}Parent>) }}"
    graphs = {str(row[0]) for row in parsed_result(get(server, query))}
    assert graphs == {"http://localhost:8000/graph/inferred", "http://localhost:8000/graph/inferred-rdfs"}
    query = f"SELECT DISTINCT ?g WHERE {{ {named} GRAPH ?g {{ <{FAMILY}ann> <{FAMILY}hasChild> ?c }} }}"
    assert {str(row[0]) for row in parsed_result(get(server, query))} == {"http://localhost:8000/graph/asserted"}
    unnamed = f"SELECT ?g WHERE {{ GRAPH ?g {{ <{FAMILY}ann> a <{FAMILY}Parent> }} }}"
    assert list(parsed_result(get(server, unnamed))) == []


def test_from_a_graph_not_in_the_store_is_empty(server: LiveServer) -> None:
    assert parsed_result(get(server, "ASK FROM <http://example.org/nowhere> { ?s ?p ?o }")).askAnswer is False
    assert parsed_result(get(server, f"ASK FROM <{DATA}data1.rdf> {{ ?s ?p ?o }}")).askAnswer is True


def test_predeclared_prefixes_and_bad_ones(server: LiveServer) -> None:
    assert parsed_result(get(server, "ASK { ?x a owl:Class }")).askAnswer is True
    reply = get(server, "ASK { ?x a nope:Class }")
    assert reply.status == 400
    assert "undeclared prefix 'nope:'" in reply.text


# -- service description -------------------------------------------------------------------------------

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


def test_service_description(server: LiveServer) -> None:
    reply = server.request("GET", "/sparql")
    assert media_type(reply) == "text/turtle"
    description = rdflib.Graph().parse(data=reply.body, format="turtle")
    endpoint = rdflib.URIRef(server.url)
    assert (endpoint, rdflib.RDF.type, SD.Service) in description
    assert (endpoint, SD.endpoint, endpoint) in description
    assert set(description.objects(endpoint, SD.supportedLanguage)) == {SD.SPARQL11Query}  # no token: no update
    formats = {str(f) for f in description.objects(endpoint, SD.resultFormat)}
    assert {"http://www.w3.org/ns/formats/SPARQL_Results_JSON", "http://www.w3.org/ns/formats/Turtle",
            "http://www.w3.org/ns/formats/SPARQL_Results_TSV", "http://www.w3.org/ns/formats/N-Quads"} <= formats
    assert (endpoint, SD.feature, SD.BasicFederatedQuery) not in description
    assert (endpoint, SD.defaultEntailmentRegime, rdflib.URIRef("http://www.w3.org/ns/entailment/OWL-RL")) in description
    def names(collection: rdflib.term.Node | None) -> set[str]:
        return {str(description.value(named, SD.name)) for named in description.objects(collection, SD.namedGraph)}

    assert DATA + "data1.rdf" in names(description.value(endpoint, SD.defaultDataset))
    assert not any("/graph/" in name for name in names(description.value(endpoint, SD.defaultDataset)))
    assert {"http://localhost:8000/graph/asserted", "http://localhost:8000/graph/inferred",
            "http://localhost:8000/graph/inferred-rdfs"} == names(description.value(endpoint, SD.availableGraphs))
    ours = rdflib.Namespace("http://localhost:8000/service#")
    assert description.value(endpoint, ours.queryTimeout).toPython() == 10
    assert description.value(endpoint, ours.maxResultRows).toPython() == 100_000
    values = {str(description.value(option, ours.parameterValue)) for option in description.objects(endpoint, ours.reasoningOption)}
    assert values == {"none", "rdfs", "owlrl"}
    assert description.value(ours.queryTimeout, rdflib.RDFS.comment) is not None


def test_service_description_negotiates(server: LiveServer) -> None:
    for accept, parser in (("application/ld+json", "json-ld"), ("application/n-triples", "nt"), ("application/rdf+xml", "xml")):
        reply = server.request("GET", "/sparql", headers={"Accept": accept})
        assert media_type(reply) == accept
        assert (None, SD.endpoint, None) in rdflib.Graph().parse(data=reply.body, format=parser)
    assert server.request("GET", "/sparql", headers={"Accept": "text/csv"}).status == 406


# -- CORS and errors ---------------------------------------------------------------------------------------


def test_cors_preflight_and_headers(server: LiveServer) -> None:
    preflight = server.request("OPTIONS", "/sparql", headers={
        "Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in preflight.headers["access-control-allow-methods"]
    answer = get(server, "ASK {}", headers={"Origin": "https://yasgui.example"})
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "X-SPARQL-MaxRows" in answer.headers["access-control-expose-headers"]
    assert server.request("PUT", "/sparql").headers["access-control-allow-origin"] == "*"


def test_oversized_body_is_413(server: LiveServer) -> None:
    body = "ASK {} #" + "x" * 1_100_000
    reply = server.request("POST", "/sparql", body, {"Content-Type": "application/sparql-query"})
    assert reply.status == 413


def test_bad_input_never_gets_a_500(server: LiveServer) -> None:
    bad = [
        ("GET", "/sparql?query=%FF%FE", None, {}),
        ("GET", "/sparql?query=" + quote("SELECT * { ?s ?p ?o } LIMIT 99999999999999999999999"), None, {}),
        ("GET", "/sparql?query=" + quote('SELECT * { BIND(<http://a b> AS ?x) }'), None, {}),
        ("POST", "/sparql", b"query=%ZZ", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("POST", "/sparql", b"", {"Content-Type": "application/sparql-query"}),
        ("POST", "/sparql", b"", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("POST", "/sparql", b"\xff\xfe", {"Content-Type": "application/sparql-update"}),
        ("POST", "/sparql", b"--x\r\n", {"Content-Type": "multipart/form-data; boundary=x"}),
        ("GET", "/sparql?query=" + quote("SELECT (xsd:integer('" + "9" * 5000 + "') AS ?n) {}"), None, {}),
        ("GET", "/sparql?query=" + quote("SELECT (xsd:date('2021-02-30') AS ?d) {}"), None, {}),
        ("GET", "/sparql?query=" + quote("SELECT (<http://example.org/unknown-function>(1) AS ?x) {}"), None, {}),
    ]
    for method, path, body, headers in bad:
        reply = server.request(method, path, body, headers)
        assert reply.status < 500, (path, reply.status, reply.text)
        assert "Traceback" not in reply.text


def test_long_queries_fit_in_a_get_url(server: LiveServer) -> None:
    """SPARQLWrapper sends queries with GET by default: a 30 KB query string is answered, not refused by the HTTP layer."""
    padding = "".join(f"# comment line {i} of a long generated query\n" for i in range(700))
    reply = get(server, padding + "ASK { ?s ?p ?o }")
    assert len(quote(padding)) > 30_000
    assert parsed_result(reply).askAnswer is True


FORM_PIECES = ["%41", "%c3%a9", "%C3%A9", "%", "%4", "%zz", "%%41", "+", "%2B", "&", "=", "\\", "\\x41", "\\u00e9",
               "a", "query", "é", "%FF", "%e2%82", "%e2%82%ac", " ", ";", "%3D", "%26"]


def test_form_decoding_reads_what_parse_qsl_reads() -> None:
    """Every mix of escapes, broken escapes, backslashes and non-ASCII text: the same pairs as the standard library,
    or the same refusal (invalid UTF-8 once decoded)."""
    import random
    from urllib.parse import parse_qsl

    from kg.sparql.protocol import ProtocolError, decode_form

    chosen = random.Random(20261203)
    for _ in range(3000):
        text = "".join(chosen.choice(FORM_PIECES) for _ in range(chosen.randint(0, 12)))
        try:
            expected: object = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            expected = "refused"
        try:
            got: object = decode_form(text.encode("utf-8"), "the test's text")
        except ProtocolError as error:
            assert error.status == 400 and "not valid UTF-8" in error.message
            got = "refused"
        assert got == expected, text


def test_a_query_url_decodes_to_its_text_in_either_encoding() -> None:
    from urllib.parse import unquote

    from kg.sparql.protocol import percent_decoded

    text = 'PREFIX ex: <http://example.org/é#>\nSELECT ?s WHERE { ?s ex:p "a \\"b\\" 100%" } LIMIT 10'
    assert percent_decoded(quote(text, safe="")) == text
    assert percent_decoded(quote(text, safe=""), "latin-1") == unquote(quote(text, safe=""), "latin-1") != text
