"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/store``: read and write whole graphs.

* ``/store?graph=IRI`` and ``/store?default`` name a graph indirectly;
* ``/store/<path>`` names the graph ``<base>store/<path>`` directly (its IRI is its URL under
  ``KG_BASE_URI``), and a POST to ``/store`` itself creates such a graph and answers
  ``201 Created`` with its IRI in ``Location``.

GET and HEAD answer the graph in any RDF format of the registry (Turtle by
default; ``Accept`` or ``format=``), 404 when a named graph holds no triple;
``?default&reasoning=MODE`` adds that mode's closure to the default graph.
PUT replaces, POST merges, DELETE drops; each needs the write token and is one
transaction (:mod:`kg.evaluation.graph_store`).  Bodies follow the endpoint's
rules (size cap, ``Content-Encoding``, UTF-8), read by :mod:`kg.sparql.graph_store`.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, request

from kg.evaluation import graph_store as store
from kg.linked_data.site import candidate_iris, raw_path
from kg.sparql.errors import HttpError
from kg.sparql.formats import GRAPH, formats_for, negotiate, write_graph
from kg.sparql.graph_store import GraphStoreRequest, parse_request, read_graph
from kg.web import current_graph, current_settings
from kg.web.auth import require_write_token
from kg.web.changes import logged, written

blueprint = Blueprint("graph_store", __name__)

METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]


@blueprint.route("/store", methods=METHODS)
@blueprint.route("/store/", methods=METHODS)
@blueprint.route("/store/<path:_rest>", methods=METHODS)
def graph_store(_rest: str | None = None) -> Response:
    """One Graph Store Protocol operation on the graph the URL names."""
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": ", ".join(METHODS)})
    operation = parse_request(request.method, request.query_string, _direct_iri() if _rest else None)
    if operation.method in ("GET", "HEAD"):
        return _get(operation)
    require_write_token()
    graph = current_graph()
    if operation.method == "DELETE":
        with logged("graph-store", f"DELETE {operation.label}") as note:
            if store.drop(graph, operation.iri) is None:
                raise HttpError(f"{operation.label} does not exist (it holds no triples)", 404)
        return written("", note, status=204)
    iri = operation.iri if operation.names_a_graph else store.new_graph_iri(graph)
    store.check_writable(graph, iri)  # before reading the body
    body = request.get_data(cache=False)
    triples = read_graph(request.headers.get("Content-Type"), body, iri or current_settings().base_uri)
    if not operation.names_a_graph and not triples:
        raise HttpError("the body holds no triples: a POST to the store creates a graph from them, and an empty "
                        "graph does not exist", 400)
    sent = f"{operation.method} <{iri}> ({request.headers.get('Content-Type', 'no type')}, {len(body):,} bytes)"
    with logged("graph-store", sent) as note:
        write = store.replace(graph, iri, triples) if operation.method == "PUT" else store.merge(graph, iri, triples)
    response = written(write.summary(), note, status=201 if write.created else 200)
    if write.created and iri is not None:
        response.headers["Location"] = iri
    return response


def _direct_iri() -> str:
    """The IRI of the graph a ``/store/<path>`` URL names: that path under ``KG_BASE_URI``."""
    raw = raw_path(request.environ, request.path)
    root = request.script_root
    relative = raw[len(root):] if root and raw.startswith(root) else raw
    iris = candidate_iris(current_settings().base_uri, relative.lstrip("/"))
    if not iris:
        raise HttpError(f"the path {relative[:200]!r} does not make a valid graph IRI", 400)
    return iris[0]


def _get(operation: GraphStoreRequest) -> Response:
    """The graph, negotiated; 404 when a named graph does not exist."""
    fmt = negotiate(GRAPH, request.accept_mimetypes, operation.format)
    if fmt is None:
        offered = ", ".join(f.media_type for f in formats_for(GRAPH))
        raise HttpError(f"a graph is offered as: {offered}", 406, headers={"Vary": "Accept"})
    graph = current_graph()
    if not store.exists(graph, operation.iri):
        raise HttpError(f"{operation.label} does not exist (it holds no triples)", 404)
    triples = store.read(graph, operation.iri, operation.reasoning)
    statements: list[ox.Triple] | list[ox.Quad] = triples
    if fmt.dataset and operation.iri is not None:  # TriG, N-Quads: the graph under its name
        statements = [ox.Quad(*triple, ox.NamedNode(operation.iri)) for triple in triples]
    response = Response(write_graph(statements, fmt, graph.namespaces.prefixes()), content_type=fmt.content_type)
    response.vary.add("Accept")
    response.last_modified = graph.changed_at
    return response
