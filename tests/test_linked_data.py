"""Linked data: every minted IRI dereferences, as RDF in every flavour and as a page, with the HTTP a cache expects.

Most tests run on small fixture data (``tests/fixtures/linked_data``) through the
Flask test client; the dereferencing tests with rdflib run against a real
``kg serve`` on the shipped data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS

from kg.dataset import KnowledgeGraph
from tests.conftest import BASE
from tests.linked_data_support import fixture_app, fixture_graph
from tests.live_server import LiveServer

KG = rdflib.Namespace(BASE + "ontology#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SCHEMA = rdflib.Namespace("https://schema.org/")
LIU = URIRef(BASE + "id/person/liu-hua")
MYSTERY = URIRef(BASE + "id/person/mystery")
SOURCE_P01 = URIRef(BASE + "graph/source/p01")
INFERRED = URIRef(BASE + "graph/inferred")
RDF_FLAVOURS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
QUAD_TYPES = ("application/trig", "application/n-quads")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")

PATHS = ("/id/person/liu-hua", "/id/event/roundtable-2021", "/ontology", "/graph/source/p01", "/.well-known/void")


@pytest.fixture(scope="module")
def ld_graph() -> KnowledgeGraph:
    return fixture_graph()


@pytest.fixture(scope="module")
def ld_app(ld_graph: KnowledgeGraph) -> Flask:
    return fixture_app(ld_graph)


@pytest.fixture
def ld(ld_app: Flask) -> FlaskClient:
    return ld_app.test_client()


def parse(body: bytes, media_type: str) -> rdflib.Dataset:
    """The body parsed by rdflib as a dataset (triple formats land in its default graph)."""
    dataset = rdflib.Dataset()
    dataset.parse(data=body, format=RDF_FLAVOURS[media_type], publicID=BASE)
    return dataset


def merged(dataset: rdflib.Dataset) -> rdflib.Graph:
    """Every triple of every graph of ``dataset``."""
    graph = rdflib.Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def fetch(client: FlaskClient, path: str, accept: str, **kwargs: object) -> rdflib.Dataset:
    response = client.get(path, headers={"Accept": accept}, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == accept
    return parse(response.data, accept)


# --- RDF flavours ---------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("reasoning", ["", "?reasoning=none", "?reasoning=owlrl"])
def test_every_flavour_parses_and_all_are_isomorphic(ld: FlaskClient, path: str, reasoning: str) -> None:
    graphs = {media_type: merged(fetch(ld, path + reasoning, media_type)) for media_type in RDF_FLAVOURS}
    reference = graphs["text/turtle"]
    assert len(reference) > 3
    for media_type, graph in graphs.items():
        assert isomorphic(graph, reference), f"{media_type} differs from Turtle for {path}{reasoning}"


def test_description_holds_own_facts_labels_of_neighbours_incoming_links_and_provenance(ld: FlaskClient) -> None:
    graph = merged(fetch(ld, "/id/person/liu-hua", "text/turtle"))
    assert (LIU, RDFS.label, Literal("Liu Hua", lang="en")) in graph
    assert (LIU, RDFS.label, Literal("刘华", lang="zh")) in graph
    roundtable = URIRef(BASE + "id/event/roundtable-2021")
    assert (LIU, KG.participantIn, roundtable) in graph
    assert (roundtable, RDFS.label, Literal("High-Level Roundtable 2021", lang="en")) in graph
    statement = URIRef(BASE + "id/statement/liu-on-marrakesh")
    assert (statement, KG.speaker, LIU) in graph, "incoming links are part of the description"
    passage = URIRef(BASE + "id/passage/p01")
    assert (SOURCE_P01, PROV.wasDerivedFrom, passage) in graph
    assert any("Liu Hua, Director of the WOC" in str(o) for o in graph.objects(passage, KG.text))
    document = URIRef(BASE + "doc/id/person/liu-hua")
    assert (document, FOAF.primaryTopic, LIU) in graph
    assert (document, PROV.wasDerivedFrom, passage) in graph
    assert (LIU, KG.participantIn, URIRef(BASE + "id/event/other")) not in graph
    assert not set(graph.subjects(None, Literal("Marrakesh Treaty", lang="en"))), "two hops away is not described"


def test_quad_formats_put_asserted_facts_in_their_source_graph_and_inferred_ones_apart(ld: FlaskClient) -> None:
    for media_type in QUAD_TYPES:
        dataset = fetch(ld, "/id/person/liu-hua", media_type)
        assert (LIU, RDF.type, KG.Person, SOURCE_P01) in dataset
        assert (LIU, RDF.type, KG.Agent, INFERRED) in dataset
        assert (LIU, RDF.type, SCHEMA.Person, INFERRED) in dataset
        assert (LIU, RDF.type, KG.Agent, SOURCE_P01) not in dataset
        assert (LIU, RDF.type, KG.Person, INFERRED) not in dataset


def test_reasoning_parameter_chooses_the_inferences_included(ld: FlaskClient) -> None:
    with_owlrl = merged(fetch(ld, "/id/person/liu-hua", "text/turtle"))
    none = merged(fetch(ld, "/id/person/liu-hua?reasoning=none", "text/turtle"))
    rdfs = merged(fetch(ld, "/id/person/liu-hua?reasoning=rdfs", "text/turtle"))
    assert (LIU, RDF.type, SCHEMA.Person) in with_owlrl  # owl:equivalentClass: OWL 2 RL only
    assert (LIU, RDF.type, KG.Agent) in with_owlrl and (LIU, RDF.type, KG.Agent) in rdfs
    assert (LIU, RDF.type, SCHEMA.Person) not in rdfs
    assert (LIU, RDF.type, KG.Agent) not in none
    assert (LIU, RDF.type, KG.Person) in none
    assert ld.get("/id/person/liu-hua?reasoning=telepathy").status_code == 400


def test_jsonld_has_a_context_with_the_prefixes_it_uses(ld: FlaskClient) -> None:
    response = ld.get("/id/person/liu-hua", headers={"Accept": "application/ld+json"})
    document = json.loads(response.data)
    context = document["@context"]
    assert context["rdfs"] == str(RDFS) and context["schema"] == str(SCHEMA) and context["@vocab"] == str(KG)
    assert "dcterms" not in context or "dct" not in context, "one prefix per namespace"
    liu = next(node for node in document["@graph"] if node["@id"] == "person:liu-hua")
    assert "participantIn" in liu and "rdfs:label" in liu


# --- HTTP: negotiation, headers, validators ----------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/n-triples", "application/n-triples"),
        ("application/trig", "application/trig"),
        ("application/n-quads", "application/n-quads"),
        ("text/html", "text/html"),
        (BROWSER_ACCEPT, "text/html"),
        ("text/html;q=0.5, text/turtle", "text/turtle"),
        ("application/json", "application/ld+json"),
        ("*/*", "text/turtle"),
        (None, "text/turtle"),
        ("application/rdf+xml, */*;q=0.1", "application/rdf+xml"),
        ("application/rdf+xml, text/n3, text/turtle, application/n-triples, application/ld+json", "text/turtle"),
    ],
)
def test_content_negotiation_with_content_location_and_vary(ld: FlaskClient, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = ld.get("/id/person/liu-hua", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected
    assert "Accept" in response.vary
    location = response.headers["Content-Location"]
    extension = {
        "text/turtle": "ttl",
        "application/ld+json": "jsonld",
        "application/rdf+xml": "rdf",
        "application/n-triples": "nt",
        "application/trig": "trig",
        "application/n-quads": "nq",
        "text/html": "html",
    }[expected]
    assert location == f"http://localhost/doc/id/person/liu-hua.{extension}"
    document = ld.get(location)
    assert document.status_code == 200 and document.mimetype == expected
    assert document.data == response.data
    assert "Accept" not in document.vary, "a document of one format does not vary"
    assert "Content-Location" not in document.headers


def test_unacceptable_media_type_is_406_naming_what_is_offered(ld: FlaskClient) -> None:
    response = ld.get("/id/person/liu-hua", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)
    assert "Accept" in response.vary


def test_format_parameter_overrides_accept(ld: FlaskClient) -> None:
    response = ld.get("/id/person/liu-hua?format=jsonld", headers={"Accept": "text/html"})
    assert response.mimetype == "application/ld+json"
    assert response.headers["Content-Location"].endswith("/doc/id/person/liu-hua.jsonld")
    assert ld.get("/id/person/liu-hua?format=pdf").status_code == 400


def test_generic_document_url_negotiates_like_the_iri(ld: FlaskClient) -> None:
    thing = ld.get("/id/person/liu-hua", headers={"Accept": "application/n-triples"})
    document = ld.get("/doc/id/person/liu-hua", headers={"Accept": "application/n-triples"})
    assert document.status_code == 200 and document.data == thing.data
    assert "Accept" in document.vary
    assert document.headers["Content-Location"].endswith("/doc/id/person/liu-hua.nt")


def test_link_header_lists_the_alternates(ld: FlaskClient) -> None:
    response = ld.get("/id/person/liu-hua", headers={"Accept": "text/turtle"})
    link = response.headers["Link"]
    assert '</doc/id/person/liu-hua.jsonld>; rel="alternate"; type="application/ld+json"' in link
    assert 'type="text/html"' in link and 'type="text/turtle"' not in link


@pytest.mark.parametrize("path", PATHS)
def test_head_answers_the_headers_of_get_without_a_body(ld: FlaskClient, path: str) -> None:
    for accept in ("text/turtle", "text/html"):
        got = ld.get(path, headers={"Accept": accept})
        head = ld.head(path, headers={"Accept": accept})
        assert head.status_code == 200 and head.data == b""
        for name in ("Content-Type", "ETag", "Last-Modified", "Vary", "Content-Location", "Content-Length"):
            assert head.headers[name] == got.headers[name], name


@pytest.mark.parametrize("path", PATHS)
def test_etag_and_last_modified_revalidate_with_304(ld: FlaskClient, path: str) -> None:
    first = ld.get(path, headers={"Accept": "text/turtle"})
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] in ("public, no-cache", "no-cache, public")
    again = ld.get(path, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and "Accept" in again.vary
    since = ld.get(path, headers={"Accept": "text/turtle", "If-Modified-Since": modified})
    assert since.status_code == 304
    other_format = ld.get(path, headers={"Accept": "application/ld+json", "If-None-Match": etag})
    assert other_format.status_code == 200, "each representation has its own ETag"
    stale = ld.get(
        path, headers={"Accept": "text/turtle", "If-None-Match": '"something-else"', "If-Modified-Since": modified}
    )
    assert stale.status_code == 200, "If-None-Match wins over If-Modified-Since"
    assert ld.get(path, headers={"Accept": "text/turtle"}).headers["ETag"] == etag, "descriptions are stable"


def test_a_change_to_the_data_changes_etag_and_last_modified() -> None:
    graph = fixture_graph()
    client = fixture_app(graph).test_client()
    before = client.get("/id/person/liu-hua", headers={"Accept": "text/turtle"})
    graph.changed_at -= 10  # the change below happens "later", whatever the clock's resolution
    graph.apply_changes(
        [ox.Quad(ox.NamedNode(str(LIU)), ox.NamedNode(str(RDFS.comment)), ox.Literal("changed"), ox.DefaultGraph())], []
    )
    after = client.get(
        "/id/person/liu-hua",
        headers={
            "Accept": "text/turtle",
            "If-None-Match": before.headers["ETag"],
            "If-Modified-Since": before.headers["Last-Modified"],
        },
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert b"changed" in after.data


@pytest.mark.parametrize("accept", [*RDF_FLAVOURS, "text/html"])
def test_unknown_iri_is_404_in_the_negotiated_flavour(ld: FlaskClient, accept: str) -> None:
    response = ld.get("/id/person/nobody", headers={"Accept": accept})
    assert response.status_code == 404
    assert response.mimetype == accept
    assert "Accept" in response.vary
    if accept == "text/html":
        assert "Not found" in response.get_data(as_text=True)
        assert "/id/person/nobody" in response.get_data(as_text=True)
    else:
        assert len(merged(parse(response.data, accept))) == 0


@pytest.mark.parametrize(
    "path", ["/doc/id/person/nobody.ttl", "/graph/source/p99", "/id/nothing/here", "/doc/id/person/liu-hua.pdf"]
)
def test_other_unknown_addresses_are_404(ld: FlaskClient, path: str) -> None:
    assert ld.get(path, headers={"Accept": "text/turtle"}).status_code == 404


@pytest.mark.parametrize(
    ("path", "iri"),
    [
        ("/id/person/" + quote("张伟"), BASE + "id/person/张伟"),
        ("/id/person/%E5%BC%A0%E4%BC%9F", BASE + "id/person/张伟"),
        ("/id/person/%C3%A9mile%20z", BASE + "id/person/%C3%A9mile%20z"),
        ("/id/person/o'brien", BASE + "id/person/o'brien"),
        ("/id/person/o%27brien", BASE + "id/person/o'brien"),
    ],
)
def test_iris_with_odd_characters_dereference_to_exactly_that_iri(ld: FlaskClient, path: str, iri: str) -> None:
    graph = merged(fetch(ld, path, "text/turtle"))
    assert set(graph.predicate_objects(URIRef(iri))), f"no triples about <{iri}>"
    page = ld.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/id/../ontology",
        "/id/person/../person/liu-hua",
        "/id/person/%2e%2e/person/liu-hua",
        "/doc/../../../etc/passwd",
        "/doc/id/../../../../etc/passwd.ttl",
        "/id/person/..%2F..%2Fetc%2Fpasswd",
        "/id/person/liu-hua%00",
        "/id/person/<script>",
        "/id/person/%FF%FE",
        "/id/person/" + "x" * 5000,
        "/doc/ontology.ttl/../../etc/passwd",
    ],
)
def test_dot_segments_and_junk_reach_nothing_else(ld: FlaskClient, path: str) -> None:
    response = ld.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert b"root:" not in response.data


def test_a_request_to_another_host_name_still_describes_the_base_iri(ld: FlaskClient) -> None:
    response = ld.get("/id/person/liu-hua", headers={"Accept": "text/turtle", "Host": "kg.example.org"})
    graph = merged(parse(response.data, "text/turtle"))
    assert (LIU, RDF.type, KG.Person) in graph
    assert response.headers["Content-Location"] == "http://kg.example.org/doc/id/person/liu-hua.ttl"
    page = ld.get("/id/person/liu-hua", headers={"Accept": "text/html", "Host": "kg.example.org"})
    assert 'href="/id/event/roundtable-2021"' in page.get_data(as_text=True), "links stay on the server asked"


def test_incoming_links_are_capped_and_counted(tmp_path: Path) -> None:
    many = tmp_path / "many.ttl"
    many.write_text(
        "".join(f"<id/person/fan{i}> <ontology#participantIn> <id/event/roundtable-2021> .\n" for i in range(230))
    )
    client = fixture_app(fixture_graph([many])).test_client()
    graph = merged(fetch(client, "/id/event/roundtable-2021?reasoning=none", "text/turtle"))
    roundtable = URIRef(BASE + "id/event/roundtable-2021")
    assert len(set(graph.subjects(KG.participantIn, roundtable))) == 200
    page = client.get("/id/event/roundtable-2021?reasoning=none", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )
    assert "Showing 200 of 232 links" in page
    assert "/query?sparql=" in page


# --- HTML pages -------------------------------------------------------------------


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_resource_page_shows_label_types_facts_sources_and_links(ld: FlaskClient) -> None:
    html = page(ld, "/id/person/liu-hua")
    assert '<h1 lang="en">Liu Hua</h1>' in html
    assert "刘华" in html
    assert 'href="/ontology#Person"' in html and ">person<" in html, "types by label, linked to the ontology"
    assert "Ms. Liu Hua, Director of the WOC, gave a briefing." in html, "the source quotation"
    assert 'cite="/id/passage/p01"' in html
    assert 'href="/id/event/roundtable-2021"' in html, "our IRIs link to their pages on this server"
    assert ">High-Level Roundtable 2021<" in html
    assert 'class="inferred"' in html and "inferred</span>" in html
    assert ">schema:Person<" in html, "external IRIs by compact name"
    assert "Linked from" in html and 'href="/id/statement/liu-on-marrakesh"' in html
    for extension in ("ttl", "jsonld", "rdf", "nt"):
        assert f'href="/doc/id/person/liu-hua.{extension}"' in html
    assert "http://localhost:8000/" not in re.sub(
        r"<code>[^<]*</code>|title=\"[^\"]*\"|<desc[^>]*>.*?</desc>", "", html, flags=re.S
    ), "no raw IRIs as text"


def test_resource_page_draws_the_neighbourhood_as_accessible_svg(ld: FlaskClient) -> None:
    html = page(ld, "/id/person/liu-hua")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'aria-labelledby="nh-title nh-desc"' in svg
    assert '<title id="nh-title">Direct links of Liu Hua</title>' in svg
    assert 'href="/id/event/roundtable-2021"' in svg and ">High-Level Roundtable 2021<" in svg
    assert "participant in" in svg
    assert "style=" not in svg, "no inline styles (CSP)"


def test_pages_escape_every_literal_and_forbid_scripts(ld: FlaskClient) -> None:
    response = ld.get("/id/person/mystery", headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Guest" in html
    assert "<script" not in html
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    treaty = page(ld, "/id/statement/liu-on-marrakesh")
    assert "Marrakesh Treaty &lt;soon&gt; &amp; &#34;quickly&#34;." in treaty
    home = page(ld, "/")
    assert "&lt;script&gt;alert" in home and "<script>alert" not in home
    turtle = ld.get("/id/person/mystery", headers={"Accept": "text/turtle"})
    assert turtle.headers["X-Content-Type-Options"] == "nosniff"


def test_reasoning_links_and_hiding_inferred_facts(ld: FlaskClient) -> None:
    html = page(ld, "/id/person/liu-hua?reasoning=none")
    assert "Asserted facts only" in html
    assert 'class="inferred"' not in html
    assert 'href="/id/person/liu-hua"' in html
    assert 'href="/doc/id/person/liu-hua.ttl?reasoning=none"' in html


def test_why_links_of_inferred_facts_open_their_derivation(ld_app: Flask, ld: FlaskClient) -> None:
    html = page(ld, "/id/person/liu-hua")
    offers_explain = any(rule.rule == "/explain" for rule in ld_app.url_map.iter_rules())
    assert ('class="why"' in html) == offers_explain
    if not offers_explain:
        return
    links = re.findall(r'class="why" href="([^"]+)"', html)
    assert len(links) >= 4
    for link in links:
        derivation = ld.get(link.replace("&amp;", "&"))
        assert derivation.status_code == 200, derivation.get_data(as_text=True)
        assert derivation.json["inferred"] is True and derivation.json["rule"]
    rdfs_page = page(ld, "/id/person/liu-hua?reasoning=rdfs")
    assert "reasoning=rdfs" in re.findall(r'class="why" href="([^"]+)"', rdfs_page)[0]


def test_graph_page_and_rdf_show_its_triples_and_its_passage(ld: FlaskClient) -> None:
    dataset = fetch(ld, "/graph/source/p01", "application/trig")
    assert (LIU, RDF.type, KG.Person, SOURCE_P01) in dataset
    assert (SOURCE_P01, PROV.wasDerivedFrom, URIRef(BASE + "id/passage/p01")) in merged(dataset)
    html = page(ld, "/graph/source/p01")
    assert "Ms. Liu Hua, Director of the WOC, gave a briefing." in html
    assert "triples." in html and 'href="/id/person/liu-hua"' in html
    size = len(list(dataset.quads((None, None, None, SOURCE_P01))))
    assert (SOURCE_P01, VOID.triples, Literal(size)) in merged(dataset) and size == 13
    inferred = merged(fetch(ld, "/graph/inferred", "text/turtle"))
    assert (LIU, RDF.type, KG.Agent) in inferred
    rdfs_closure = merged(fetch(ld, "/graph/inferred-rdfs", "text/turtle"))
    assert (LIU, RDF.type, KG.Agent) in rdfs_closure
    assert (LIU, RDF.type, SCHEMA.Person) not in rdfs_closure


def test_ontology_rdf_is_the_ontology_as_written_by_default(ld: FlaskClient) -> None:
    dataset = fetch(ld, "/ontology", "application/trig")
    graph = merged(dataset)
    ontology = URIRef(BASE + "ontology")
    assert (ontology, RDF.type, OWL.Ontology) in graph
    assert (KG.Person, RDFS.subClassOf, KG.Agent) in graph
    assert (KG.Person, OWL.equivalentClass, SCHEMA.Person) in graph
    assert (KG.partOf, RDF.type, OWL.TransitiveProperty) in graph
    assert not list(dataset.quads((None, None, None, INFERRED))), "no inferences unless asked"
    assert (LIU, None, None) not in graph, "data is not part of the ontology"
    restriction = next(graph.objects(KG.Speaker, OWL.equivalentClass))
    assert (restriction, OWL.someValuesFrom, KG.Statement) in graph
    with_inferences = fetch(ld, "/ontology?reasoning=owlrl", "application/trig")
    assert list(with_inferences.quads((None, None, None, INFERRED)))


def test_ontology_page_documents_terms_hierarchy_restrictions_and_alignments(ld: FlaskClient) -> None:
    html = page(ld, "/ontology")
    assert 'id="Person"' in html and 'id="participantIn"' in html, "term IRIs' fragments are anchors"
    person = html[html.index('id="Person"') : html.index('id="Speaker"')]
    assert "A human being." in person
    assert "Subclass of" in person and 'href="/ontology#Agent"' in person
    assert "schema:Person" in person
    speaker = html[html.index('id="Speaker"') :]
    assert re.search(r'>made</a>\s*<span class="keyword">some</span>\s*<a href="/ontology#Statement"', speaker)
    participant = html[html.index('id="participant"') : html.index('id="participantIn"')]
    assert "Domain" in participant and "Range" in participant and "Inverse of" in participant
    assert "transitive" in html
    assert "Alignments" in html and ">org:Organization<" in html


def test_void_describes_the_dataset(ld: FlaskClient) -> None:
    response = ld.get("/.well-known/void", headers={"Accept": "text/turtle"})
    graph = merged(parse(response.data, "text/turtle"))
    dataset = URIRef(BASE + ".well-known/void#dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    assert (dataset, VOID.sparqlEndpoint, URIRef(BASE + "sparql")) in graph
    assert (dataset, VOID.uriSpace, Literal(BASE + "id/")) in graph
    assert (dataset, DCTERMS.source, URIRef(BASE + "id/document/article")) in graph
    assert next(graph.objects(dataset, DCTERMS.license)).startswith("https://creativecommons.org/")
    assert int(next(graph.objects(dataset, VOID.triples))) > 100
    assert int(next(graph.objects(dataset, VOID.entities))) == 14
    examples = set(graph.objects(dataset, VOID.exampleResource))
    assert {str(e)[len(BASE) :].split("/")[1] for e in examples} >= {"person", "organization", "event", "treaty"}
    partitions = {
        next(graph.objects(p, VOID["class"])): int(next(graph.objects(p, VOID.entities)))
        for p in graph.objects(dataset, VOID.classPartition)
    }
    assert partitions[KG.Person] == 5 and partitions[KG.Agent] == 7
    assert (URIRef(BASE + "graph/asserted"), RDF.type, VOID.Dataset) in graph
    html = page(ld, "/.well-known/void")
    assert "Statistics" in html and ">person<" in html


def test_home_page_lists_main_entities_by_kind_with_counts_and_the_ways_in(ld: FlaskClient) -> None:
    html = page(ld, "/")
    assert re.search(r'<h2 id="person">People <span class="count">5</span></h2>', html)
    assert 'href="/id/person/liu-hua"' in html and ">Liu Hua<" in html
    assert 'href="/id/treaty/marrakesh"' in html
    for link in ('href="/query"', 'href="/ontology"', 'href="/sparql"', 'href="/.well-known/void"'):
        assert link in html
    assert page(ld, "/") == html


# --- the shipped data: every IRI dereferences, rdflib on a real server ---------------


def minted_iris(graph: KnowledgeGraph) -> list[str]:
    """Every IRI under the base the shipped data mentions (subjects and objects, resources and terms)."""
    rows = graph.select(
        "SELECT DISTINCT ?x WHERE { { ?x ?p ?o } UNION { ?s ?p ?x } UNION { ?s ?x ?o } "
        f"FILTER(isIRI(?x) && STRSTARTS(STR(?x), {Literal(BASE).n3()})) }}",
        "none",
    )
    return sorted(str(row["x"]) for row in rows)


def test_every_iri_of_the_shipped_data_dereferences(client: FlaskClient, knowledge_graph: KnowledgeGraph) -> None:
    iris = minted_iris(knowledge_graph)
    kinds = {iri[len(BASE) :].split("/")[1] for iri in iris if iri.startswith(BASE + "id/")}
    assert {"person", "organization", "event", "treaty", "statement"} <= kinds
    paths = sorted({"/" + quote(iri[len(BASE) :].split("#", 1)[0], safe="/:@!$&'()*+,;=-._~%") for iri in iris})
    assert "/ontology" in paths
    failures = []
    for path in paths:
        response = client.head(path, headers={"Accept": "text/turtle"})
        if response.status_code != 200:
            failures.append((path, response.status_code))
    assert not failures, failures[:10]


def sample(graph: KnowledgeGraph) -> dict[str, str]:
    """One IRI of each kind the issue names, found with SPARQL as a crawler would."""
    found: dict[str, str] = {}
    for kind in ("person", "organization", "event", "treaty", "statement"):
        rows = graph.select(
            f"SELECT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), {Literal(BASE + 'id/' + kind + '/').n3()})) }} "
            "ORDER BY ?s LIMIT 1",
            "none",
        )
        found[kind] = str(rows[0]["s"])[len(BASE) :]
    found["ontology class"] = "ontology#Person"
    return found


def test_rdflib_parses_each_kind_of_iri_from_a_real_server(
    shipped_server: LiveServer, knowledge_graph: KnowledgeGraph
) -> None:
    for kind, relative in sample(knowledge_graph).items():
        iri = shipped_server.base_uri + relative
        graph = rdflib.Graph()
        graph.parse(iri)
        assert len(graph) > 0, kind
        assert set(graph.predicate_objects(URIRef(iri))), f"no triple with <{iri}> ({kind}) as subject"
        for media_type in ("application/ld+json", "application/rdf+xml"):
            other = rdflib.Graph()
            other.parse(iri, format={"application/ld+json": "json-ld", "application/rdf+xml": "xml"}[media_type])
            assert set(other.predicate_objects(URIRef(iri))), f"{media_type}: nothing about <{iri}>"


def test_void_at_the_base_of_a_real_server(shipped_server: LiveServer) -> None:
    graph = rdflib.Graph()
    graph.parse(shipped_server.base_uri + ".well-known/void")
    dataset = URIRef(shipped_server.base_uri + ".well-known/void#dataset")
    assert (dataset, VOID.sparqlEndpoint, URIRef(shipped_server.base_uri + "sparql")) in graph
    examples = set(graph.objects(dataset, VOID.exampleResource))
    assert examples and all(str(e).startswith(shipped_server.base_uri + "id/") for e in examples)
    for example in examples:
        described = rdflib.Graph()
        described.parse(str(example))
        assert set(described.predicate_objects(example))
