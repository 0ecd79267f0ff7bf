"""Reasoning: closures kept apart from asserted triples, per mode, without bookkeeping noise."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.dataset import KnowledgeGraph, Replica, open_dataset
from kg.reasoning import ReasoningError, infer
from kg.reasoning.noise import is_noise
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES

EX = "http://example.org/family#"


@pytest.fixture(scope="module")
def family() -> KnowledgeGraph:
    return open_dataset(Settings(base_uri=BASE), [RdfSource(FIXTURES / "family.ttl")])


def names(rows: list[dict], var: str = "x") -> set[str]:
    return {str(row[var]) for row in rows}


def test_none_sees_only_asserted_triples(family: KnowledgeGraph) -> None:
    rows = family.select("SELECT ?x WHERE { ?x a <https://schema.org/Person> }", "none")
    assert rows == []


def test_owlrl_classifies_through_domain_subclass_and_equivalence(family: KnowledgeGraph) -> None:
    rows = family.select("SELECT ?x WHERE { ?x a <https://schema.org/Person> }", "owlrl")
    assert names(rows) == {EX + "ann", EX + "bob", BASE + "people/dee"}


def test_rdfs_applies_domain_and_subclass_but_not_owl_rules(family: KnowledgeGraph) -> None:
    rdfs_people = names(family.select(f"SELECT ?x WHERE {{ ?x a <{EX}Person> }}", "rdfs"))
    assert rdfs_people == {EX + "ann", EX + "bob", BASE + "people/dee"}
    # inverseOf and transitivity are OWL, not RDFS
    assert not family.ask(f"ASK {{ <{EX}cid> <{EX}hasParent> <{EX}bob> }}", "rdfs")
    assert family.ask(f"ASK {{ <{EX}cid> <{EX}hasParent> <{EX}bob> }}", "owlrl")


def test_owlrl_applies_inverse_subproperty_and_transitivity(family: KnowledgeGraph) -> None:
    rows = family.select(f"SELECT ?x WHERE {{ <{EX}ann> <{EX}ancestorOf> ?x }}", "owlrl")
    assert names(rows) == {EX + "bob", EX + "cid"}


def test_inferred_graph_holds_no_asserted_triple_and_no_noise(family: KnowledgeGraph) -> None:
    family.ensure_reasoned("owlrl")
    asserted = family.asserted_triples()
    inferred = set(family.store.triples(family.graph_iri("inferred")))
    assert inferred, "the closure adds something"
    assert not inferred & asserted
    assert not [t for t in inferred if is_noise(t)]


BOOKKEEPING = f"FROM NAMED <{BASE}graph/asserted> FROM NAMED <{BASE}graph/inferred>"


def test_graph_clause_tells_asserted_from_inferred_when_they_are_named(family: KnowledgeGraph) -> None:
    query = f"SELECT ?g {BOOKKEEPING} WHERE {{ GRAPH ?g {{ <{EX}ann> a <{EX}Parent> }} }}"
    assert names(family.select(query), "g") == {BASE + "graph/inferred"}
    query = f"SELECT ?g {BOOKKEEPING} WHERE {{ GRAPH ?g {{ <{EX}ann> <{EX}hasChild> <{EX}bob> }} }}"
    assert names(family.select(query), "g") == {BASE + "graph/asserted"}


def test_graph_variable_ranges_over_the_data_s_named_graphs_only(family: KnowledgeGraph) -> None:
    """SPARQL's dataset: the bookkeeping graphs are not named graphs of the data (family.ttl has none)."""
    assert family.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "owlrl") == []


@pytest.mark.parametrize(
    "triple, noise",
    [
        ((ox.NamedNode(EX + "a"), ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs"), ox.NamedNode(EX + "a")), True),
        ((ox.NamedNode(EX + "a"), ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs"), ox.NamedNode(EX + "b")), False),
        ((ox.NamedNode("http://www.w3.org/2001/XMLSchema#string"),
          ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
          ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#Datatype")), True),
        ((ox.NamedNode(EX + "a"), ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
          ox.NamedNode("http://www.w3.org/2002/07/owl#Thing")), True),
        ((ox.NamedNode(EX + "C"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
          ox.NamedNode(EX + "C")), True),
        ((ox.NamedNode(EX + "C"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
          ox.NamedNode(EX + "D")), False),
    ],
)
def test_noise_filter(triple: tuple, noise: bool) -> None:
    assert is_noise(ox.Triple(*triple)) is noise


def test_unknown_mode_and_engine_are_refused() -> None:
    with pytest.raises(ReasoningError):
        infer(set(), "owl-full")
    with pytest.raises(ReasoningError):
        infer(set(), "owlrl", engine="magic")


def test_changes_bring_the_closure_up_to_date() -> None:
    graph = open_dataset(Settings(base_uri=BASE), [RdfSource(FIXTURES / "family.ttl")])
    graph.ensure_reasoned("owlrl")
    cid, dan = ox.NamedNode(EX + "cid"), ox.NamedNode(EX + "dan")
    has_child = ox.NamedNode(EX + "hasChild")
    ask = f"ASK {{ <{EX}ann> <{EX}ancestorOf> <{EX}dan> }}"
    assert not graph.ask(ask)
    graph.apply_changes([ox.Quad(cid, has_child, dan, ox.DefaultGraph())], [])
    assert graph.ask(ask)
    assert graph.ask(f"ASK FROM <{BASE}graph/asserted> {{ <{EX}cid> <{EX}hasChild> <{EX}dan> }}")
    graph.apply_changes([], [ox.Quad(cid, has_child, dan, ox.DefaultGraph())])
    assert not graph.ask(ask)


def test_a_merged_replica_answers_like_its_source_and_follows_deltas() -> None:
    from kg.store.oxigraph import OxigraphStore

    source = open_dataset(Settings(base_uri=BASE), [RdfSource(FIXTURES / "family.ttl")])
    source.ensure_reasoned("owlrl")
    store = OxigraphStore.in_memory()
    for name in source.store.graph_names():
        store.add([ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(name)) for t in source.store.triples(name)])
    replica = Replica(source.settings, store, ("owlrl",), 0, merged_default=True)
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    assert sorted(map(str, replica.select(everything))) == sorted(map(str, source.select(everything)))
    assert len(replica.select(everything)) == len(source.select(everything)), "no triple twice"
    graphs = f"SELECT DISTINCT ?g {BOOKKEEPING} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert names(replica.select(graphs), "g") == {BASE + "graph/asserted", BASE + "graph/inferred"}
    cid, dan = ox.NamedNode(EX + "cid"), ox.NamedNode(EX + "dan")
    delta = source.apply_changes([ox.Quad(cid, ox.NamedNode(EX + "hasChild"), dan, ox.DefaultGraph())], [])
    replica.apply_delta(delta)
    ask = f"ASK {{ <{EX}ann> <{EX}ancestorOf> <{EX}dan> }}"
    assert replica.ask(ask) and replica.ask(ask, "owlrl")
    assert sorted(map(str, replica.select(everything))) == sorted(map(str, source.select(everything)))
