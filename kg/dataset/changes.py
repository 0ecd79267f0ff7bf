"""Changes of the asserted data: the steps of one transaction, their exact net delta, the closures brought along.

Every step is recorded exactly (only quads that were present are removed, only
absent ones added), so that it can be undone, and replayed elsewhere as a
:class:`StoreDelta` (the worker replicas do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.dataset.closures import Closures, quiet
from kg.dataset.layout import DatasetLayout
from kg.dataset.source_graphs import source_graphs
from kg.namespaces import ProjectNamespaces
from kg.sparql.errors import QueryError
from kg.store import Store


@dataclass(frozen=True)
class StoreDelta:
    """An exact change of the store, closures included: ``removed`` quads go, then ``added`` quads come.

    ``generation`` is the dataset's generation once the change is applied; replicas replay deltas in order.
    """

    removed: tuple[ox.Quad, ...]
    added: tuple[ox.Quad, ...]
    generation: int


class GraphChange:
    """The steps of one transaction on the asserted data (see :meth:`KnowledgeGraph.changing`)."""

    def __init__(
        self, store: Store, layout: DatasetLayout, namespaces: ProjectNamespaces, generation: int,
        on_step: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._layout = layout
        self._namespaces = namespaces
        self._on_step = on_step
        """Called after each step (graphs may have appeared or gone: the next step's WHERE must see them)."""
        self._generation = generation
        self._steps: list[tuple[list[ox.Quad], list[ox.Quad]]] = []
        self.delta = StoreDelta((), (), generation)
        """The committed change, closures included (set once the transaction commits)."""

    @property
    def has_steps(self) -> bool:
        """True if any step was applied (even one that changed nothing)."""
        return bool(self._steps)

    def apply(self, inserted: Iterable[ox.Quad], deleted: Iterable[ox.Quad]) -> None:
        """Delete ``deleted`` then insert ``inserted`` (default graph = ``asserted``).

        A quad of a named graph changes that graph only, unless the graph is a source graph
        (:mod:`kg.dataset.source_graphs`): then ``asserted`` gains its triple, and loses it
        when no other source graph still holds it.
        """
        asserted = ox.NamedNode(self._layout.asserted)
        asserting = source_graphs(self._store, self._layout, self._namespaces)
        computed = self._layout.closure_graphs
        inserted, deleted = self._store.as_stored(inserted), self._store.as_stored(deleted)  # as the reasoner will see them
        for quad in (*inserted, *deleted):
            if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in computed:
                raise QueryError(f"the graph <{quad.graph_name.value}> is computed by the reasoner and cannot be changed")
        holders = _Holders(self._store)
        named_removals = {q for q in deleted if not _addresses(q, asserted) and holders.has(q)}
        removals = dict.fromkeys(named_removals)  # ordered, and a set for the membership test
        for quad in deleted:
            in_asserted = ox.Quad(quad.subject, quad.predicate, quad.object, asserted)
            if not holders.has(in_asserted) or in_asserted in removals:
                continue
            if _addresses(quad, asserted):
                removals[in_asserted] = None
                continue
            if quad.graph_name.value not in asserting:
                continue
            remaining = {g for g in holders.graphs(quad.triple) if g in asserting}
            if not {g for g in remaining if ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(g)) not in named_removals}:
                removals[in_asserted] = None
        removed = removals
        additions: dict[ox.Quad, None] = {}  # ordered, and a set for the membership test
        for quad in inserted:
            targets = {ox.Quad(*quad.triple, quad.graph_name)}
            if _addresses(quad, asserted) or quad.graph_name.value in asserting:
                targets.add(ox.Quad(quad.subject, quad.predicate, quad.object, asserted))
            for target in targets:
                absent = not holders.has(target) or target in removed  # once the removals are done
                if not isinstance(target.graph_name, ox.DefaultGraph) and absent:
                    additions[target] = None
        step = (list(removals), list(additions))
        self._store.apply(*step)  # one store transaction: a crash leaves all of this step or none
        self._steps.append(step)
        self._on_step()

    def pending(self) -> StoreDelta:
        """The net change of the steps so far, not committed yet (closures not included)."""
        removed, added = self.net()
        return StoreDelta(tuple(removed), tuple(added), self._generation)

    def net(self) -> tuple[dict[ox.Quad, None], dict[ox.Quad, None]]:
        """(quads removed, quads added) by all the steps together, in order."""
        removed: dict[ox.Quad, None] = {}
        added: dict[ox.Quad, None] = {}
        for removals, additions in self._steps:
            for quad in removals:
                if added.pop(quad, 0) == 0:
                    removed[quad] = None
            for quad in additions:
                if removed.pop(quad, 0) == 0:
                    added[quad] = None
        return removed, added

    def bring_closures(
        self, closures: Closures, stale: Sequence[str], removed: dict[ox.Quad, None], added: dict[ox.Quad, None]
    ) -> None:
        """Bring the ``stale`` closures up to date with the net change, adding the closure graphs' own changes.

        A kept closure retracts the removed asserted triples, then grows from the added
        ones (both incrementally); a closure that is not kept is recomputed.
        """
        asserted = self._layout.asserted
        old_asserted = [q.triple for q in removed if q.graph_name.value == asserted]
        new_asserted = [q.triple for q in added if q.graph_name.value == asserted]
        for mode in stale:
            name = ox.NamedNode(self._layout.closure(mode))
            shrunk = closures.shrink(mode, old_asserted) if old_asserted else ([], [])
            grown = closures.grow(mode, new_asserted) if shrunk is not None else None
            if shrunk is not None and grown is not None:
                taken_out, put_in = _net((*shrunk[0], *grown[0]), (*shrunk[1], *grown[1]))
                removed.update((ox.Quad(*t, name), None) for t in taken_out)
                added.update((ox.Quad(*t, name), None) for t in put_in)
                continue
            before = set(self._store.triples(name.value))
            closures.compute(mode, quiet)
            after = set(self._store.triples(name.value))
            removed.update((ox.Quad(*t, name), None) for t in before - after)
            added.update((ox.Quad(*t, name), None) for t in after - before)

    def undo(self) -> None:
        """Take back every step, newest first (closures are the caller's)."""
        for removals, additions in reversed(self._steps):
            self._store.apply(additions, removals)
        self._steps.clear()


def _net(taken_out: Iterable[ox.Triple], put_in: Iterable[ox.Triple]) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """The net change of a graph from ``taken_out`` and ``put_in`` applied in order (a triple taken out then put back is unchanged)."""
    gone: dict[ox.Triple, None] = {}
    came: dict[ox.Triple, None] = {}
    for triple in taken_out:
        gone[triple] = None
    for triple in put_in:
        if gone.pop(triple, 0) == 0:
            came[triple] = None
    return list(gone), list(came)


def _addresses(quad: ox.Quad, asserted: ox.NamedNode) -> bool:
    """True if ``quad`` is in the default graph or in ``asserted`` (the same thing for changes)."""
    return isinstance(quad.graph_name, ox.DefaultGraph) or quad.graph_name == asserted


class _Holders:
    """Which named graphs hold a triple, asked once per triple."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[ox.Triple, set[str]] = {}

    def graphs(self, triple: ox.Triple) -> set[str]:
        if triple not in self._cache:
            self._cache[triple] = set(self._store.graphs_containing(triple))
        return self._cache[triple]

    def has(self, quad: ox.Quad) -> bool:
        return isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in self.graphs(quad.triple)
