"""Our writers of SELECT results (used for answers cut to the row cap) against the W3C formats:
every document read back by rdflib's parsers and by pyoxigraph's, and equal to what pyoxigraph writes."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.query import Result

from kg.sparql.formats import format_named, negotiate, serialize_capped
from kg.sparql.errors import QueryError
from kg.sparql.results import SOLUTION_WRITERS
from kg.terms import to_rdflib

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
ENGINE_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                  "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
RDFLIB_FORMATS = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv"}

TRICKY_TERMS = [
    ox.NamedNode("http://example.org/a?b=c&d=e,f#x'y"),
    ox.BlankNode("b0"),
    ox.Literal("plain"),
    ox.Literal('quote " comma , semicolon ; tab \t newline \n return \r backslash \\ end'),
    ox.Literal("<tag> & ampersand ]]>"),
    ox.Literal("ünïcödé 漢字 😀"),
    ox.Literal("chat", language="fr"),
    ox.Literal("Hello", language="en-GB"),
    ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("-1.50", datatype=ox.NamedNode(XSD + "decimal")),
    ox.Literal("1.0E3", datatype=ox.NamedNode(XSD + "double")),
    ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
    ox.Literal("2021-01-13", datatype=ox.NamedNode(XSD + "date")),
    ox.Literal("x", datatype=ox.NamedNode("http://example.org/custom-type")),
    ox.Literal(""),
]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    data = ox.Store()
    for index, term in enumerate(TRICKY_TERMS):
        data.add(ox.Quad(ox.NamedNode(f"http://example.org/s{index:02d}"), ox.NamedNode("http://example.org/p"), term))
    return data


QUERY = "SELECT ?s ?o ?missing WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s"


def engine_rows(document: bytes, name: str) -> list[tuple[object, ...]]:
    """The rows as pyoxigraph reads them (CSV, which it refuses as lossy, as plain strings)."""
    if name == "csv":
        return [tuple(row) for row in csv.reader(io.StringIO(document.decode("utf-8"), newline=""))][1:]
    return [tuple(solution) for solution in ox.parse_query_results(document, ENGINE_FORMATS[name])]


@pytest.mark.parametrize("name", list(SOLUTION_WRITERS))
def test_our_writer_reads_back_as_pyoxigraph_writes(store: ox.Store, name: str) -> None:
    ours = serialize_capped(store.query(QUERY), format_named(name), 1000).body
    if name == "csv":  # pyoxigraph leaves an IRI with a comma unquoted; compare with the values instead
        expected = [(s.value, o.value if not isinstance(o, ox.BlankNode) else f"_:{o.value}", "")
                    for s, o, _ in store.query(QUERY)]
        assert engine_rows(ours, name) == expected
        return
    theirs = store.query(QUERY).serialize(format=ENGINE_FORMATS[name])
    assert engine_rows(ours, name) == engine_rows(theirs, name)
    if name == "json":  # XML and TSV allow other escapes and abbreviations than pyoxigraph's
        assert ours == theirs


@pytest.mark.parametrize("name", list(SOLUTION_WRITERS))
def test_rdflib_parses_our_documents(store: ox.Store, name: str) -> None:
    document = serialize_capped(store.query(QUERY), format_named(name), 1000).body
    result = Result.parse(io.BytesIO(document), format=RDFLIB_FORMATS[name])
    assert [str(v) for v in result.vars] == ["s", "o", "missing"]
    rows = list(result)
    stored = [solution["o"] for solution in store.query(QUERY)]  # as the store keeps them ("-1.50" is "-1.5")
    assert len(rows) == len(stored) == len(TRICKY_TERMS)
    for row, term in zip(rows, stored):
        assert row[2] is None
        if name == "csv" and isinstance(term, ox.Literal) and not term.value:
            assert row[1] is None  # CSV cannot tell an empty string from an unbound value (the format is lossy)
        elif isinstance(term, ox.Literal):
            if name == "csv" or term.datatype.value in (XSD + "string", RDF_LANG_STRING):
                assert str(row[1]) == term.value
            else:  # rdflib rewrites typed values in its own canonical form ("1000" -> "1000.0")
                assert row[1].toPython() == to_rdflib(term).toPython()
            if name in ("json", "xml", "tsv"):
                assert isinstance(row[1], rdflib.Literal)
                assert (row[1].language or None) == (term.language or None)
                if not term.language and term.datatype.value != XSD + "string":
                    assert str(row[1].datatype) == term.datatype.value
        elif isinstance(term, ox.NamedNode):
            assert str(row[1]) == term.value
        else:
            assert isinstance(row[1], rdflib.BNode) or str(row[1]).startswith("_:")


@pytest.mark.parametrize("name", list(SOLUTION_WRITERS))
def test_the_cap_keeps_the_first_rows(store: ox.Store, name: str) -> None:
    written = serialize_capped(store.query(QUERY), format_named(name), 3)
    assert (written.rows, written.truncated) == (3, True)
    assert len(engine_rows(written.body, name)) == 3
    exact = serialize_capped(store.query(QUERY), format_named(name), len(TRICKY_TERMS))
    assert (exact.rows, exact.truncated) == (len(TRICKY_TERMS), False)


def test_empty_and_variable_free_results(store: ox.Store) -> None:
    for name in SOLUTION_WRITERS:
        empty = serialize_capped(store.query("SELECT ?x WHERE { ?x <http://nothing> ?y }"), format_named(name), 10)
        assert empty.rows == 0 and engine_rows(empty.body, name) == []
        one = serialize_capped(store.query("SELECT * WHERE {}"), format_named(name), 10)
        assert one.rows == 1


def test_unknown_format_names_are_refused() -> None:
    with pytest.raises(QueryError, match="unknown format 'yaml'"):
        negotiate("solutions", None, ["yaml"])
    assert negotiate("graph", None, ["n3", "text/turtle"]) == format_named("turtle")
    assert negotiate("graph", None, ["tsv", "application/rdf+xml"]) == format_named("rdfxml")


def test_json_writes_odd_characters_and_triple_terms_as_pyoxigraph_does() -> None:
    """Control characters, DEL, the line separators and triple terms: the JSON writer writes them as the engine does."""
    data = ox.Store()
    odd = "".join(chr(code) for code in (*range(0x20), 0x7F, 0x85, 0x2028, 0x2029, 0xFEFF)) + '"\\/'
    for index, term in enumerate([ox.Literal(odd), ox.Literal(odd, language="en"), ox.NamedNode("http://example.org/é")]):
        data.add(ox.Quad(ox.NamedNode(f"http://example.org/s{index}"), ox.NamedNode("http://example.org/p"), term))
    ours = serialize_capped(data.query(QUERY), format_named("json"), 1000).body
    assert ours == data.query(QUERY).serialize(format=ox.QueryResultsFormat.JSON)
    nested = 'SELECT ?t WHERE { BIND(<<( <http://example.org/a> <http://example.org/b> "x"@en )>> AS ?t) }'
    ours = serialize_capped(data.query(nested), format_named("json"), 1000).body
    assert ours == data.query(nested).serialize(format=ox.QueryResultsFormat.JSON)
