"""Closure orchestration: which modes' closure graphs are current, computing them, growing them from a delta.

The engine is asked what it can do (:attr:`kg.reasoning.Engine.keeps_closure`):
one that keeps its closure is given the asserted triples once and then grows
the closure from inserted triples and shrinks it from deleted ones; another
recomputes from the asserted graph.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg import reasoning
from kg.dataset.closure_checkpoints import ClosureCheckpoints, SavedClosure
from kg.dataset.layout import DatasetLayout
from kg.reasoning.closure import Closure
from kg.reasoning.fast.terms import Fact
from kg.store import Store

Progress = Callable[[str], None]


def quiet(_message: str) -> None:
    """A :data:`Progress` that says nothing."""
logger = logging.getLogger("kg.reasoning")


@dataclass(frozen=True)
class ReasoningReport:
    """What computing one closure did."""

    mode: str
    asserted: int
    inferred: int
    seconds: float
    inconsistencies: tuple[str, ...] = ()
    """What the engine found contradicting the ontology (engines that keep a closure), one line each."""


class Closures:
    """The closure graphs of one dataset: which are current, and the engine's kept closures."""

    def __init__(self, store: Store, layout: DatasetLayout, engine: str,
                 checkpoints: ClosureCheckpoints | None = None, axiomatic: bool = False) -> None:
        self._store = store
        self._layout = layout
        self.engine = reasoning.engine_named(engine)
        self._axiomatic = axiomatic
        self._current: set[str] = set()
        self._kept: dict[str, Closure] = {}
        self._checkpoints = checkpoints if self.engine.keeps_closure else None
        self._unsaved: set[str] = set()
        """Kept closures changed since their file was written."""

    @property
    def current(self) -> frozenset[str]:
        """The modes whose closure graph is up to date."""
        return frozenset(self._current)

    def is_current(self, mode: str) -> bool:
        """True if ``mode`` needs no closure (``none``) or its closure graph is up to date."""
        return mode == "none" or mode in self._current

    def trust(self, modes: Iterable[str]) -> None:
        """Take the stored closure graphs of ``modes`` as up to date (a persistent store recorded them so)."""
        self._current.update(modes)

    def invalidate(self) -> None:
        """The asserted data changed outside a transaction (a load): every closure must be computed again."""
        self._current.clear()
        self._kept.clear()
        self._unsaved.clear()
        if self._checkpoints is not None:
            self._checkpoints.discard()

    def invalidate_kept(self) -> None:
        """The closure graphs were changed from outside (a replayed delta): kept closures no longer match them."""
        self._kept.clear()

    def begin_change(self) -> list[str]:
        """A transaction is committing: every closure graph is stale until grown or recomputed.

        Kept closures of current modes stay, to be brought along with the change; the
        others (kept for explanations only) would not be, so they go.  Returns the
        modes that were current.
        """
        stale = sorted(self._current)
        self._kept = {mode: closure for mode, closure in self._kept.items() if mode in self._current}
        self._current.clear()
        return stale

    def compute(self, mode: str, progress: Progress, share: Callable[[str], None] | None = None) -> ReasoningReport:
        """Compute ``mode``'s closure from the asserted graph and store what it adds in its closure graph.

        ``share`` (engines that keep a closure) is given the N-Triples of what it adds before they are stored, so
        that replicas can take them meanwhile.
        """
        reasoning.check_mode(mode)
        progress(f"reasoning ({mode}, engine {self.engine.name}) ...")
        started = time.perf_counter()
        target = self._layout.closure(mode)
        problems: tuple[str, ...] = ()
        if self.engine.keeps_closure:
            closure = self._closure_of_asserted(mode)
            additions = closure.additions()
            self._store.replace_graph(target, ())
            text = closure.ntriples(additions)
            if share is not None:
                share(text)
            self._store.add_ntriples(target, text)
            self._kept[mode] = closure
            self._unsaved.add(mode)  # saved between changes (save_kept): a change in progress may yet be undone
            asserted, inferred = closure.asserted_count, len(additions)
            problems = tuple(closure.describe(i) for i in closure.engine.inconsistencies)
        else:
            triples = set(self._store.triples(self._layout.asserted))
            entailed = reasoning.infer(triples, mode, self.engine.name, self._axiomatic)
            self._store.replace_graph(target, entailed)
            asserted, inferred = len(triples), len(entailed)
        self._current.add(mode)
        report = ReasoningReport(mode, asserted, inferred, time.perf_counter() - started, problems)
        progress(f"reasoned ({mode}): {report.inferred:,} inferred from {report.asserted:,} asserted in {report.seconds:.2f} s")
        for problem in problems:
            progress(f"inconsistent ({mode}): {problem}")
        return report

    def is_kept(self, mode: str) -> bool:
        """True if ``mode``'s closure is kept (with its derivations and inconsistencies)."""
        return mode in self._kept

    def kept(self, mode: str) -> Closure:
        """``mode``'s closure with its derivations (read back from its file, or else computed from the asserted
        graph, if not kept)."""
        reasoning.check_mode(mode)
        if mode not in self._kept:
            self._kept[mode] = self._restored(mode) or self._closure_of_asserted(mode)
        return self._kept[mode]

    def restore_kept(self) -> None:
        """Read back the kept closures of the current modes from their files, where there are any (before a change:
        the files and the change log describe the store as it is between changes)."""
        for mode in self._current - self._kept.keys():
            closure = self._restored(mode)
            if closure is not None:
                self._kept[mode] = closure

    def unrestored(self) -> list[str]:
        """The current modes whose kept closure may be read back from a file (none is kept yet)."""
        return sorted(self._current - self._kept.keys()) if self._checkpoints is not None else []

    def read_saved(self, mode: str) -> SavedClosure | None:
        """``mode``'s file as last written, read without touching the store (so without the dataset's lock)."""
        return self._checkpoints.read(mode, logger.info) if self._checkpoints is not None else None

    def adopt(self, mode: str, saved: SavedClosure) -> None:
        """Keep ``saved``, brought up to date from the change log, as ``mode``'s closure, unless the dataset moved
        on meanwhile (``mode`` no longer current, or a closure kept already); call between changes."""
        if self._checkpoints is None or mode not in self._current or mode in self._kept:
            return
        closure = self._checkpoints.bring_up_to_date(saved, logger.info)
        if closure is not None:
            self._kept[mode] = closure

    def save_kept(self, progress: Progress = logger.info) -> None:
        """Write the files of the kept closures changed since they were last written; call it between changes
        only (after a closure is computed, or when the dataset closes), when the store holds committed changes alone."""
        if self._checkpoints is None:
            return
        for mode in sorted(self._unsaved & self._current & self._kept.keys()):
            self._checkpoints.save(mode, self._kept[mode], progress)
        self._unsaved.clear()

    def _restored(self, mode: str) -> Closure | None:
        """``mode``'s closure from its file and the change log, if its closure graph is current and the file usable."""
        if self._checkpoints is None or mode not in self._current:
            return None
        return self._checkpoints.restore(mode, logger.info)

    def grow(self, mode: str, triples: Sequence[ox.Triple]) -> tuple[list[ox.Triple], list[ox.Triple]] | None:
        """Extend ``mode``'s kept closure from newly asserted ``triples`` (semi-naive, from the delta).

        Returns the triples taken out of and put into the closure graph, or ``None``
        when no closure is kept for ``mode`` (then it must be computed again).
        """
        return self._maintain(mode, lambda closure: closure.grow(triples))

    def shrink(self, mode: str, triples: Sequence[ox.Triple]) -> tuple[list[ox.Triple], list[ox.Triple]] | None:
        """Retract no longer asserted ``triples`` from ``mode``'s kept closure (incrementally, see
        :mod:`kg.reasoning.fast.retraction`); returns as :meth:`grow` does."""
        return self._maintain(mode, lambda closure: closure.shrink(triples))

    def _maintain(
        self, mode: str, step: Callable[[Closure], tuple[list[Fact], list[Fact]]]
    ) -> tuple[list[ox.Triple], list[ox.Triple]] | None:
        """Run ``step`` on ``mode``'s kept closure and write what it took out of and put into the closure graph."""
        closure = self._kept.get(mode)
        if closure is None or not self.engine.keeps_closure:
            return None
        taken_out, put_in = step(closure)
        self._unsaved.add(mode)
        target = self._layout.closure(mode)
        gone = list(closure.engine.terms.triples(taken_out))
        self._store.remove(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(target)) for t in gone)
        self._store.add_ntriples(target, closure.ntriples(put_in))
        self._current.add(mode)
        return gone, list(closure.engine.terms.triples(put_in))

    def _closure_of_asserted(self, mode: str) -> Closure:
        """A new closure of the asserted graph (crossing as N-Triples text, never a Python object per triple)."""
        return Closure.of_ntriples(mode, self._store.dump_ntriples(self._layout.asserted), self._axiomatic)
