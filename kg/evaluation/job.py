"""One query to evaluate and what came of it: the unit of work of every evaluator.

A :class:`QueryJob` says everything needed to answer a query (text, dataset,
entailment, bindings, the acceptable formats, the time limit and the row cap) in plain,
picklable values, so that it can cross a pipe to a worker process.
:func:`run_job` is the one evaluation routine, used in-process and in workers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib.term import Node

from kg.dataset import KnowledgeGraph
from kg.sparql.engine_writers import write_natively, writes_natively
from kg.sparql.errors import QueryError
from kg.sparql.formats import GRAPH, SOLUTIONS, answer_kind, format_named, serialize_capped
from kg.sparql.results import QueryAnswer
from kg.store import StoreError, StoreTimeout

OK = 200
BAD_QUERY = 400
NOT_ACCEPTABLE = 406
INTERNAL = 500
UNAVAILABLE = 503


@dataclass(frozen=True)
class QueryJob:
    """A query to answer, with the format wanted for each kind of answer (``None``: that kind is not acceptable)."""

    text: str
    reasoning: str | None = None
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    bindings: tuple[tuple[str, Node], ...] = ()
    solutions_format: str | None = "json"
    """Short name (see :mod:`kg.sparql.formats`) for SELECT and ASK answers."""
    graph_format: str | None = "turtle"
    """Short name for CONSTRUCT and DESCRIBE answers."""
    max_rows: int | None = None
    """Row (or triple) cap, the caller's role's; ``None`` means the evaluator's ``KG_MAX_RESULT_ROWS``."""
    time_limit: float | None = None
    """Seconds the query may run, the caller's role's; ``None`` means the evaluator's ``KG_QUERY_TIMEOUT``."""

    @classmethod
    def of(cls, text: str, reasoning: str | None = None, bindings: Mapping[str, Node] | None = None, **kwargs: object) -> QueryJob:
        """A job from the same arguments as :meth:`KnowledgeGraph.query` (bindings as a mapping)."""
        return cls(text, reasoning, bindings=tuple((bindings or {}).items()), **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Outcome:
    """What evaluating a job gave: an HTTP-like status, the body in ``format`` and the rows written."""

    status: int
    body: bytes = b""
    format: str | None = None
    rows: int | None = None
    truncated: bool = False
    kind: str | None = None
    """``solutions`` or ``graph`` once known (a 406 says which kind found no acceptable format)."""
    message: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def ok(self) -> bool:
        """True for an answer (status 200)."""
        return self.status == OK


def run_job(graph: KnowledgeGraph, job: QueryJob, max_rows: int, checked: bool = False) -> Outcome:
    """Evaluate ``job`` on ``graph`` and serialize its answer, cut to ``job.max_rows``, else ``max_rows``.

    ``checked``: the job's text was checked against the endpoint's limits before it was sent (a worker's jobs)."""
    cap = max_rows if job.max_rows is None else job.max_rows
    try:
        answer = _evaluate(graph, job, checked)
        kind = answer_kind(answer)
        name = job.solutions_format if kind == SOLUTIONS else job.graph_format
        if name is None:
            return Outcome(NOT_ACCEPTABLE, kind=kind)
        fmt = format_named(name)
        written = None
        if not isinstance(answer, ox.QueryBoolean) and writes_natively(fmt):
            written = write_natively(answer, fmt, cap)
            if written is None:  # the engine's writer gave up (past the cap, or too big): ours read at most the cap
                answer = _evaluate(graph, job, checked=True)
        if written is None:
            written = serialize_capped(answer, fmt, cap, graph.namespaces.prefixes())
    except QueryError as error:
        return Outcome(error.status, message=error.message, line=error.line, column=error.column)
    except StoreTimeout as error:
        return Outcome(UNAVAILABLE, message=f"the query ran past the {error.seconds:g} s time limit (KG_QUERY_TIMEOUT) "
                       "and was abandoned on the SPARQL server")
    except StoreError as error:  # a remote store down or failing: 502/503, the request itself was fine
        return Outcome(error.status, message=error.message)
    except (OSError, RuntimeError) as error:
        # The engine reports evaluation failures (e.g. an unreachable SERVICE) as these.
        return Outcome(BAD_QUERY, message=f"the query could not be evaluated: {error}")
    return Outcome(OK, written.body, name, written.rows, written.truncated, kind)


def _evaluate(graph: KnowledgeGraph, job: QueryJob, checked: bool) -> QueryAnswer:
    return graph.query(job.text, job.reasoning, default_graph_uris=job.default_graph_uris,
                       named_graph_uris=job.named_graph_uris, bindings=dict(job.bindings) if job.bindings else None,
                       checked=checked)


Solution = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]
"""One row of a SELECT answer: variable name -> bound term (unbound variables absent)."""


class TooManySolutions(QueryError):
    """A SELECT job whose rows pass the row cap (when the caller needs them all, not a truncated answer)."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"more than {cap:,} solutions (KG_MAX_RESULT_ROWS)")
        self.cap = cap


def select_rows(graph: KnowledgeGraph, job: QueryJob, max_rows: int) -> list[Solution]:
    """The rows of the SELECT ``job``, straight from the engine (in-process: no serialization); errors raised.

    Cut at ``job.max_rows``, else ``max_rows`` (as :func:`run_job`)."""
    cap = max_rows if job.max_rows is None else job.max_rows
    answer = _evaluate(graph, job, checked=False)
    if not isinstance(answer, ox.QuerySolutions):
        raise QueryError("a SELECT query was expected")
    return _rows(answer, cap)


def solutions_of(outcome: Outcome) -> list[Solution]:
    """The rows of a SELECT job's ``outcome`` written as SPARQL JSON (a worker's answer); errors raised."""
    if not outcome.ok:
        error = QueryError(outcome.message or "the query could not be answered", outcome.line, outcome.column)
        error.status = outcome.status
        raise error
    if outcome.truncated:
        raise TooManySolutions(outcome.rows or 0)
    answer = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
    if not isinstance(answer, ox.QuerySolutions):
        raise QueryError("a SELECT query was expected")
    return _rows(answer, None)


def _rows(answer: ox.QuerySolutions, cap: int | None) -> list[Solution]:
    names = [variable.value for variable in answer.variables]
    rows: list[Solution] = []
    for row in answer:
        if cap is not None and len(rows) == cap:
            raise TooManySolutions(cap)
        rows.append({name: value for name, value in zip(names, row) if value is not None})
    return rows


__all__ = ["GRAPH", "SOLUTIONS", "Outcome", "QueryJob", "Solution", "TooManySolutions", "run_job", "select_rows",
           "solutions_of"]
