"""Explanations: every inferred triple derives from asserted ones; ``kg explain`` and ``GET /explain``."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from kg.dataset import KnowledgeGraph, open_dataset
from kg.dataset.explain import explain
from kg.reasoning.explain import Derivation, derivation_tree
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES
from tests.test_cli import FAMILY, kg

EX = "http://example.org/family#"
INFERRED_GRAPH = {"owlrl": "inferred", "rdfs": "inferred-rdfs"}


def assert_well_founded(tree: Derivation, asserted: set[ox.Triple]) -> None:
    assert tree.inferred and tree.rule and tree.premises, tree.triple
    leaves = tree.leaves()
    assert not [leaf for leaf in leaves if leaf.truncated]
    assert {leaf.triple for leaf in leaves} <= asserted


@pytest.mark.parametrize("mode", ["owlrl", "rdfs"])
def test_every_inferred_triple_of_the_shipped_graph_is_explained(knowledge_graph: KnowledgeGraph, mode: str) -> None:
    asserted = knowledge_graph.asserted_triples()
    closure = knowledge_graph.closure(mode)
    additions = closure.additions()
    stored = set(knowledge_graph.store.triples(knowledge_graph.graph_iri(INFERRED_GRAPH[mode])))
    assert additions and set(closure.engine.terms.triples(additions)) == stored
    for fact in additions:
        assert_well_founded(derivation_tree(closure, fact), asserted)


@pytest.mark.parametrize("fixture", sorted((FIXTURES / "rules").glob("*.ttl")), ids=lambda p: p.stem)
def test_every_inferred_triple_of_the_rule_fixtures_is_explained(fixture) -> None:
    graph = open_dataset(Settings(base_uri=BASE), [RdfSource(fixture)])
    asserted = graph.asserted_triples()
    for mode in ("owlrl", "rdfs"):
        closure = graph.closure(mode)
        for fact in closure.additions():
            assert_well_founded(derivation_tree(closure, fact), asserted)


def test_explanation_names_rule_and_premises() -> None:
    graph = open_dataset(Settings(base_uri=BASE), [RdfSource(FIXTURES / "family.ttl")])
    triple = ox.Triple(ox.NamedNode(EX + "ann"), ox.NamedNode(EX + "ancestorOf"), ox.NamedNode(EX + "cid"))
    tree = explain(graph, triple)
    assert tree is not None and tree.rule == "prp-trp"
    assert [p.rule for p in tree.premises] == ["prp-spo1", "prp-spo1", None]
    assert explain(graph, ox.Triple(triple.object, triple.predicate, triple.subject)) is None
    asserted = ox.Triple(ox.NamedNode(EX + "ann"), ox.NamedNode(EX + "hasChild"), ox.NamedNode(EX + "bob"))
    assert explain(graph, asserted) == Derivation(asserted, False)


def test_cli_prints_the_derivation_tree() -> None:
    done = kg("explain", "--data", FAMILY, f"<{EX}cid>", f"<{EX}hasParent>", f"<{EX}bob>")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("[prp-inv1]") and f"<{EX}cid>" in lines[0]
    assert lines[1].startswith("  ") and lines[1].endswith("[asserted]")
    assert any("owl:inverseOf" in line for line in lines[1:])


def test_cli_json_and_errors() -> None:
    done = kg("explain", "--data", FAMILY, "--format", "json", f"{EX}ann", "a", "schema:Person")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["inferred"] is True and body["triple"]["o"] == "<https://schema.org/Person>"
    missing = kg("explain", "--data", FAMILY, f"<{EX}cid>", "a", "schema:Person")
    assert missing.returncode == 1 and "not entailed" in missing.stderr
    malformed = kg("explain", "--data", FAMILY, f"<{EX}cid>", "nope:x", "schema:Person")
    assert malformed.returncode == 2 and "nope" in malformed.stderr


def explain_url(s: str, p: str, o: str, **extra: str) -> str:
    return "/explain?" + urlencode({"s": s, "p": p, "o": o, **extra})


@pytest.mark.parametrize("mode", ["owlrl", "rdfs"])
def test_web_explains_an_inferred_triple(client: FlaskClient, knowledge_graph: KnowledgeGraph, mode: str) -> None:
    triple = next(iter(knowledge_graph.store.triples(knowledge_graph.graph_iri(INFERRED_GRAPH[mode]))))
    response = client.get(explain_url(str(triple.subject), str(triple.predicate), str(triple.object), reasoning=mode))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["inferred"] is True and body["rule"] and body["premises"]
    assert body["triple"] == {"s": str(triple.subject), "p": str(triple.predicate), "o": str(triple.object)}

    def leaves(node: dict) -> list[dict]:
        return [node] if not node["inferred"] else [leaf for p in node["premises"] for leaf in leaves(p)]

    asserted = {str(t) for t in knowledge_graph.asserted_triples()}
    assert all(f"{leaf['triple']['s']} {leaf['triple']['p']} {leaf['triple']['o']}" in asserted for leaf in leaves(body))


def test_web_answers_asserted_missing_and_malformed(client: FlaskClient, knowledge_graph: KnowledgeGraph) -> None:
    triple = next(iter(knowledge_graph.asserted_triples()))
    asserted = client.get(explain_url(str(triple.subject), str(triple.predicate), str(triple.object)))
    assert asserted.status_code == 200 and asserted.get_json()["inferred"] is False
    absent = client.get(explain_url("<http://example.org/nobody>", "a", "owl:Class"))
    assert absent.status_code == 404 and "not entailed" in absent.get_json()["error"]
    for url in (explain_url("<http://x/a>", "<http://x/b>", "nope:c"),
                explain_url("<http://x/a>", "<http://x/b>", "<http://x/c> . <http://x/d> <http://x/e> <http://x/f>"),
                "/explain?s=%3Chttp://x/a%3E&p=a",
                explain_url("<http://x/a>", "a", "owl:Class", reasoning="owl-full")):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.get_json()["error"]
