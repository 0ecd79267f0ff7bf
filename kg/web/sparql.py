"""The SPARQL endpoint (``/sparql``): the SPARQL 1.1 Protocol's query and update operations, and its service description.

A request flows one way: :func:`kg.sparql.protocol.parse_request` says what it
asks for (or why it is malformed), :func:`kg.sparql.formats.negotiate` picks the
formats, the app's evaluator answers queries under the limits (in worker
processes under ``kg serve``), updates go to the authoritative graph, and
errors become clear 4xx answers.  CORS headers let browser tools call it.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from kg.evaluation import QueryJob
from kg.evaluation.update import run_update
from kg.sparql.errors import HttpError
from kg.sparql.formats import GRAPH, formats_for, negotiate, negotiate_header, write_graph
from kg.sparql.protocol import DescriptionRequest, QueryRequest, UpdateRequest, parse_request
from kg.web.service_description import TRUNCATION_HEADER, describe_service, service_namespace
from kg.web import current_evaluator, current_graph, current_settings
from kg.web.answers import answer
from kg.web.auth import require_write_token
from kg.web.changes import logged, written

blueprint = Blueprint("sparql", __name__)

EVALUATED = "kg.evaluated_query"
"""WSGI environ key of a query's :class:`~kg.evaluation.job.Outcome` evaluated before the view ran (a refusal to
answer: :mod:`kg.web.query_path` hands those to the view rather than evaluating the query twice)."""

METHODS = ["GET", "HEAD", "POST", "OPTIONS"]
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": ", ".join(METHODS),
    "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type",
    "Access-Control-Expose-Headers": f"Content-Type, Content-Length, Vary, Retry-After, WWW-Authenticate, {TRUNCATION_HEADER}",
    "Access-Control-Max-Age": "86400",
}


@blueprint.route("/sparql", methods=METHODS)
@blueprint.route("/sparql/", methods=METHODS)
def endpoint() -> Response:
    """Answer a query (GET, form POST or ``application/sparql-query``), an update (POST), or describe the service."""
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": ", ".join(METHODS)})
    body = request.get_data(cache=False) if request.method == "POST" else b""
    operation = parse_request(request.method, request.query_string, request.headers.get("Content-Type"), body)
    if isinstance(operation, UpdateRequest):
        return _update(operation)
    if isinstance(operation, DescriptionRequest):
        return _describe(operation)
    return _query(operation)


@blueprint.after_app_request
def allow_browser_tools(response: Response) -> Response:
    """CORS headers on every answer of the endpoint, errors included, so YASGUI or Comunica in a page can call it."""
    if request.path.rstrip("/") == "/sparql":
        response.headers.update(CORS_HEADERS)
    return response


def _query(operation: QueryRequest) -> Response:
    evaluated = request.environ.pop(EVALUATED, None)  # by the plain WSGI path, which answers only successes itself
    if evaluated is not None:
        return answer(evaluated)
    return answer(current_evaluator().evaluate(query_job(operation, request.headers.get("Accept", ""))))


def query_job(operation: QueryRequest, accept: str) -> QueryJob:
    """The job answering ``operation`` in the formats ``format=``, else the ``Accept`` header, asks for."""
    solutions_format, graph_format = negotiate_header(accept, operation.format)
    return QueryJob(
        operation.text,
        operation.reasoning,
        operation.default_graph_uris,
        operation.named_graph_uris,
        solutions_format=solutions_format.name if solutions_format else None,
        graph_format=graph_format.name if graph_format else None,
    )


def _update(operation: UpdateRequest) -> Response:
    require_write_token()
    with logged("update", operation.text) as note:
        report = run_update(current_graph(), operation.text, operation.using_graph_uris,
                            operation.using_named_graph_uris, evaluator=current_evaluator())
    return written(report.summary(), note)


def _describe(operation: DescriptionRequest) -> Response:
    fmt = negotiate(GRAPH, request.accept_mimetypes, operation.format)
    if fmt is None:
        offered = ", ".join(f.media_type for f in formats_for(GRAPH))
        raise HttpError(f"the service description is offered as: {offered}", 406)
    settings = current_settings()
    graph = current_graph()
    store = request.url_root + "store"
    triples = describe_service(graph, request.host_url + "sparql", updates=settings.users.has_writers,
                               federated=settings.allow_service, graph_store=store)
    prefixes = {**graph.namespaces.prefixes(), "service": service_namespace(settings.base_uri),
                "formats": "http://www.w3.org/ns/formats/", "entailment": "http://www.w3.org/ns/entailment/"}
    body = write_graph(triples, fmt, prefixes)
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    response.headers["Link"] = f'<{store}>; rel="{service_namespace(settings.base_uri)}graphStore"'
    return response

