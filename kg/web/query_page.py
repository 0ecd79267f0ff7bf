"""The analysts' page (``/query``): the catalogue with a form per canned query, a SPARQL editor, results and saving.

Everything works without JavaScript (forms, server-rendered results and chart);
the vendored editor script only turns the query textarea into a highlighting editor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for

from kg.canned.binding import Choice, instances_of
from kg.canned.checks import explain_engine_error
from kg.canned.errors import CannedError
from kg.canned.header import parse_header, with_metadata
from kg.canned.model import CannedQuery, Parameter
from kg.canned.run import query_job
from kg.evaluation import QueryJob
from kg.settings import REASONING_MODES
from kg.sparql.errors import HttpError
from kg.sparql.formats import GRAPH, SOLUTIONS, format_named
from kg.web import current_evaluator, current_graph, current_settings
from kg.web.answers import answer
from kg.web.auth import require_write_token
from kg.web.canned import current_catalogue, trial
from kg.web.result_view import ResultView, view_of_body

blueprint = Blueprint("query_page", __name__)

PARAM_PREFIX = "param."
"""Form fields of canned-query parameters are prefixed, so that a parameter may be called ``name`` or ``q``."""
MAX_SELECT_CHOICES = 300
EXAMPLE_QUERY = """SELECT ?class (COUNT(?thing) AS ?things) WHERE {
  ?thing a ?class .
  FILTER(STRSTARTS(STR(?class), STR(kg:)))
}
GROUP BY ?class
ORDER BY DESC(?things)
LIMIT 20
"""


@dataclass(frozen=True)
class Field:
    """One form field of a canned query's parameter."""

    parameter: Parameter
    value: str
    choices: list[Choice]

    @property
    def input_name(self) -> str:
        """The field's name in the page's form."""
        return PARAM_PREFIX + self.parameter.name


@dataclass
class Outcome:
    """What a run on the page gave: a view of the answer, or an error; and links to download it."""

    view: ResultView | None = None
    error: str | None = None
    downloads: dict[str, str] | None = None
    status: int = 200


@blueprint.get("/query")
def page() -> tuple[str, int]:
    """The page; ``name=`` selects a canned query, ``run=1`` runs it, ``sparql=`` runs an ad-hoc query."""
    args = request.args
    sparql_text = args.get("sparql")
    selected = _selected(args.get("name"))
    outcome: Outcome | None = None
    if sparql_text is not None and args.get("action") == "run":
        outcome = _run_sparql(sparql_text, args.get("reasoning") or None)
    elif selected is not None and args.get("run"):
        outcome = _run_canned(selected, args)
    save_form: dict[str, str] = {}
    if sparql_text is None:
        editing = selected is not None and bool(args.get("edit"))
        sparql_text = selected.sparql if editing else EXAMPLE_QUERY
        if editing and not selected.shipped:
            save_form = {"save_name": selected.name, "save_title": selected.title,
                         "save_description": selected.description, "save_tags": ", ".join(selected.tags)}
    return _render(
        selected=selected,
        sparql_text=sparql_text,
        outcome=outcome,
        saved=args.get("saved"),
        save_form=save_form,
        status=outcome.status if outcome else 200,
    )


@blueprint.post("/query/save")
def save() -> Response | tuple[str, int]:
    """Save the editor's query as a canned query (needs the write token, typed in the form)."""
    form = request.form
    name = form.get("save_name", "").strip()
    text = form.get("sparql", "")
    save_form = {key: form.get(key, "") for key in ("save_name", "save_title", "save_description", "save_tags")}
    try:
        require_write_token(form.get("token", "").strip(), "the write token")
        tags = [tag.strip() for tag in form.get("save_tags", "").split(",") if tag.strip()]
        text = with_metadata(text, title=form.get("save_title", "").strip() or None,
                             description=form.get("save_description", "").strip() or None, tags=tags or None)
        current_catalogue().save(name, text, trial)
    except HttpError as error:
        return _render(selected=None, sparql_text=form.get("sparql", ""), outcome=None, saved=None,
                       save_form=save_form, save_error=error.message, status=error.status)
    return redirect(url_for("query_page.page", name=name, saved=1) + "#canned")


def _selected(name: str | None) -> CannedQuery | None:
    if not name:
        return None
    try:
        return current_catalogue().get(name)
    except CannedError:
        return None


def _run_canned(query: CannedQuery, args: Mapping[str, str]) -> Outcome:
    given = {key[len(PARAM_PREFIX):]: [value] for key, value in args.items() if key.startswith(PARAM_PREFIX)}
    reasoning = args.get("reasoning") or None
    try:
        job = query_job(query, given, current_graph(), reasoning=reasoning, solutions_format="json",
                        graph_format="nt")
    except HttpError as error:
        return Outcome(error=error.message, status=error.status)
    api = {key: values[0] for key, values in given.items() if values[0] != ""}
    if reasoning:
        api["reasoning"] = reasoning
    run_url = url_for("canned.run", name=query.name)
    downloads = {
        label: f"{run_url}?{urlencode({**api, 'format': fmt, 'download': '1'})}"
        for label, fmt in _download_formats(query.answers_with_graph)
    }
    return _evaluate(job, downloads)


def _run_sparql(text: str, reasoning: str | None) -> Outcome:
    if not text.strip():
        return Outcome(error="the query is empty", status=400)
    try:
        job, query = editor_job(text, reasoning, "json", "nt")
    except HttpError as error:
        return Outcome(error=error.message, status=error.status)
    outcome = _evaluate(job, {})
    if outcome.error and query is not None:
        outcome.error = explain_engine_error(query, outcome.error)
    if outcome.view is not None:
        params = {"sparql": text, **({"reasoning": reasoning} if reasoning else {})}
        outcome.downloads = {
            label: url_for("query_page.download") + "?" + urlencode({**params, "format": fmt})
            for label, fmt in _download_formats(outcome.view.triples is not None)
        }
    return outcome


def editor_job(
    text: str, reasoning: str | None, solutions_format: str | None, graph_format: str | None
) -> tuple[QueryJob, CannedQuery | None]:
    """The job for the editor's text, and its canned query if a ``#+`` header declares parameters.

    With parameters it runs with their defaults, so that a query being written
    as a canned query can be tried before it is saved.
    """
    if any(name == "parameters" for name in parse_header(text)):
        query = current_catalogue().parse("editor", with_metadata(text, title="editor"))
        job = query_job(query, {}, current_graph(), reasoning=reasoning, solutions_format=solutions_format,
                        graph_format=graph_format)
        return job, query
    return QueryJob.of(text, reasoning, solutions_format=solutions_format, graph_format=graph_format), None


def _evaluate(job: QueryJob, downloads: dict[str, str]) -> Outcome:
    """Evaluate ``job`` under the endpoint's limits and read its answer back for the page."""
    outcome = current_evaluator().evaluate(job)
    if not outcome.ok:
        return Outcome(error=outcome.message or "the query could not be answered", status=outcome.status)
    view = view_of_body(outcome.body, outcome.format or "json", current_graph().namespaces.prefixes())
    view.truncated_by_cap = outcome.truncated
    return Outcome(view=view, downloads=downloads)


@blueprint.get("/query/download")
def download() -> Response:
    """An ad-hoc query's answer as a file (the canned queries' downloads use their API run)."""
    fmt_name = request.args.get("format", "csv")
    try:
        fmt = format_named(fmt_name)
    except KeyError:
        raise HttpError(f"unknown format {fmt_name!r}") from None
    job, _ = editor_job(request.args.get("sparql", ""), request.args.get("reasoning") or None,
                        fmt.name if fmt.kind == SOLUTIONS else None, fmt.name if fmt.kind == GRAPH else None)
    return answer(current_evaluator().evaluate(job), negotiated=False, download="query")


def _download_formats(is_graph: bool) -> list[tuple[str, str]]:
    """The (label, name) of the formats the page offers downloads in."""
    names = ("turtle", "nt") if is_graph else ("csv", "json")
    return [(format_named(name).label, name) for name in names]


def _fields(query: CannedQuery, args: Mapping[str, str]) -> list[Field]:
    graph = current_graph()
    fields = []
    for parameter in query.parameters:
        value = args.get(PARAM_PREFIX + parameter.name, parameter.default or "")
        choices = instances_of(parameter, graph, limit=MAX_SELECT_CHOICES + 1)
        fields.append(Field(parameter, value, choices if len(choices) <= MAX_SELECT_CHOICES else []))
    return fields


def _render(
    *,
    selected: CannedQuery | None,
    sparql_text: str,
    outcome: Outcome | None,
    saved: str | None,
    save_form: dict[str, str],
    status: int,
    save_error: str | None = None,
) -> tuple[str, int]:
    args = request.args
    catalogue = current_catalogue()
    context: dict[str, Any] = {
        "queries": sorted(catalogue.queries(tag=args.get("tag") or None, text=args.get("q") or None),
                          key=lambda query: query.title.casefold()),
        "all_tags": catalogue.tags(),
        "tag": args.get("tag", ""),
        "q": args.get("q", ""),
        "selected": selected,
        "fields": _fields(selected, args) if selected is not None else [],
        "sparql_text": sparql_text,
        "outcome": outcome,
        "reasoning_modes": REASONING_MODES,
        "reasoning": args.get("reasoning", ""),
        "default_reasoning": current_settings().default_reasoning,
        "saved": saved,
        "save_form": save_form,
        "save_error": save_error,
        "writes_enabled": current_settings().users.has_writers,
        "prefixes": current_graph().namespaces.prefixes(),
    }
    return render_template("query.html", **context), status
