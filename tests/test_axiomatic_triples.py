"""``KG_AXIOMATIC_TRIPLES``: what OWL 2 RL/RDF derives from no premise (``kg.reasoning.axioms``).

Off (the default), an emptied store is empty under every entailment; on, every OWL 2 RL closure holds the 43
axioms, through writes that assert, delete or clear them, through explanations, and across a restart that
switches the setting.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from flask.testing import FlaskClient
from rdflib.query import Result

from kg.app import create_app
from kg.dataset import open_dataset
from kg.dataset.explain import explain
from kg.reasoning.axioms import AXIOMS, axiom_triples
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE
from tests.test_cli import FAMILY, kg

TOKEN = "axioms-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
XSD_INTEGER_IS_A_DATATYPE = ("ASK { <http://www.w3.org/2001/XMLSchema#integer> a "
                             "<http://www.w3.org/2000/01/rdf-schema#Datatype> }")
BUILT_IN_TYPES = """SELECT ?s ?o WHERE {
  VALUES ?o { owl:Class owl:AnnotationProperty rdfs:Datatype } ?s a ?o FILTER(STRSTARTS(STR(?s), "http://www.w3.org/"))
}"""


def _client(axiomatic: bool) -> FlaskClient:
    settings = Settings(base_uri=BASE, write_token=TOKEN, axiomatic_triples=axiomatic)
    graph = open_dataset(settings, [RdfSource(Path(FAMILY))])
    application = create_app(settings, graph)
    application.config["TESTING"] = True
    return application.test_client()


def _ask(client: FlaskClient, text: str, reasoning: str = "owlrl") -> bool:
    reply = client.get("/sparql", query_string={"query": text, "reasoning": reasoning},
                       headers={"Accept": "application/sparql-results+json"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return json.loads(reply.data)["boolean"]


def _types(client: FlaskClient, reasoning: str) -> set[tuple[str, str]]:
    reply = client.get("/sparql", query_string={"query": BUILT_IN_TYPES, "reasoning": reasoning},
                       headers={"Accept": "application/sparql-results+json"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return {(str(s), str(o)) for s, o in Result.parse(io.BytesIO(reply.data), format="json")}


def _update(client: FlaskClient, text: str) -> None:
    reply = client.post("/sparql", data=text, content_type="application/sparql-update", headers=AUTH)
    assert reply.status_code == 200, reply.get_data(as_text=True)


EXPECTED = {(s, o) for _, s, _, o in AXIOMS}


def test_off_by_default_an_emptied_store_is_empty() -> None:
    client = _client(axiomatic=False)
    assert _types(client, "owlrl") == set()
    _update(client, "DELETE WHERE { ?s ?p ?o }")
    for mode in ("none", "rdfs", "owlrl"):
        assert _ask(client, "ASK { ?s ?p ?o }", mode) is False, mode


def test_on_the_owl_closure_holds_the_43_axioms_and_no_other_mode_does() -> None:
    client = _client(axiomatic=True)
    assert len(EXPECTED) == 43
    assert _types(client, "owlrl") == EXPECTED
    assert _types(client, "rdfs") == set() and _types(client, "none") == set()


def test_an_axiom_asserted_then_deleted_still_follows_and_an_emptied_store_keeps_them() -> None:
    client = _client(axiomatic=True)
    _update(client, "INSERT DATA { xsd:integer a rdfs:Datatype }")
    assert _ask(client, XSD_INTEGER_IS_A_DATATYPE, "none") is True
    _update(client, "DELETE DATA { xsd:integer a rdfs:Datatype }")
    assert _ask(client, XSD_INTEGER_IS_A_DATATYPE, "none") is False
    assert _ask(client, XSD_INTEGER_IS_A_DATATYPE) is True
    _update(client, "DELETE WHERE { ?s ?p ?o }")
    assert _ask(client, "ASK { ?s ?p ?o }", "none") is False
    assert _types(client, "owlrl") == EXPECTED


@pytest.mark.parametrize("axiomatic", [False, True])
def test_the_service_description_says_whether_the_owl_closure_holds_them(axiomatic: bool) -> None:
    reply = _client(axiomatic).get("/sparql", headers={"Accept": "application/n-triples"})
    assert reply.status_code == 200
    description = rdflib.Graph().parse(data=reply.data, format="nt")
    ours = rdflib.Namespace(BASE + "service#")
    stated = {str(description.value(option, ours.parameterValue)): description.value(option, ours.axiomaticTriples)
              for option in description.objects(None, ours.reasoningOption)}
    assert stated["owlrl"].toPython() is axiomatic and stated["rdfs"] is None and stated["none"] is None


def test_an_axiom_is_explained_by_its_rule_with_no_premise() -> None:
    graph = open_dataset(Settings(base_uri=BASE, axiomatic_triples=True), [RdfSource(Path(FAMILY))])
    for triple in axiom_triples():
        tree = explain(graph, triple)
        assert tree is not None and tree.inferred and tree.rule in {"cls-thing", "cls-nothing1", "prp-ap", "dt-type1"}
        assert tree.premises == ()


def test_switching_the_setting_recomputes_a_persistent_store_s_closure(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'store'}"
    axiom = next(iter(axiom_triples()))
    for axiomatic in (False, True, False):
        lines: list[str] = []
        graph = open_dataset(Settings(base_uri=BASE, store=store, axiomatic_triples=axiomatic),
                             [RdfSource(Path(FAMILY))], lines.append)
        graph.ensure_reasoned("owlrl", lines.append)
        inferred = set(graph.store.triples(graph.layout.closure("owlrl")))
        assert (axiom in inferred) is axiomatic
        assert any(line.startswith("reasoning (owlrl") for line in lines), lines
        graph.close()


@pytest.mark.parametrize("flag, expected", [("--axiomatic-triples", "true"), ("--no-axiomatic-triples", "false")])
def test_the_cli_flag(flag: str, expected: str) -> None:
    done = kg(flag, "query", "--data", FAMILY, "--format", "json", XSD_INTEGER_IS_A_DATATYPE)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["boolean"] is (expected == "true")


def test_the_reference_engine_agrees() -> None:
    from kg.reasoning import infer

    asserted = {ox.Triple(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"),
                          ox.NamedNode("http://example.org/b"))}
    assert infer(asserted, "owlrl", "owlrl", axiomatic=True) == infer(asserted, "owlrl", "fast", axiomatic=True)
    assert axiom_triples() <= infer(asserted, "owlrl", "fast", axiomatic=True)
    assert not axiom_triples() & infer(asserted, "owlrl", "fast")
