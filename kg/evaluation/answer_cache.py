"""Answers kept while the data they came from stays the same: a query sent again is answered without a worker.

Clients send the same light queries again and again (a page's lookups, a
crawler's, a dashboard's); answering one costs a worker a trip through a pipe
and the engine, where the answer is already known.  :class:`AnswerCache` keeps
the answers (200s only) of the jobs it passes to its evaluator, keyed on the
whole job (text, dataset, entailment, formats, the caller's time limit and row
cap), with the generation of the graph read before evaluating; it gives one
again only while the graph is at that generation, so once a change is committed
(before its update is answered 2xx) no kept answer is given any more.

An answer is kept from the second time its job is evaluated: one asked once
(most texts of a client that writes its queries, every text of a benchmark of
unique queries) would only push out answers that are asked again, and keeping
it cost the server's process about 8 us per request under load (8% of the
throughput with unique texts).  The last :data:`SEEN_JOBS` jobs evaluated are remembered by their
hash: a collision only keeps an answer one request early.

Never kept: an answer that saw uncommitted changes (an update's own queries),
and the answer of a query that may answer differently on the same data: one
naming ``NOW``, ``RAND``, ``UUID``, ``STRUUID``, ``BNODE`` or ``SERVICE``, or
writing blank nodes of its own (``_:`` or ``[``).  These are found by their
names anywhere in the text, so a false alarm only costs a miss.  At most
:data:`MAX_BYTES` of answers are kept, counting their query texts too, the least recently given dropped first.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, deque

from kg.dataset import KnowledgeGraph, StoreDelta
from kg.evaluation.job import Outcome, QueryJob, Solution
from kg.evaluation import Evaluator

#: Bytes of answers kept in all (their bodies, query texts and dataset IRIs, and :data:`ENTRY_BYTES` each); an
#: answer taking more than a sixteenth of it is never kept.
MAX_BYTES = 32 * 1024 * 1024
#: What one kept answer is counted for beyond its bodies and texts (the objects that hold them).
ENTRY_BYTES = 512
#: Jobs remembered as evaluated once (their hashes), so that an answer is kept when its job comes again.
SEEN_JOBS = 8192
#: What makes a query's answer change without its data changing.
VOLATILE = re.compile(r"\b(?:NOW|RAND|UUID|STRUUID|BNODE|SERVICE)\b|_:|\[", re.IGNORECASE)
_VOLATILE_NAMES = ("NOW", "RAND", "UUID", "BNODE", "SERVICE")  # STRUUID holds UUID


def volatile(text: str) -> bool:
    """True if ``text`` may answer differently on the same data (:data:`VOLATILE` matches it).

    Substring checks first: the case-insensitive expression costs about 10 us on a light query's text."""
    if "[" in text or "_:" in text:
        return True
    upper = text.upper()
    return any(name in upper for name in _VOLATILE_NAMES) and VOLATILE.search(text) is not None


class AnswerCache:
    """An evaluator that answers again, from memory, a job ``evaluator`` answered at the ``graph``'s generation."""

    def __init__(self, evaluator: Evaluator, graph: KnowledgeGraph, max_bytes: int = MAX_BYTES) -> None:
        self._evaluator = evaluator
        self._graph = graph
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._generation = graph.generation
        self._answers: OrderedDict[QueryJob, Outcome] = OrderedDict()
        self._bytes = 0
        self._seen: set[int] = set()  # hashes of the last SEEN_JOBS jobs evaluated, oldest first in _seen_order
        self._seen_order: deque[int] = deque()

    def evaluate(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> Outcome:
        """The kept answer of ``job`` if the graph has not changed since it was evaluated, else the evaluator's."""
        if uncommitted is not None or volatile(job.text):
            return self._evaluator.evaluate(job, uncommitted)
        generation = self._graph.generation  # read first: the answer reflects this generation or a later one
        kept = self._kept(job, generation)
        if kept is not None:
            return kept
        outcome = self._evaluator.evaluate(job)
        self._keep(job, outcome, generation)
        return outcome

    async def evaluate_async(self, job: QueryJob) -> Outcome:
        """:meth:`evaluate` ``job`` without blocking the running event loop."""
        if volatile(job.text):
            return await self._evaluator.evaluate_async(job)
        generation = self._graph.generation
        kept = self._kept(job, generation)
        if kept is not None:
            return kept
        outcome = await self._evaluator.evaluate_async(job)
        self._keep(job, outcome, generation)
        return outcome

    def solutions(self, job: QueryJob, uncommitted: StoreDelta | None = None) -> list[Solution]:
        """The rows of ``job`` from the evaluator (an update's WHERE pattern: never kept)."""
        return self._evaluator.solutions(job, uncommitted)

    def close(self) -> None:
        """Close the evaluator and forget every answer."""
        with self._lock:
            self._answers.clear()
            self._bytes = 0
        self._evaluator.close()

    def _kept(self, job: QueryJob, generation: int) -> Outcome | None:
        """The answer kept for ``job``, if the graph is still at the ``generation`` it was evaluated at."""
        with self._lock:
            kept = self._answers.get(job) if generation == self._generation else None
            if kept is not None:
                self._answers.move_to_end(job)
            return kept

    def _keep(self, job: QueryJob, outcome: Outcome, generation: int) -> None:
        """Keep ``outcome`` (a success, small enough) as the answer of ``job`` at ``generation``, if ``job`` was
        evaluated before."""
        if not outcome.ok:
            return
        with self._lock:
            if not self._seen_before(hash(job)) or _size(job, outcome) > self._max_bytes // 16:
                return
            if generation < self._generation:  # the graph changed meanwhile: newer answers are kept already
                return
            if generation > self._generation:  # the first answer of a new generation: the kept ones are stale
                self._answers.clear()
                self._bytes = 0
                self._generation = generation
            previous = self._answers.pop(job, None)
            if previous is not None:
                self._bytes -= _size(job, previous)
            self._answers[job] = outcome
            self._bytes += _size(job, outcome)
            while self._bytes > self._max_bytes:
                dropped_job, dropped = self._answers.popitem(last=False)
                self._bytes -= _size(dropped_job, dropped)

    def _seen_before(self, key: int) -> bool:
        """True if a job of hash ``key`` is among the last :data:`SEEN_JOBS` evaluated; else remember it (lock held)."""
        if key in self._seen:
            return True
        self._seen.add(key)
        self._seen_order.append(key)
        if len(self._seen_order) > SEEN_JOBS:
            self._seen.discard(self._seen_order.popleft())
        return False


def _size(job: QueryJob, outcome: Outcome) -> int:
    """What keeping ``outcome`` for ``job`` is counted for: a flood of long queries with short answers is bounded too."""
    return (ENTRY_BYTES + len(outcome.body) + len(job.text) + sum(map(len, job.default_graph_uris))
            + sum(map(len, job.named_graph_uris)))
