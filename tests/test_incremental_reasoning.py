"""Incremental deletion (:mod:`kg.reasoning.fast.retraction`) against closures computed from scratch.

Random sequences of insertions and deletions, of instance and schema triples,
over a small ontology that uses every rule family; after each step the
maintained closure, its derivation records and its inconsistencies are
compared with a new engine's.  Every asserted triple of the shipped graph is
deleted and re-inserted, one at a time.  The defaults keep the file within
half a minute; for more, ``KG_INCREMENTAL_EXAMPLES=5000`` (examples of each
random test) and ``KG_ROUNDTABLE_EVERY=1`` (compare with a closure from
scratch after every deletion of the shipped graph, not every 300th).
"""

from __future__ import annotations

import os

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.dataset import open_dataset
from kg.dataset.explain import explain
from kg.reasoning import ENTAILING_MODES, infer
from kg.reasoning.fast import Engine, new_engine
from kg.reasoning.fast.retraction import retract
from kg.reasoning.fast.terms import OWL, RDF, RDFS, XSD, Fact
from kg.settings import Settings
from tests.conftest import BASE

EXAMPLES = int(os.environ.get("KG_INCREMENTAL_EXAMPLES", "300"))
EX = "http://example.org/"


def _term(name: str) -> str:
    for prefix, namespace in (("rdf:", RDF), ("rdfs:", RDFS), ("owl:", OWL)):
        if name.startswith(prefix):
            return f"<{namespace}{name[len(prefix):]}>"
    if name.startswith(("_:", '"')):
        return name
    return f"<{EX}{name}>"


def _list(head: str, members: list[str]) -> list[tuple[str, str, str]]:
    cells = [head] + [f"{head}_{i}" for i in range(1, len(members))]
    return [triple for i, m in enumerate(members) for triple in (
        (cells[i], "rdf:first", m), (cells[i], "rdf:rest", cells[i + 1] if i + 1 < len(members) else "rdf:nil"))]


ONE = f'"1"^^<{XSD}nonNegativeInteger>'
SCHEMA: list[tuple[str, str, str]] = [
    ("C0", "rdfs:subClassOf", "C1"), ("C1", "rdfs:subClassOf", "C2"), ("C2", "rdfs:subClassOf", "C0"),
    ("C3", "owl:equivalentClass", "C4"), ("C1", "rdf:type", "owl:Class"),
    ("p0", "rdfs:subPropertyOf", "p1"), ("p1", "owl:equivalentProperty", "p2"), ("p2", "rdfs:subPropertyOf", "p0"),
    ("p0", "rdfs:domain", "C0"), ("p1", "rdfs:range", "C3"), ("p3", "owl:inverseOf", "p4"),
    ("p2", "rdf:type", "owl:TransitiveProperty"), ("p4", "rdf:type", "owl:SymmetricProperty"),
    ("p3", "rdf:type", "owl:FunctionalProperty"), ("p5", "rdf:type", "owl:InverseFunctionalProperty"),
    ("p4", "rdf:type", "owl:ObjectProperty"),
    ("p5", "owl:propertyChainAxiom", "_:chain"), *_list("_:chain", ["p0", "p3"]),
    ("R1", "owl:onProperty", "p1"), ("R1", "owl:someValuesFrom", "C2"), ("R1", "rdfs:subClassOf", "C5"),
    ("R2", "owl:onProperty", "p3"), ("R2", "owl:hasValue", "a0"), ("C6", "owl:equivalentClass", "R2"),
    ("R3", "owl:onProperty", "p4"), ("R3", "owl:allValuesFrom", "C3"), ("C4", "rdfs:subClassOf", "R3"),
    ("C7", "owl:intersectionOf", "_:both"), *_list("_:both", ["C0", "R2"]),
    ("C8", "owl:unionOf", "_:either"), *_list("_:either", ["C3", "C6"]),
    ("C5", "owl:hasKey", "_:key"), *_list("_:key", ["p4"]),
    ("R4", "owl:onProperty", "p2"), ("R4", "owl:maxCardinality", ONE), ("C8", "rdfs:subClassOf", "R4"),
    ("C6", "owl:disjointWith", "C2"), ("p3", "rdf:type", "owl:IrreflexiveProperty"),
    ("R5", "owl:onProperty", "p1"), ("R5", "owl:maxQualifiedCardinality", ONE), ("R5", "owl:onClass", "C0"),
    ("C3", "rdfs:subClassOf", "R5"),
    ("_:npa", "owl:sourceIndividual", "a0"), ("_:npa", "owl:assertionProperty", "p0"), ("_:npa", "owl:targetIndividual", "a1"),
    # axioms of OWL 2 RL/RDF (KG_AXIOMATIC_TRIPLES), asserted and deleted like any triple
    ("owl:Thing", "rdf:type", "owl:Class"), ("rdfs:label", "rdf:type", "owl:AnnotationProperty"),
]
INDIVIDUALS = ["a0", "a1", "a2", "a3"]
PROPERTIES = ["p0", "p1", "p2", "p3", "p4", "p5"]
CLASSES = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]
INSTANCE = [(s, p, o) for s in INDIVIDUALS for p in PROPERTIES for o in INDIVIDUALS] + [
    (s, "rdf:type", c) for s in INDIVIDUALS for c in CLASSES] + [
    (s, equality, o) for s in INDIVIDUALS for o in INDIVIDUALS if s < o for equality in ("owl:sameAs", "owl:differentFrom")]
POOL = [tuple(_term(x) for x in triple) for triple in SCHEMA + INSTANCE]


def _facts(engine: Engine, indexes: list[int]) -> list[Fact]:
    encode = engine.terms.encode
    return [(encode(POOL[i][0]), encode(POOL[i][1]), encode(POOL[i][2])) for i in indexes]


def check_against_scratch(engine: Engine) -> None:
    """The engine's closure, records and inconsistencies are those of a new engine on its asserted facts."""
    scratch = new_engine(engine.profile, engine.terms, axiomatic=bool(engine.axioms))
    scratch.add(sorted(engine.asserted))
    assert engine.known == scratch.known, _spell(engine, engine.known ^ scratch.known)
    assert engine.asserted.isdisjoint(engine.why)
    assert set(engine.why) == engine.known - engine.asserted
    order = {fact: i for i, fact in enumerate(engine.why)}
    for fact, (rule, *premises) in engine.why.items():
        for premise in premises:
            assert premise in engine.asserted or order.get(premise, len(order)) < order[fact], (
                f"{rule} derivation of {_spell(engine, [fact])} uses {_spell(engine, [premise])}")
    for problem in engine.inconsistencies:
        assert all(p in engine.known for p in problem.premises)
    found = {(i.rule, frozenset(i.premises)) for i in engine.inconsistencies}
    expected = {(i.rule, frozenset(i.premises)) for i in scratch.inconsistencies}
    assert found == expected


def _spell(engine: Engine, facts: object) -> str:
    return engine.terms.ntriples(sorted(facts))  # type: ignore[arg-type]


#: a schema triple as often as an instance one
triple = st.one_of(st.integers(0, len(SCHEMA) - 1), st.integers(len(SCHEMA), len(POOL) - 1))
steps = st.lists(st.lists(triple, min_size=1, max_size=3), min_size=1, max_size=8)
#: most of the schema (each rule family's axioms complete) and some instance triples
starts = st.tuples(st.sets(st.integers(0, len(SCHEMA) - 1), max_size=8),
                  st.lists(st.integers(len(SCHEMA), len(POOL) - 1), min_size=5, max_size=40)).map(
    lambda parts: [i for i in range(len(SCHEMA)) if i not in parts[0]] + parts[1])


@pytest.mark.parametrize("profile, axiomatic", [("owlrl", False), ("owlrl", True), ("rdfs", False)])
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, changes=steps)
def test_random_insertions_and_deletions_keep_the_closure_exact(profile: str, axiomatic: bool, start: list[int],
                                                                 changes: list[list[int]]) -> None:
    engine = new_engine(profile, axiomatic=axiomatic)
    engine.add(_facts(engine, start))
    for toggled in changes:
        facts = _facts(engine, toggled)
        present = [f for f in facts if f in engine.asserted]
        retract(engine, present)
        engine.add([f for f in facts if f not in present])
        check_against_scratch(engine)


def _quads(indexes: list[int]) -> list[ox.Quad]:
    text = "".join(f"{s} {p} {o} .\n" for s, p, o in (POOL[i] for i in dict.fromkeys(indexes)))
    return [ox.Quad(*q.triple, ox.DefaultGraph()) for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]


@settings(max_examples=max(EXAMPLES // 10, 10), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, changes=steps)
def test_the_stored_closures_and_explanations_follow_changes(start: list[int], changes: list[list[int]]) -> None:
    graph = open_dataset(Settings(base_uri=BASE), [])
    graph.apply_changes(_quads(start), [])
    for mode in ENTAILING_MODES:
        graph.ensure_reasoned(mode)
    for toggled in changes:
        quads = _quads(toggled)
        asserted = graph.asserted_triples()
        graph.apply_changes([q for q in quads if q.triple not in asserted], [q for q in quads if q.triple in asserted])
        asserted = graph.asserted_triples()
        for mode in ENTAILING_MODES:
            stored = set(graph.store.triples(graph.layout.closure(mode)))
            assert stored == infer(asserted, mode, engine="fast"), mode
            assert graph.closures.is_current(mode)
            for triple in stored:
                tree = explain(graph, triple, mode)
                assert tree is not None and tree.inferred, triple
                assert all(leaf.triple in asserted for leaf in tree.leaves()), triple


#: every how many asserted triples of the roundtable graph the closure after deleting it is compared from scratch
EVERY = int(os.environ.get("KG_ROUNDTABLE_EVERY", "300"))


@pytest.mark.parametrize("mode", ENTAILING_MODES)
def test_every_roundtable_triple_deleted_and_reinserted(mode: str) -> None:
    """Each asserted triple of the shipped graph, one at a time: retracted, then asserted again."""
    graph = open_dataset(Settings(base_uri=BASE))
    engine = graph.closure(mode).engine
    closed, inferred = len(engine.known), len(engine.why)
    for i, fact in enumerate(sorted(engine.asserted)):
        retraction = retract(engine, [fact])
        assert fact not in engine.asserted
        if i % EVERY == 0:
            check_against_scratch(engine)
        engine.add([fact])
        # nothing but the overdeleted facts left: all back, and nothing else, is the closure as it was
        assert retraction.overdeleted <= engine.known and len(engine.known) == closed, _spell(engine, [fact])
        assert len(engine.why) == inferred


@pytest.mark.parametrize("mode", ENTAILING_MODES)
def test_roundtable_triples_deleted_through_the_dataset(mode: str) -> None:
    """A deterministic sample of the shipped graph's triples deleted and put back with ``apply_changes``."""
    graph = open_dataset(Settings(base_uri=BASE))
    graph.ensure_reasoned(mode)
    target = graph.layout.closure(mode)
    original = set(graph.store.triples(target))
    asserted = sorted(graph.asserted_triples(), key=str)
    for triple in asserted[:: max(len(asserted) // 8, 1)]:
        quad = ox.Quad(*triple, ox.DefaultGraph())
        delta = graph.apply_changes([], [quad])
        expected = infer(graph.asserted_triples(), mode, engine="fast")
        assert set(graph.store.triples(target)) == expected, triple
        assert {q.triple for q in delta.removed if q.graph_name.value == target} == original - expected
        graph.apply_changes([quad], [])
        assert set(graph.store.triples(target)) == original, triple


def test_a_closure_kept_only_for_explanations_does_not_go_stale() -> None:
    """A closure computed for ``explain`` while its mode is not reasoned is not brought along: it must not outlive a change."""
    graph = open_dataset(Settings(base_uri=BASE), [])
    typed, sub_class = _quads([POOL.index(tuple(_term(x) for x in ("a1", "rdf:type", "C0")))]), _quads([0])
    graph.apply_changes([*typed, *sub_class], [])
    inferred = ox.Triple(typed[0].subject, typed[0].predicate, ox.NamedNode(EX + "C1"))
    assert explain(graph, inferred, "rdfs") is not None
    graph.apply_changes([], sub_class)
    assert explain(graph, inferred, "rdfs") is None
