"""Incremental deletion (:mod:`kg.reasoning.fast.retraction`) against closures computed from scratch.

Random sequences of insertions and deletions, of instance and schema triples,
over a small ontology that uses every rule family; after each step the
maintained closure, its derivation records and its inconsistencies are
compared with a new engine's.  ``KG_INCREMENTAL_EXAMPLES`` raises the number
of examples (the default keeps the file within seconds).
"""

from __future__ import annotations

import os

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.reasoning.fast import Engine, new_engine
from kg.reasoning.fast.retraction import retract
from kg.reasoning.fast.terms import OWL, RDF, RDFS, XSD, Fact

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
]
INDIVIDUALS = ["a0", "a1", "a2", "a3"]
PROPERTIES = ["p0", "p1", "p2", "p3", "p4", "p5"]
CLASSES = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]
INSTANCE = [(s, p, o) for s in INDIVIDUALS for p in PROPERTIES for o in INDIVIDUALS] + [
    (s, "rdf:type", c) for s in INDIVIDUALS for c in CLASSES]
POOL = [tuple(_term(x) for x in triple) for triple in SCHEMA + INSTANCE]


def _facts(engine: Engine, indexes: list[int]) -> list[Fact]:
    encode = engine.terms.encode
    return [(encode(POOL[i][0]), encode(POOL[i][1]), encode(POOL[i][2])) for i in indexes]


def check_against_scratch(engine: Engine) -> None:
    """The engine's closure, records and inconsistencies are those of a new engine on its asserted facts."""
    scratch = new_engine(engine.profile, engine.terms)
    scratch.add(sorted(engine.asserted))
    assert engine.known == scratch.known, _spell(engine, engine.known ^ scratch.known)
    assert engine.asserted.isdisjoint(engine.why)
    assert set(engine.why) == engine.known - engine.asserted
    order = {fact: i for i, fact in enumerate(engine.why)}
    for fact, (rule, premises) in engine.why.items():
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


steps = st.lists(st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=3), min_size=1, max_size=8)


@pytest.mark.parametrize("profile", ["owlrl", "rdfs"])
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.lists(st.integers(0, len(POOL) - 1), min_size=10, max_size=60), changes=steps)
def test_random_insertions_and_deletions_keep_the_closure_exact(profile: str, start: list[int], changes: list[list[int]]) -> None:
    engine = new_engine(profile)
    engine.add(_facts(engine, start))
    for toggled in changes:
        facts = _facts(engine, toggled)
        present = [f for f in facts if f in engine.asserted]
        retract(engine, present)
        engine.add([f for f in facts if f not in present])
        check_against_scratch(engine)
