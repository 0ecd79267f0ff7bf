"""Linked data: every IRI minted under the base dereferences here, for machines and for people.

Routes: ``/`` (home), ``/id/…`` (resources), ``/graph/…`` (named graphs),
``/ontology`` (the ontology; its terms ``/ontology#Term``), ``/.well-known/void``
(VoID), and ``/doc/<path>[.ext]`` (the documents: ``.ttl .jsonld .rdf .nt .trig
.nq .html``).

Pattern: direct content negotiation.  The IRI answers 200 with the flavour
``Accept`` prefers (or ``format=``), ``Vary: Accept``, and ``Content-Location``
naming the document of that one flavour.  ``reasoning=none|rdfs|owlrl``
chooses the inferences included (default: the server's, ``owlrl``; the
ontology: ``none``, as written).  ``ETag`` (a hash of the body) and
``Last-Modified`` (when the data last changed) answer revalidations with 304.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request

from kg.formats import Format
from kg.linked_data import serialize as rdf
from kg.linked_data.catalogue import catalogue
from kg.linked_data.describe import Describer
from kg.linked_data.description import Description
from kg.linked_data.flavours import (
    FLAVOURS,
    HTML,
    RDF_FLAVOURS,
    LinkedDataError,
    flavour_named,
    negotiate,
    split_extension,
)
from kg.linked_data.home import home_page, label_terms
from kg.linked_data.labels import Labeller
from kg.linked_data.ontology import ontology_page
from kg.linked_data.pages import explain_link, format_links, graph_page, resource_page
from kg.linked_data.site import DOC, Site, candidate_iris, raw_path
from kg.linked_data.void import PATH as VOID_PATH
from kg.linked_data.void import describe_dataset
from kg.settings import REASONING_MODES
from kg.sparql.entailment import parse_reasoning
from kg.web import current_graph, current_settings

blueprint = Blueprint("linked_data", __name__)


@dataclass(frozen=True)
class Target:
    """What a request names: the IRI and what kind of thing it is."""

    kind: str
    """``resource``, ``graph``, ``ontology`` or ``dataset``."""
    iri: str


@dataclass(frozen=True)
class Choice:
    """The flavour to answer in, and how it was chosen."""

    flavour: Format
    negotiated: bool
    """Chosen from ``Accept`` (so the answer varies with it)."""
    fixed_url: bool
    """Asked for by a document URL with an extension (so there is no other document to point to)."""


def _site() -> Site:
    return Site(current_settings().base_uri, request.script_root + "/")


def _relative_raw_path() -> str:
    """The request path below the application root, percent-encoding as sent."""
    raw = raw_path(request.environ, request.path)
    root = request.script_root
    if root and raw.startswith(root):
        raw = raw[len(root) :]
    return raw[1:] if raw.startswith("/") else raw


def _choose(fixed: Format | None) -> Choice:
    if fixed is not None:
        return Choice(fixed, False, True)
    requested = request.args.get("format")
    if requested:
        flavour = flavour_named(requested)
        if flavour is None:
            offered = ", ".join(f.name for f in FLAVOURS)
            raise LinkedDataError(400, f"unknown format {requested!r}; use one of: {offered}")
        return Choice(flavour, False, False)
    flavour = negotiate(request.accept_mimetypes)
    if flavour is None:
        offered = ", ".join(f.media_type for f in FLAVOURS)
        raise LinkedDataError(
            406, f"none of the accepted media types can be produced; offered: {offered}", negotiated=True
        )
    return Choice(flavour, True, False)


def _reasoning(target: Target) -> tuple[str, str | None]:
    """The entailment mode to describe ``target`` under, and the ``reasoning=`` parameter as given."""
    given = parse_reasoning(request.args.get("reasoning"))
    default = "none" if target.kind == "ontology" else current_settings().default_reasoning
    return given or default, given


def _find(describer: Describer, site: Site, relative_raw: str) -> Target | None:
    namespaces = current_graph().namespaces
    for iri in candidate_iris(site.base, relative_raw):
        if iri == namespaces.ontology:
            return Target("ontology", iri)
        if iri == site.base + VOID_PATH:
            return Target("dataset", iri)
        if iri.startswith(namespaces.graphs) and describer.is_graph(iri):
            return Target("graph", iri)
        if describer.mentions(iri):
            return Target("resource", iri)
    return None


def _explain_path(site: Site) -> str | None:
    """The derivation service's path, if this server offers one (``/explain``)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/explain":
            return site.root + "explain"
    return None


def _changed_at() -> datetime:
    return datetime.fromtimestamp(current_graph().changed_at, tz=UTC)


def _describe(target: Target, mode: str, given: str | None, site: Site) -> Description:
    graph = current_graph()
    describer = Describer(graph, mode)
    document = site.document_iri(target.iri, given)
    if target.kind == "ontology":
        return describer.ontology(target.iri, document)
    if target.kind == "graph":
        return describer.named_graph(target.iri, document)
    if target.kind == "dataset":
        return describe_dataset(graph, catalogue(graph, mode), document)
    return describer.resource(target.iri, document)


def _html(target: Target, mode: str, given: str | None, site: Site) -> str:
    graph = current_graph()
    prefixes = graph.namespaces.prefixes()
    explain = explain_link(_explain_path(site), mode)
    describer = Describer(graph, mode)
    if target.kind == "dataset":
        counts = catalogue(graph, mode)
        labeller = Labeller(
            describer.labels_of([c for c, _ in counts.classes] + [p for p, _ in counts.properties]), prefixes, site
        )
        return render_template(
            "linked_data/void.html",
            counts=counts,
            labeller=labeller,
            formats=format_links(site, target.iri, given),
            iri=target.iri,
            endpoint=site.root + "sparql",
            documents=[labeller.view(d) for d in counts.documents],
        )
    description = _describe(target, mode, given, site)
    labeller = Labeller(description.labels(), prefixes, site)
    if target.kind == "ontology":
        schemes = describer.concept_schemes(target.iri)
        labels = {**schemes.labels(), **description.labels()}
        labeller = Labeller(labels, prefixes, site)
        page = ontology_page(
            description,
            schemes,
            labeller,
            graph.namespaces.terms,
            site.base,
            format_links(site, target.iri, given),
            prefixes,
        )
        return render_template("linked_data/ontology.html", page=page)
    if target.kind == "graph":
        inferred = target.iri in graph.layout.closure_graphs
        return render_template(
            "linked_data/graph.html", page=graph_page(description, labeller, site, explain, given, inferred)
        )
    default = current_settings().default_reasoning
    modes = (default, *(m for m in REASONING_MODES if m != default))
    page = resource_page(description, labeller, site, explain, given, modes, graph.namespaces.terms)
    return render_template("linked_data/resource.html", page=page)


def _alternates(site: Site, iri: str, given: str | None, current: Format) -> str:
    return ", ".join(
        f'<{site.document(iri, f.extension, given)}>; rel="alternate"; type="{f.media_type}"'
        for f in (*RDF_FLAVOURS, HTML)
        if f != current
    )


def _finish(response: Response) -> Response:
    """Validators and caching headers, then 304 when the client's copy is current."""
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.last_modified = _changed_at()
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response.make_conditional(request)


def _dereference(relative_raw: str, fixed: Format | None = None) -> Response:
    site = _site()
    choice = _choose(fixed)
    graph = current_graph()
    target = _find(Describer(graph, current_settings().default_reasoning), site, relative_raw)
    if target is None:
        iri = candidate_iris(site.base, relative_raw)
        named = f"<{iri[0]}>" if iri else "this address"
        raise LinkedDataError(
            404, f"Nothing is known about {named} in this dataset.", choice.flavour, choice.negotiated
        )
    mode, given = _reasoning(target)
    flavour = choice.flavour
    if flavour.is_html:
        body = _html(target, mode, given, site).encode("utf-8")
    else:
        body = rdf.serialize(
            _describe(target, mode, given, site), flavour, graph.namespaces.prefixes(), graph.namespaces.terms
        )
    response = Response(body, content_type=flavour.content_type)
    if choice.negotiated:
        response.vary.add("Accept")
    if not choice.fixed_url:
        response.headers["Content-Location"] = request.host_url.rstrip("/") + site.document(
            target.iri, flavour.extension, given
        )
    response.headers["Link"] = _alternates(site, target.iri, given, flavour)
    return _finish(response)


@blueprint.route("/id/<path:_rest>")
@blueprint.route("/graph/<path:_rest>")
@blueprint.route("/ontology")
@blueprint.route(f"/{VOID_PATH}")
def thing(_rest: str = "") -> Response:
    """A minted IRI: the description of what it names, in the negotiated flavour."""
    return _dereference(_relative_raw_path())


@blueprint.route("/doc/<path:_rest>")
def document(_rest: str) -> Response:
    """A document: ``/doc/<path>.<ext>`` in that one flavour, ``/doc/<path>`` negotiated like the IRI."""
    stem, flavour = split_extension(_relative_raw_path()[len(DOC) :])
    return _dereference(stem, flavour)


@blueprint.route("/")
def home() -> Response:
    """The home page: the main entities by kind, the classes most used, and the ways in."""
    site = _site()
    graph = current_graph()
    mode = current_settings().default_reasoning
    counts = catalogue(graph, mode)
    labeller = Labeller(Describer(graph, mode).labels_of(label_terms(counts)), graph.namespaces.prefixes(), site)
    page = home_page(counts, labeller, graph.namespaces.terms)
    body = render_template("linked_data/home.html", page=page, root=site.root)
    return _finish(Response(body, content_type=HTML.content_type))
