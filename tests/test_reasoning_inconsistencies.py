"""The fast engine's inconsistency rules fire whatever the order the axiom and the data arrive in."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.reasoning.closure import Closure
from kg.reasoning.fast.datatypes import different_values, outside_value_space

PREFIXES = """@prefix : <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
XSD = "http://www.w3.org/2001/XMLSchema#"

#: rule -> (schema, data): the two together are inconsistent by that rule, neither alone is
CASES = {
    "prp-adp": ("[] a owl:AllDisjointProperties ; owl:members ( :p :q :r ) .", ":a :p :b . :a :r :b ."),
    "prp-pdw": (":p owl:propertyDisjointWith :q .", ":a :p :b . :a :q :b ."),
    "cax-adc": ("[] a owl:AllDisjointClasses ; owl:members ( :A :B ) .", ":x a :A , :B ."),
    "eq-diff2": ("[] a owl:AllDifferent ; owl:members ( :a :b :c ) .", ":f a owl:FunctionalProperty . :x :f :a , :c ."),
    "eq-diff3": ("[] a owl:AllDifferent ; owl:distinctMembers ( :a :b ) .", ":a owl:sameAs :b ."),
    "eq-diff1": (":f a owl:FunctionalProperty .", ":a owl:differentFrom :b . :x :f :a , :b ."),
    "dt-diff": (":age a owl:FunctionalProperty .", ':x :age "18"^^xsd:integer , "19"^^xsd:integer .'),
    "dt-not-type": (":age rdfs:range xsd:integer .", ':x :age "eighteen" .'),
}


def triples(turtle: str) -> list[ox.Triple]:
    return [quad.triple for quad in ox.parse(PREFIXES + turtle, format=ox.RdfFormat.TURTLE)]


def rules_found(*batches: str) -> set[str]:
    """The rules of the inconsistencies found after growing a closure from each batch in turn."""
    closure = Closure("owlrl")
    for batch in batches:
        closure.grow(triples(batch))
    return {problem.rule for problem in closure.problems()}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_found_together_schema_first_and_data_first(rule: str) -> None:
    schema, data = CASES[rule]
    assert rules_found(schema) == set() and rules_found(data) == set()
    assert rule in rules_found(schema + "\n" + data)
    assert rule in rules_found(schema, data)
    assert rule in rules_found(data, schema)


def test_a_resource_different_from_itself_and_listed_twice_in_all_different() -> None:
    assert rules_found(":x owl:differentFrom :x .") == {"eq-diff1"}
    assert rules_found("[] a owl:AllDifferent ; owl:members ( :a :b :a ) .") == {"eq-diff2"}


def test_equal_values_and_values_in_the_datatype_are_not_inconsistent() -> None:
    functional = ":age a owl:FunctionalProperty . "
    assert rules_found(functional + ':x :age "1"^^xsd:integer , "01"^^xsd:integer , "1.0"^^xsd:decimal .') == set()
    assert rules_found(functional + ':x :age "2024-01-01T00:00:00Z"^^xsd:dateTime , "2024-01-01T01:00:00+01:00"^^xsd:dateTime .') == set()
    assert rules_found(':age rdfs:range xsd:decimal . :x :age "1"^^xsd:integer .') == set()


@pytest.mark.parametrize(("one", "other", "different"), [
    (f'"+0.0"^^<{XSD}float>', f'"-0.0"^^<{XSD}float>', True),
    (f'"1"^^<{XSD}float>', f'"1"^^<{XSD}double>', True),
    (f'"1"^^<{XSD}integer>', f'"1.0"^^<{XSD}decimal>', False),
    ('"a"', '"a"@en', True),
    ('"a"@en', '"a"@EN', False),
    (f'"true"^^<{XSD}boolean>', f'"1"^^<{XSD}boolean>', False),
    (f'"x"^^<{XSD}token>', f'"y"^^<{XSD}token>', False),  # not told apart: no rule fires
    (f'"abc"^^<{XSD}integer>', f'"1"^^<{XSD}integer>', False),  # ill-typed: no rule fires
])
def test_literal_values(one: str, other: str, different: bool) -> None:
    assert different_values(one, other) is different


@pytest.mark.parametrize(("literal", "datatype", "outside"), [
    ('"aString"', "integer", True),
    (f'"1.5"^^<{XSD}decimal>', "integer", True),
    (f'"-1"^^<{XSD}integer>', "nonNegativeInteger", True),
    (f'"300"^^<{XSD}integer>', "byte", True),
    (f'"3"^^<{XSD}long>', "byte", False),
    (f'"3"^^<{XSD}integer>', "decimal", False),
    (f'"3"^^<{XSD}integer>', "float", True),
    ('"x"', "token", False),
])
def test_value_spaces(literal: str, datatype: str, outside: bool) -> None:
    assert outside_value_space(literal, f"<{XSD}{datatype}>") is outside
