"""The W3C SPARQL 1.0/1.1 query-evaluation tests, through ``kg query`` and through ``/sparql``.

One test per runnable W3C test and path (``cli::sparql11/aggregates/agg01``, ``sparql::…``); see
``tests/w3c_sparql.py`` for the manifests, datasets and how answers compare.  Known failures are
``xfail(strict=True)``, so that one that starts passing is noticed: :data:`EXPECTED_FAILURES` are the engine's
(pyoxigraph alone fails them too); ours are none (the dataset follows SPARQL 1.1's dataset semantics).  The suites are looked for at ``../shared/conformance/sparql`` from the repository root:
without them the tests are skipped, or fail on CI.
"""

from __future__ import annotations

import pytest

from tests import w3c_sparql
from tests.w3c_sparql import SuitesMissing, W3CTest

#: Failures of the engine itself (``bench/w3c_sparql.py`` shows pyoxigraph alone failing them too).
EXPECTED_FAILURES: dict[str, str] = {
    "sparql10/open-world/open-eq-01":
        "the store keeps numbers by value: \"01\"^^xsd:integer in the data matches \"001\"^^xsd:integer",
    "sparql10/expr-builtin/dawg-str-1":
        "the store keeps numbers by value: STR of \"01\"^^xsd:integer or \"1.0e0\"^^xsd:double is \"1\"",
    "sparql10/expr-builtin/dawg-str-2":
        "the store keeps numbers by value: STR(\"01\"^^xsd:integer) is \"1\", not \"01\"",
    "sparql10/expr-builtin/sameTerm-simple":
        "the store keeps numbers by value: \"1\" and \"01\"^^xsd:integer become the same term",
    "sparql10/expr-builtin/sameTerm-eq":
        "the store keeps numbers by value: \"1\" and \"01\"^^xsd:integer become the same term",
    "sparql10/expr-builtin/sameTerm-not-eq":
        "the store keeps numbers by value: \"1\" and \"01\"^^xsd:integer become the same term",
    "sparql10/expr-equals/eq-graph-1":
        "the store keeps numbers by value: the pattern 1 matches \"01\"^^xsd:integer too",
    "sparql10/expr-equals/eq-graph-2":
        "the store keeps numbers by value: the pattern 1.0e0 matches other spellings of the double 1",
    "sparql10/distinct/distinct-1":
        "the store keeps numbers by value: DISTINCT merges \"1\" and \"01\"^^xsd:integer (and decimals alike)",
    "sparql10/distinct/distinct-9":
        "the store keeps numbers by value: DISTINCT merges \"1\" and \"01\"^^xsd:integer (and decimals alike)",
    "sparql10/expr-builtin/case-insensitive-booleans":
        "the parser rejects TRUE/FALSE in upper case (keywords are case-insensitive)",
    "sparql10/graph/graph-variable-scope":
        "?g of GRAPH ?g is taken as bound inside the GRAPH pattern (FILTER(BOUND(?g)) passes)",
    "sparql10/graph/graph-optional":
        "?g of GRAPH ?g is joined inside the GRAPH pattern's OPTIONAL, which should not see it",
    "sparql11/negation/graph-minus":
        "?a of the outer GRAPH ?g is taken as shared by the MINUS sides, which are then not disjoint",
    "sparql11/aggregates/agg-empty-group-count-graph":
        "GRAPH ?g { SELECT (COUNT(*) ...) } gives one row with ?g unbound, not one row per named graph",
    "sparql11/bindings/graph":
        "VALUES binding ?g inside GRAPH ?g: the UNDEF row comes out with ?g unbound, not one row per graph",
    "sparql11/aggregates/agg-groupconcat-04":
        "GROUP_CONCAT of literals with one language tag keeps the tag (\"1 2\"@en); a simple literal is expected",
    "sparql11/aggregates/agg-groupconcat-06":
        "GROUP_CONCAT of literals with one language tag keeps the tag; a simple literal is expected",
    "sparql11/functions/bnode01":
        "BNODE(str) gives the same blank node for the same string in every solution, not a fresh one per solution",
    "sparql11/property-path/zero_or_more_set_start":
        "?s :p* :o on an empty dataset: no row, though the zero-length path binds ?s to :o",
    "sparql11/property-path/zero_or_more_set_end":
        ":s :p* ?o on an empty dataset: no row, though the zero-length path binds ?o to :s",
    "sparql11/property-path/zero_or_one_set_start":
        "?s :p? :o on an empty dataset: no row, though the zero-length path binds ?s to :o",
    "sparql11/property-path/zero_or_one_set_end":
        ":s :p? ?o on an empty dataset: no row, though the zero-length path binds ?o to :s",
}

RUNNABLE = 494
"""Runnable tests of the two manifests (502 query-evaluation tests, 8 of them need an ``mf:requires`` feature)."""
PATHS = ("cli", "sparql")

try:
    TESTS: tuple[W3CTest, ...] = w3c_sparql.runnable_tests()
    MISSING: str | None = None
except SuitesMissing as error:
    TESTS, MISSING = (), str(error)


def _params() -> list[object]:
    params: list[object] = []
    for path in PATHS:
        for test in TESTS:
            reason = EXPECTED_FAILURES.get(test.id)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(path, test, id=f"{path}::{test.id}", marks=marks))
    return params


def _require_suites() -> None:
    if MISSING is not None:
        if w3c_sparql.in_ci():
            pytest.fail(MISSING)
        pytest.skip(MISSING)


def test_suites_are_read() -> None:
    """The manifests list the expected number of runnable tests, and every known failure names one of them."""
    _require_suites()
    ids = {test.id for test in TESTS}
    assert len(TESTS) == RUNNABLE
    assert len(ids) == len(TESTS)
    assert not set(EXPECTED_FAILURES) - ids


@pytest.mark.parametrize(("path", "test"), _params())
def test_query_evaluation(path: str, test: W3CTest) -> None:
    """Our answer (``kg query`` or ``POST /sparql``, ``reasoning=none``) is the test's expected result."""
    failure = w3c_sparql.outcome(test, path)
    assert failure is None, f"{test.iri} ({test.query.name}):\n{failure}"
