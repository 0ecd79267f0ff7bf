"""The canned-query REST API (``/api/queries…``), its OpenAPI document and the rendered API docs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup, escape

from kg.canned.binding import instances_of
from kg.canned.catalogue import Catalogue
from kg.canned.checks import explain_engine_error
from kg.canned.model import CannedQuery, Parameter
from kg.canned.openapi import openapi_document
from kg.canned.run import page_of, query_job, trial_run
from kg.sparql.errors import HttpError
from kg.sparql.formats import GRAPH, SOLUTIONS, formats_for, negotiate_answer
from kg.web import current_evaluator, current_graph
from kg.web.answers import answer
from kg.web.auth import require_write_token

blueprint = Blueprint("canned", __name__)

SPARQL_QUERY = "application/sparql-query"


def current_catalogue() -> Catalogue:
    """The running app's query catalogue."""
    return current_app.extensions["kg.catalogue"]


def trial(query: CannedQuery) -> None:
    """Refuse to save a query that does not run with its defaults within the endpoint's limits."""
    trial_run(query, current_graph(), current_evaluator())


# -- catalogue ---------------------------------------------------------------------------------------------------


@blueprint.get("/api/queries")
def list_queries() -> Response:
    """The catalogue, filtered by ``tag=`` and ``q=``."""
    queries = current_catalogue().queries(tag=request.args.get("tag"), text=request.args.get("q"))
    return jsonify(queries=[_with_links(q.summary()) for q in queries])


@blueprint.get("/api/queries/<name>")
def get_query(name: str) -> Response:
    """One query: metadata and ``sparql`` (JSON), or the ``.rq`` file itself if asked for."""
    query = current_catalogue().get(name)
    if request.accept_mimetypes.best_match(["application/json", SPARQL_QUERY]) == SPARQL_QUERY:
        response = Response(query.sparql, content_type=f"{SPARQL_QUERY}; charset=utf-8")
    else:
        response = jsonify(_with_links(query.to_json()))
    response.vary.add("Accept")
    return response


@blueprint.put("/api/queries/<name>")
def put_query(name: str) -> Response:
    """Create or replace a saved query from its ``.rq`` text."""
    require_write_token()
    if request.mimetype != SPARQL_QUERY:
        raise HttpError(f"send the .rq file as the body with Content-Type: {SPARQL_QUERY}", 415)
    try:
        text = request.get_data().decode("utf-8")
    except UnicodeDecodeError as error:
        raise HttpError(f"the body is not UTF-8 (byte {error.start})") from None
    if not text.strip():
        raise HttpError("the body is empty: send the .rq file (metadata header and SPARQL)")
    query, created = current_catalogue().save(name, text, trial)
    response = jsonify(_with_links(query.to_json()))
    response.status_code = 201 if created else 200
    if created:
        response.headers["Location"] = url_for("canned.get_query", name=name)
    return response


@blueprint.delete("/api/queries/<name>")
def delete_query(name: str) -> Response:
    """Delete a saved query (its history stays)."""
    require_write_token()
    current_catalogue().delete(name)
    return Response(status=204)


@blueprint.get("/api/queries/<name>/history")
def history(name: str) -> Response:
    """The saved versions of a query."""
    revisions = current_catalogue().history(name)
    return jsonify(name=name, revisions=[
        {**r.to_json(), "url": url_for("canned.revision", name=name, number=r.number)} for r in revisions])


@blueprint.get("/api/queries/<name>/history/<int:number>")
def revision(name: str, number: int) -> Response:
    """The ``.rq`` text of one revision."""
    text = current_catalogue().revision_text(name, number)
    return Response(text, content_type=f"{SPARQL_QUERY}; charset=utf-8")


@blueprint.post("/api/queries/<name>/history/<int:number>/restore")
def restore(name: str, number: int) -> Response:
    """Make a revision current again."""
    require_write_token()
    query = current_catalogue().restore(name, number, trial)
    return jsonify(_with_links(query.to_json()))


# -- runs ------------------------------------------------------------------------------------------------------


@blueprint.route("/api/queries/<name>/run", methods=["GET", "POST"])
def run(name: str) -> Response:
    """Run a canned query: parameters from the query string or a form body; answer negotiated as ``/sparql`` does."""
    query = current_catalogue().get(name)
    kind = GRAPH if query.answers_with_graph else SOLUTIONS
    solutions_format, graph_format = negotiate_answer(request.accept_mimetypes, request.values.getlist("format"))
    fmt = solutions_format if kind == SOLUTIONS else graph_format
    if fmt is None:
        offered = ", ".join(f.media_type for f in formats_for(kind))
        raise HttpError(f"cannot answer in the requested format; offered: {offered}", 406)
    given = {key: values for key, values in request.values.lists()}
    job = query_job(query, given, current_graph(), reasoning=request.values.get("reasoning") or None,
                    solutions_format=fmt.name if kind == SOLUTIONS else None,
                    graph_format=fmt.name if kind == GRAPH else None)
    download = name if request.values.get("download", "").lower() in ("1", "true", "yes", "on") else None
    outcome = current_evaluator().evaluate(job)
    if not outcome.ok:
        outcome = replace(outcome, message=explain_engine_error(query, outcome.message or "the query could not be answered"))
    response = answer(outcome, download=download)
    page = page_of(query, given)
    if query.pagination and page:
        response.headers["Link"] = _page_links(name, page, full=(outcome.rows or 0) >= query.pagination)
    return response


def _page_links(name: str, page: int, full: bool) -> str:
    """The ``Link`` header of a paged run: its first, previous and (after a full page) next pages, as grlc gives."""
    kept = [(key, value) for key, values in request.values.lists() if key != "page" for value in values]
    pages = {"first": 1, "prev": page - 1 if page > 1 else None, "next": page + 1 if full else None}
    base = url_for("canned.run", name=name)
    return ", ".join(f'<{base}?{urlencode([*kept, ("page", number)])}>; rel="{rel}"'
                     for rel, number in pages.items() if number is not None)


# -- OpenAPI -----------------------------------------------------------------------------------------------------


def current_openapi() -> dict[str, Any]:
    """The OpenAPI document of the running app's catalogue."""
    graph = current_graph()

    def choices_of(parameter: Parameter) -> list:
        return instances_of(parameter, graph)

    return openapi_document(current_catalogue().queries(), request.url_root, choices_of)


@blueprint.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document, generated from the catalogue."""
    return jsonify(current_openapi())


@blueprint.app_template_filter("code_spans")
def code_spans(text: str) -> Markup:
    """``text`` (CommonMark, as OpenAPI descriptions are) with its `code` spans as <code>; everything else escaped."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{part}</code>" if n % 2 else part for n, part in enumerate(parts)))


@blueprint.get("/api/docs")
def docs() -> str:
    """The OpenAPI document rendered as a page (no scripts, nothing fetched)."""
    return render_template("api_docs.html", document=current_openapi())


def _with_links(document: dict[str, Any]) -> dict[str, Any]:
    name = document["name"]
    return {**document, "links": {
        "self": url_for("canned.get_query", name=name),
        "run": url_for("canned.run", name=name),
        "page": url_for("query_page.page", name=name),
    }}
