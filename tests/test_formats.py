"""The one format registry: every table of formats is read from it, and every negotiation goes through it."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg.formats import FORMATS, GRAPH, SOLUTIONS, best_match, format_named, formats_for
from kg.linked_data.flavours import FLAVOURS, flavour_named, negotiate, split_extension
from kg.sources import FORMATS_BY_EXTENSION
from kg.sparql.formats import RESULT_FORMATS


def accept(header: str) -> MIMEAccept:
    return parse_accept_header(header, MIMEAccept)


def test_every_row_is_complete_and_named_once() -> None:
    assert len({fmt.name for fmt in FORMATS}) == len(FORMATS)
    for fmt in FORMATS:
        assert fmt.label and fmt.extensions and fmt.media_type
        assert fmt.engine is not None or fmt.is_html
    assert {fmt.name for fmt in FORMATS if fmt.dataset} == {"trig", "nquads"}
    assert all(fmt.kind in (SOLUTIONS, GRAPH) for fmt in RESULT_FORMATS) and format_named("html") not in RESULT_FORMATS


def test_source_files_are_read_by_the_registry_extensions() -> None:
    assert FORMATS_BY_EXTENSION == {
        ".ttl": ox.RdfFormat.TURTLE, ".turtle": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES,
        ".ntriples": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG,
        ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML, ".xml": ox.RdfFormat.RDF_XML,
        ".jsonld": ox.RdfFormat.JSON_LD, ".json": ox.RdfFormat.JSON_LD,
    }


def test_documents_use_the_first_extension_only() -> None:
    assert split_extension("id/x.ttl")[1] == format_named("turtle")
    assert split_extension("id/x.owl") == ("id/x.owl", None)
    assert [f.extension for f in FLAVOURS] == ["ttl", "jsonld", "rdf", "nt", "trig", "nq", "html"]


@pytest.mark.parametrize(("header", "expected"), [
    ("", "turtle"),
    ("*/*", "turtle"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
    ("text/html;q=0.5, text/turtle", "turtle"),
    ("application/json", "jsonld"),
    ("text/plain", "nt"),
    ("application/xml, application/n-triples", "nt"),  # an official media type beats an alias
])
def test_linked_data_negotiates_through_the_registry(header: str, expected: str) -> None:
    assert negotiate(accept(header)) == format_named(expected)


def test_one_negotiation_for_every_kind() -> None:
    assert best_match(accept("application/json"), formats_for(SOLUTIONS)) == format_named("json")
    assert best_match(accept("image/png"), formats_for(GRAPH)) is None
    assert flavour_named("OWL") == format_named("rdfxml") and flavour_named("pdf") is None
