"""Real SPARQL clients against ``kg serve`` on 127.0.0.1: SPARQLWrapper in every return format, rdflib's
SPARQLStore and SPARQLUpdateStore; every answer is also read by rdflib's own result and graph parsers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from urllib.error import HTTPError

import pytest
import rdflib
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, Unauthorized

from tests.conftest import FIXTURES
from tests.live_server import LiveServer, live_server

TOKEN = "client-test-token"
FAMILY = rdflib.Namespace("http://example.org/family#")
PEOPLE_QUERY = "SELECT ?x WHERE { ?x a schema:Person } ORDER BY ?x"
PEOPLE = {str(FAMILY.ann), str(FAMILY.bob), "http://localhost:8000/people/dee"}
RESULT_FORMATS = {JSON: "json", XML: "xml", CSV: "csv", TSV: "tsv"}
GRAPH_FORMATS = {TURTLE: "turtle", N3: "turtle", RDFXML: "xml", JSONLD: "json-ld"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("clients"), FIXTURES / "family.ttl", env={"KG_WRITE_TOKEN": TOKEN}) as running:
        yield running


def wrapper(server: LiveServer, query: str, return_format: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(server.url)
    client.setQuery(query)
    client.setReturnFormat(return_format)
    client.setMethod(method)
    return client


@pytest.mark.parametrize("method", ["GET", POST])
@pytest.mark.parametrize("return_format", list(RESULT_FORMATS))
def test_sparqlwrapper_select(server: LiveServer, return_format: str, method: str) -> None:
    response = wrapper(server, PEOPLE_QUERY, return_format, method).query()
    body = response.response.read()
    rows = Result.parse(io.BytesIO(body), format=RESULT_FORMATS[return_format])
    assert {str(row[0]) for row in rows} == PEOPLE
    if return_format == JSON:
        converted = wrapper(server, PEOPLE_QUERY, JSON, method).query().convert()
        assert {b["x"]["value"] for b in converted["results"]["bindings"]} == PEOPLE  # type: ignore[index]


@pytest.mark.parametrize("return_format", [JSON, XML])
def test_sparqlwrapper_ask(server: LiveServer, return_format: str) -> None:
    query = f"ASK {{ <{FAMILY.ann}> <{FAMILY.ancestorOf}> <{FAMILY.cid}> }}"
    body = wrapper(server, query, return_format).query().response.read()
    assert Result.parse(io.BytesIO(body), format=RESULT_FORMATS[return_format]).askAnswer is True
    converted = wrapper(server, query, return_format).query().convert()
    assert (converted["boolean"] if return_format == JSON else "true" in converted.toxml()) is True  # type: ignore[index, union-attr]


@pytest.mark.parametrize("return_format", list(GRAPH_FORMATS))
def test_sparqlwrapper_construct(server: LiveServer, return_format: str) -> None:
    query = f"CONSTRUCT {{ ?x a <{FAMILY.Person}> }} WHERE {{ ?x a schema:Person }}"
    converted = wrapper(server, query, return_format).query().convert()
    graph = converted if isinstance(converted, rdflib.Graph) else rdflib.Graph().parse(data=converted, format=GRAPH_FORMATS[return_format])
    assert {str(s) for s in graph.subjects(rdflib.RDF.type, FAMILY.Person)} == PEOPLE
    body = wrapper(server, query, return_format).query().response.read()
    assert len(rdflib.Graph().parse(data=body, format=GRAPH_FORMATS[return_format])) == 3


def test_sparqlwrapper_n_triples_and_describe(server: LiveServer) -> None:
    client = wrapper(server, f"DESCRIBE <{FAMILY.ann}>", TURTLE)
    client.setOnlyConneg(True)
    client.addCustomHttpHeader("Accept", "application/n-triples")
    response = client.query().response
    assert response.headers["Content-Type"].startswith("application/n-triples")
    graph = rdflib.Graph().parse(data=response.read(), format="nt")
    assert (FAMILY.ann, FAMILY.hasChild, FAMILY.bob) in graph


def test_sparqlwrapper_errors(server: LiveServer) -> None:
    with pytest.raises(QueryBadFormed) as error:
        wrapper(server, "SELECT * WHERE { ?s ?p }", JSON).query()
    assert "line 1" in str(error.value)
    update = wrapper(server, "INSERT DATA { <http://a> <http://b> <http://c> }", JSON, POST)
    with pytest.raises(Unauthorized):
        update.query()


def test_sparqlwrapper_update_with_the_token(server: LiveServer) -> None:
    update = wrapper(server, f"INSERT DATA {{ <{FAMILY.wrapped}> a <{FAMILY.Parent}> }}", JSON, POST)
    update.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    assert update.query().response.status == 200
    ask = wrapper(server, f"ASK {{ <{FAMILY.wrapped}> a schema:Person }}", JSON).query().convert()
    assert ask["boolean"] is True  # type: ignore[index]
    delete = wrapper(server, f"DELETE DATA {{ <{FAMILY.wrapped}> a <{FAMILY.Parent}> }}", JSON, POST)
    delete.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    delete.query()
    assert wrapper(server, f"ASK {{ <{FAMILY.wrapped}> ?p ?o }}", JSON).query().convert()["boolean"] is False  # type: ignore[index]


def test_rdflib_sparqlstore(server: LiveServer) -> None:
    graph = rdflib.Graph(store=SPARQLStore(server.url, returnFormat="json"))
    assert {str(row[0]) for row in graph.query(PEOPLE_QUERY)} == PEOPLE
    assert graph.query(f"ASK {{ <{FAMILY.ann}> <{FAMILY.ancestorOf}> <{FAMILY.cid}> }}").askAnswer is True
    constructed = graph.query(f"CONSTRUCT {{ ?x a <{FAMILY.Person}> }} WHERE {{ ?x a schema:Person }}").graph
    assert {str(s) for s in constructed.subjects()} == PEOPLE
    assert (FAMILY.ann, FAMILY.hasChild, FAMILY.bob) in graph
    assert set(graph.objects(FAMILY.bob, FAMILY.hasParent)) == {FAMILY.ann}  # inferred (owl:inverseOf)
    assert len(graph) > 16
    names = {str(context) for context in graph.store.contexts()}
    assert names == set(), "family.ttl has no named graph; the bookkeeping graphs are not the data's named graphs"
    xml_graph = rdflib.Graph(store=SPARQLStore(server.url, returnFormat="xml"))
    assert {str(row[0]) for row in xml_graph.query(PEOPLE_QUERY)} == PEOPLE


def test_rdflib_sparqlupdatestore(server: LiveServer) -> None:
    store = SPARQLUpdateStore(server.url, server.url, headers={"Authorization": f"Bearer {TOKEN}"})
    graph = rdflib.Graph(store=store, identifier=DATASET_DEFAULT_GRAPH_ID)  # writes without GRAPH: the default graph
    graph.add((FAMILY.hal, FAMILY.hasChild, FAMILY.ida))
    reader = rdflib.Graph(store=SPARQLStore(server.url))
    assert reader.query(f"ASK {{ <{FAMILY.ida}> <{FAMILY.hasParent}> <{FAMILY.hal}> }}").askAnswer is True
    graph.remove((FAMILY.hal, FAMILY.hasChild, FAMILY.ida))
    assert reader.query(f"ASK {{ <{FAMILY.hal}> ?p ?o }}").askAnswer is False
    named = rdflib.Graph(store=store, identifier=rdflib.URIRef("http://example.org/updated"))
    named.add((FAMILY.hal, FAMILY.hasChild, FAMILY.ida))
    assert reader.query(f"ASK {{ GRAPH <http://example.org/updated> {{ <{FAMILY.hal}> ?p ?o }} }}").askAnswer is True
    assert reader.query(f"ASK {{ <{FAMILY.hal}> ?p ?o }}").askAnswer is False, "a named graph stays named"
    named.remove((FAMILY.hal, FAMILY.hasChild, FAMILY.ida))
    anonymous = rdflib.Graph(store=SPARQLUpdateStore(server.url, server.url), identifier=rdflib.URIRef("http://example.org/updated"))
    with pytest.raises(HTTPError) as refused:
        anonymous.add((FAMILY.hal, FAMILY.hasChild, FAMILY.ida))
    assert refused.value.code == 401
