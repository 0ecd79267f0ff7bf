"""Running a canned query: bind its parameters, pick its entailment, and hand it to an evaluator with limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kg.canned.binding import bind_parameters, sample_bindings
from kg.canned.checks import explain_engine_error
from kg.canned.errors import InvalidQuery, ParameterError
from kg.canned.grlc import paged
from kg.canned.model import CannedQuery
from kg.evaluation import Evaluator, Outcome, QueryJob
from kg.dataset import KnowledgeGraph
from kg.sparql.entailment import parse_reasoning

MAX_PAGE = 1_000_000


def run_mode(query: CannedQuery, graph: KnowledgeGraph, reasoning: str | None = None) -> str:
    """The entailment of a run: the one asked for, else the query's own, else the server's default.

    Raises :class:`~kg.sparql.entailment.UnknownReasoning` for a mode that does not exist.
    """
    return parse_reasoning(reasoning or query.reasoning) or graph.settings.default_reasoning


def query_job(
    query: CannedQuery,
    given: Mapping[str, Sequence[str]],
    graph: KnowledgeGraph,
    *,
    reasoning: str | None = None,
    solutions_format: str | None = "json",
    graph_format: str | None = "turtle",
) -> QueryJob:
    """The job that runs ``query`` with request values ``given`` (checked and bound, never pasted into the text).

    Raises ``ParameterError`` for a bad value and ``UnknownReasoning`` for an unknown reasoning mode.
    """
    mode = run_mode(query, graph, reasoning)
    bindings = bind_parameters(query, given, graph)
    page = page_of(query, given)
    text = paged(query.sparql, query.pagination, page) if query.pagination and page else query.sparql
    return QueryJob.of(text, mode, bindings, solutions_format=solutions_format, graph_format=graph_format)


def page_of(query: CannedQuery, given: Mapping[str, Sequence[str]]) -> int | None:
    """The page a run of a paged query asks for with ``page=`` (1 if none); ``None`` for a query that is not paged."""
    values = [v for v in given.get("page", ()) if v != ""]
    if not query.pagination:
        if values:
            raise ParameterError("page", f"the query '{query.name}' is not paged: it takes no 'page' parameter")
        return None
    if len(values) > 1:
        raise ParameterError("page", f"'page' was given {len(values)} values; give one")
    text = values[0].strip() if values else "1"
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        shown = values[0][:80] if values else ""
        raise ParameterError("page", f"'page' is a page number from 1 to {MAX_PAGE:,}, not {shown!r}")
    return int(text)


def trial_run(query: CannedQuery, graph: KnowledgeGraph, evaluator: Evaluator) -> Outcome:
    """Run ``query`` once, every parameter bound (defaults, else sample values), under the evaluator's limits.

    Used before a query is saved, so that what lands in the catalogue parses,
    binds its parameters and runs; ``InvalidQuery`` says why it does not.
    """
    job = QueryJob.of(query.sparql, run_mode(query, graph), sample_bindings(query, graph),
                      solutions_format="json", graph_format="nt")
    outcome = evaluator.evaluate(job)
    if outcome.ok:
        return outcome
    message = explain_engine_error(query, outcome.message or "the query could not be answered")
    if outcome.line is None and message == outcome.message:
        message = f"the query fails when run with its defaults: {message}"
    raise InvalidQuery(message, outcome.line, outcome.column)
