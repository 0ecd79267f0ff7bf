"""Inconsistencies reach HTTP clients: ``GET /inconsistencies``, the service description, an update's answer."""

from __future__ import annotations

import rdflib
from flask.testing import FlaskClient

from kg.app import create_app
from kg.dataset import open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES

TOKEN = "inconsistent"
EX = "http://example.org/"
OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def new_client() -> FlaskClient:
    """An app over the family fixture (consistent, reasoned as ``kg serve`` does), writable with :data:`TOKEN`."""
    settings = Settings(base_uri=BASE, write_token=TOKEN)
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    app = create_app(settings, graph)
    app.config["TESTING"] = True
    return app.test_client()


def update(client: FlaskClient, text: str) -> str:
    reply = client.post("/sparql", data=text, headers={"Content-Type": "application/sparql-update",
                                                       "Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.get_data(as_text=True)


def consistency_in_description(client: FlaskClient) -> dict[str, tuple[str, str]]:
    """Mode -> (``consistent`` value, ``inconsistencies`` link) from ``GET /sparql``'s description."""
    reply = client.get("/sparql", headers={"Accept": "text/turtle"})
    description = rdflib.Graph().parse(data=reply.get_data(as_text=True), format="turtle")
    ours = rdflib.Namespace(BASE + "service#")
    found = {}
    for option in description.objects(None, ours.reasoningOption):
        consistent = description.value(option, ours.consistent)
        if consistent is not None:
            found[str(description.value(option, ours.parameterValue))] = (
                str(consistent), str(description.value(option, ours.inconsistencies)))
    return found


def test_an_update_that_contradicts_the_ontology_says_so_and_every_client_can_see_it() -> None:
    client = new_client()
    assert client.get("/inconsistencies").get_json() == {
        "owlrl": {"consistent": True, "inconsistencies": []}, "rdfs": {"consistent": True, "inconsistencies": []}}
    assert consistency_in_description(client) == {
        "owlrl": ("true", "http://localhost/inconsistencies?reasoning=owlrl"),
        "rdfs": ("true", "http://localhost/inconsistencies?reasoning=rdfs")}

    answer = update(client, f"INSERT DATA {{ <{EX}Cat> <{OWL}disjointWith> <{EX}Dog> . "
                            f"<{EX}rex> a <{EX}Dog> . <{EX}Puppy> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{EX}Dog> }}")
    assert answer.count("\n") == 1 and answer.startswith("update done: 1 operation; ")
    answer = update(client, f"INSERT DATA {{ <{EX}rex> a <{EX}Cat> }}")
    lines = answer.strip().split("\n")
    assert lines[0].startswith("update done: 1 operation; asserted triples +1 -0")
    assert lines[1:] == [(
        f"inconsistent (owlrl): cax-dw: an individual of two disjoint classes: <{EX}rex> <{RDF_TYPE}> <{EX}Cat> . "
        f"<{EX}rex> <{RDF_TYPE}> <{EX}Dog> . <{EX}Cat> <{OWL}disjointWith> <{EX}Dog> .")]

    listed = client.get("/inconsistencies", query_string={"reasoning": "owlrl"}).get_json()
    assert listed == {"owlrl": {"consistent": False, "inconsistencies": [{
        "rule": "cax-dw", "message": "an individual of two disjoint classes",
        "triples": [f"<{EX}rex> <{RDF_TYPE}> <{EX}Cat> .", f"<{EX}rex> <{RDF_TYPE}> <{EX}Dog> .",
                    f"<{EX}Cat> <{OWL}disjointWith> <{EX}Dog> ."]}]}}
    assert consistency_in_description(client)["owlrl"][0] == "false"
    assert consistency_in_description(client)["rdfs"][0] == "true"
    again = update(client, f"INSERT DATA {{ <{EX}tom> a <{EX}Puppy> }}")
    assert again.count("\n") == 1, "an inconsistency is reported by the update that brings it in, not by later ones"


def test_an_inconsistency_found_by_a_recomputed_closure_is_reported_too() -> None:
    client = new_client()
    update(client, f"INSERT DATA {{ <{EX}a> <{OWL}differentFrom> <{EX}b> . <{EX}old> a <{EX}Thing> }}")
    answer = update(client, f"DELETE DATA {{ <{EX}old> a <{EX}Thing> }} ; INSERT DATA {{ <{EX}a> <{OWL}sameAs> <{EX}b> }}")
    assert "\ninconsistent (owlrl): eq-diff1: resources both the same and different: " in answer


def test_inconsistencies_of_an_unknown_or_empty_mode_is_a_400() -> None:
    client = new_client()
    assert client.get("/inconsistencies", query_string={"reasoning": "none"}).status_code == 400
    reply = client.get("/inconsistencies", query_string={"reasoning": "owl"})
    assert reply.status_code == 400 and reply.content_type == "application/problem+json"


def test_describing_the_service_computes_no_closure() -> None:
    """A closure not computed yet (here RDFS, computed when a query first asks for it) is not computed to describe the
    service: on a large store that would take minutes under the writers' lock; its inconsistencies link stays."""
    settings = Settings(base_uri=BASE)
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    graph.ensure_reasoned("owlrl")
    client = create_app(settings, graph).test_client()
    assert consistency_in_description(client) == {"owlrl": ("true", "http://localhost/inconsistencies?reasoning=owlrl")}
    assert not graph.closures.is_current("rdfs")
    reply = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert "inconsistencies?reasoning=rdfs" in reply.get_data(as_text=True)
    assert client.get("/inconsistencies", query_string={"reasoning": "rdfs"}).get_json() == {
        "rdfs": {"consistent": True, "inconsistencies": []}}
    assert consistency_in_description(client)["rdfs"] == ("true", "http://localhost/inconsistencies?reasoning=rdfs")


def test_the_described_sizes_follow_every_change() -> None:
    client = new_client()

    def default_size() -> int:
        reply = client.get("/sparql", headers={"Accept": "text/turtle"})
        description = rdflib.Graph().parse(data=reply.get_data(as_text=True), format="turtle")
        sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
        default = next(description.objects(next(description.objects(None, sd.defaultDataset)), sd.defaultGraph))
        return int(description.value(default, rdflib.URIRef("http://rdfs.org/ns/void#triples")))

    before = default_size()
    assert default_size() == before
    update(client, f"INSERT DATA {{ <{EX}zed> <{EX}likes> <{EX}amy> }}")
    assert default_size() == before + 1
    update(client, f"DELETE DATA {{ <{EX}zed> <{EX}likes> <{EX}amy> }}")
    assert default_size() == before
