"""Evaluating queries under the endpoint's limits: in the calling thread, or in a pool of worker processes.

Both evaluators take a :class:`QueryJob` and return an :class:`Outcome` (status,
serialized bytes, rows).  The server uses :class:`~kg.evaluation.pool.WorkerPool`
(time limit enforced by killing the worker); the CLI and tests may use
:class:`InProcessEvaluator`, which cannot stop a query that runs too long.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Protocol

from kg.evaluation.job import Outcome, QueryJob, Solution, run_job, select_rows
from kg.dataset import KnowledgeGraph, StoreDelta
from kg.settings import Settings


class Evaluator(Protocol):
    """Anything that answers query jobs."""

    def evaluate(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> Outcome:
        """Answer ``job`` (never raises for a bad query: the outcome says what went wrong).

        ``uncommitted``: changes of a transaction in progress on the graph (an update's earlier operations) that
        the answer must see; the graph keeps them to itself until they are committed.
        """
        ...

    async def evaluate_async(self, job: QueryJob) -> Outcome:
        """:meth:`evaluate` ``job`` (committed data only) without blocking the running event loop."""
        ...

    def solutions(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> list[Solution]:
        """The rows of the SELECT ``job`` (an update's WHERE pattern); a ``QueryError`` with its status if refused,
        :class:`~kg.evaluation.job.TooManySolutions` past the row cap."""
        ...

    def close(self) -> None:
        """Release what the evaluator holds."""
        ...


class InProcessEvaluator:
    """Evaluation in the calling thread with the row cap; no time limit (pyoxigraph cannot cancel a query)."""

    def __init__(self, graph: KnowledgeGraph, settings: Settings) -> None:
        self._graph = graph
        self._settings = settings

    def evaluate(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> Outcome:
        """Answer ``job`` now, in this thread, on the graph itself (which holds the ``uncommitted`` changes already)."""
        return run_job(self._graph, job, self._settings.max_result_rows)

    async def evaluate_async(self, job: QueryJob) -> Outcome:
        """Answer ``job`` in a thread of the loop's default executor."""
        return await asyncio.get_running_loop().run_in_executor(None, self.evaluate, job)

    def solutions(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> list[Solution]:
        """The rows of ``job`` from the engine, in this thread (no serialization: one process)."""
        return select_rows(self._graph, job, self._settings.max_result_rows)

    def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class WithLimits:
    """An evaluator giving every job a caller's limits (``None``: the evaluator's own), unless the job sets its own."""

    evaluator: Evaluator
    time_limit: float | None
    row_cap: int | None

    def evaluate(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> Outcome:
        """Answer ``job`` with the evaluator, under these limits."""
        return self.evaluator.evaluate(self._limited(job), uncommitted)

    async def evaluate_async(self, job: QueryJob) -> Outcome:
        """Answer ``job`` with the evaluator, under these limits, without blocking the running event loop."""
        return await self.evaluator.evaluate_async(self._limited(job))

    def solutions(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> list[Solution]:
        """The rows of ``job`` from the evaluator, under these limits."""
        return self.evaluator.solutions(self._limited(job), uncommitted)

    def _limited(self, job: QueryJob) -> QueryJob:
        if (self.time_limit is None or job.time_limit is not None) and (self.row_cap is None or job.max_rows is not None):
            return job  # nothing to change (the anonymous role, by default): replace() costs more than the check
        return replace(job, time_limit=self.time_limit if job.time_limit is None else job.time_limit,
                       max_rows=self.row_cap if job.max_rows is None else job.max_rows)

    def close(self) -> None:
        """Nothing of its own to release (the evaluator it wraps is closed by its owner)."""


__all__ = ["Evaluator", "InProcessEvaluator", "Outcome", "QueryJob", "WithLimits"]
