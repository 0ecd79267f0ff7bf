"""The SPARQL endpoint (``/sparql``): query operation of the SPARQL 1.1 Protocol."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import MIMEAccept

from kg.graph import QueryError
from kg.sparql.formats import ResultFormat, answer_kind, format_named, formats_for, serialize
from kg.web import current_graph

blueprint = Blueprint("sparql", __name__)


def _negotiate(kind: str, accept: MIMEAccept, override: str | None) -> ResultFormat | None:
    """The format for an answer of ``kind``: ``format=`` first, then ``Accept`` (q-values honoured)."""
    offered = formats_for(kind)
    if override:
        for fmt in offered:
            if override in (fmt.name, fmt.media_type, fmt.extension):
                return fmt
        return None
    if not accept:
        return offered[0]
    by_type: dict[str, ResultFormat] = {}
    for fmt in offered:
        for media_type in (fmt.media_type, *fmt.aliases):
            by_type.setdefault(media_type, fmt)
    best = accept.best_match(list(by_type))
    return by_type.get(best) if best else None


@blueprint.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """Answer a SPARQL query given as ``query=`` (GET or form POST) or as an ``application/sparql-query`` body."""
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        text = request.get_data(as_text=True)
    else:
        text = request.values.get("query", "")
    if not text:
        return _error(400, "missing the 'query' parameter")
    graph = current_graph()
    try:
        answer = graph.query(
            text,
            request.values.get("reasoning"),
            default_graph_uris=request.values.getlist("default-graph-uri"),
            named_graph_uris=request.values.getlist("named-graph-uri"),
        )
    except QueryError as error:
        return _error(400, error.message)
    fmt = _negotiate(answer_kind(answer), request.accept_mimetypes, request.values.get("format"))
    if fmt is None:
        offered = ", ".join(f.media_type for f in formats_for(answer_kind(answer)))
        return _error(406, f"cannot answer in the requested format; offered: {offered}")
    body = serialize(answer, fmt, graph.namespaces.prefixes())
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _error(status: int, message: str) -> Response:
    response = jsonify(error=message, status=status)
    response.status_code = status
    return response
