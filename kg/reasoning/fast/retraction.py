"""Incremental deletion: retract asserted facts and exactly the inferred facts that lose every derivation.

A variant of DRed (Gupta, Mumick, Subrahmanian 1993) that overdeletes along
the recorded derivations (:attr:`Engine.why`) instead of along every rule
instance, then rederives:

1. **Overdelete** the facts whose recorded derivation, followed back, uses a
   deleted fact.  They are found with the engine's own rules: each overdeleted
   fact is fired over the old closure (still indexed) and a conclusion is
   overdeleted if its recorded derivation has that fact as a premise.  Every
   other inferred fact keeps its record, whose premises were all known before
   it, so it still follows from the remaining asserted facts; no cycle of
   derivations can keep a fact alive, since records never form one.
2. **Forget** the overdeleted facts (index, known facts, records) and the
   inconsistencies that used one of them.
3. **Rederive**: every rule is safe and the subject of each conclusion occurs
   in some premise, so firing the rules once on the remaining facts that
   mention the subject of an overdeleted fact, joined with the remaining
   facts, derives every overdeleted fact that still has a one-step
   derivation (only those can be derived: the rest of the old closure is
   known).  The engine's loop then propagates from them as from an insertion,
   recording a fresh derivation for each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kg.reasoning.fast.engine import EMPTY, Engine, Inconsistency
from kg.reasoning.fast.terms import Fact


@dataclass
class Retraction:
    """What retracting some asserted facts did."""

    deleted: list[Fact]
    """The facts that were asserted and no longer are."""
    overdeleted: set[Fact] = field(default_factory=set)
    """The deleted facts and every fact whose recorded derivation used one (all forgotten, then some rederived)."""
    rederived: list[Fact] = field(default_factory=list)
    """The overdeleted facts that still follow from what remains, in the order they were derived again."""

    @property
    def lost(self) -> list[Fact]:
        """The overdeleted facts that are no longer entailed."""
        back = set(self.rederived)
        return [f for f in self.overdeleted if f not in back]


class _Candidates:
    """Stands in for :meth:`Engine.derive` while overdeleting: keeps conclusions recorded as following from ``current``.

    The equality rules (``prp-fp``, ``prp-ifp``, ``prp-key``) conclude ``x owl:sameAs y``
    from whichever premise comes last and leave ``y owl:sameAs x`` to ``eq-sym``,
    so the converse of an ``owl:sameAs`` conclusion is a candidate too.  Rules
    that read an RDF list record the axiom pointing at it, not its cells, so a
    cell stands for the facts that point at its list (:func:`_standing_for`).
    """

    def __init__(self, engine: Engine, deleted: list[Fact]) -> None:
        self.why = engine.why
        self.same_as = engine.v.same_as
        self.gone: set[Fact] = set(deleted)
        self.todo: list[Fact] = list(deleted)
        self.current: Fact = deleted[0]
        self.standing_for: tuple[Fact, ...] = (self.current,)

    def __call__(self, head: Fact, rule: str, premises: tuple[Fact, ...]) -> None:
        self._consider(head)
        if head[1] == self.same_as:
            self._consider((head[2], head[1], head[0]))

    def _consider(self, head: Fact) -> None:
        if head not in self.gone:
            record = self.why.get(head)
            if record is not None and any(f in record for f in self.standing_for):  # record: rule, then premises
                self.gone.add(head)
                self.todo.append(head)


def retract(engine: Engine, facts: Iterable[Fact]) -> Retraction:
    """Stop asserting ``facts`` and bring the closure, its records and inconsistencies up to date."""
    deleted = [f for f in dict.fromkeys(facts) if f in engine.asserted]
    result = Retraction(deleted)
    if not deleted:
        return result
    result.overdeleted = _overdelete(engine, deleted)
    _forget(engine, result.overdeleted)
    result.rederived = _rederive(engine, result.overdeleted)
    return result


def _overdelete(engine: Engine, deleted: list[Fact]) -> set[Fact]:
    """The deleted facts and the facts whose recorded derivation depends on one, over the old closure."""
    candidates = _Candidates(engine, deleted)
    engine.derive = candidates  # type: ignore[method-assign]
    engine.inconsistent = _ignore  # type: ignore[method-assign]
    engine.head_guard = EMPTY
    try:
        while candidates.todo:
            candidates.current = candidates.todo.pop()
            candidates.standing_for = _standing_for(engine, candidates.current)
            engine.process(candidates.current)
    finally:
        del engine.derive, engine.inconsistent
        engine.head_guard = engine.known
    return candidates.gone


def _standing_for(engine: Engine, fact: Fact) -> tuple[Fact, ...]:
    """``fact``, and if it is a cell of RDF lists (``rdf:first``, ``rdf:rest``) the facts pointing at those lists."""
    if fact[1] != engine.v.first and fact[1] != engine.v.rest:
        return (fact,)
    heads = engine.list_heads(fact[0])
    return (fact, *((s, p, head) for head in heads for p, by_object in engine.po.items() for s in by_object.get(head, EMPTY)))


def _ignore(rule: str, message: str, premises: tuple[Fact, ...]) -> None:
    """Stands in for :meth:`Engine.inconsistent` while overdeleting (nothing is found, only followed)."""


def _forget(engine: Engine, gone: set[Fact]) -> None:
    """Take ``gone`` out of the index, the known facts, the records and the inconsistencies' premises."""
    known, why = engine.known, engine.why
    known.difference_update(gone)
    for fact in gone:
        why.pop(fact, None)
        engine.schema_facts.pop(fact, None)
        engine.unindex(fact)
    if any(engine.is_schema(f) for f in gone):
        engine._schema_changed()
    kept: list[Inconsistency] = [i for i in engine.inconsistencies if all(p in known for p in i.premises)]
    if len(kept) != len(engine.inconsistencies):
        engine.inconsistencies[:] = kept
        engine._inconsistency_keys.intersection_update((i.rule, i.premises) for i in kept)


def _rederive(engine: Engine, gone: set[Fact]) -> list[Fact]:
    """Derive again the facts of ``gone`` that follow from the remaining ones, and what follows from those.

    The facts about one subject are fired until every gone fact with that subject
    is known again (what they derive is propagated at once), so a well-connected
    term (a literal, a property, a department) costs little when what it lost
    still follows.
    """
    engine._fresh = []
    for fact in gone:  # an axiom asserted, then deleted: it still follows from nothing
        if fact in engine.axioms:
            engine.derive(fact, engine.axioms[fact], ())
    by_subject: dict[int, set[Fact]] = {}
    for fact in gone:
        by_subject.setdefault(fact[0], set()).add(fact)
    fired: set[Fact] = set()
    fresh, known = engine._fresh, engine.known
    for subject, lost in by_subject.items():
        pending = {f for f in lost if f not in known}
        for fact in list(_mentioning(engine, subject)) if pending else ():
            if fact not in fired:
                fired.add(fact)
                seen = len(fresh)
                engine.process(fact)
                if len(fresh) > seen:
                    engine._run()
                    pending = {f for f in pending if f not in known}
                    if not pending:
                        break
    engine._run()
    fresh, engine._fresh = engine._fresh, []
    return fresh


def _mentioning(engine: Engine, term: int) -> Iterator[Fact]:
    """The indexed facts with ``term`` as subject, predicate or object."""
    for p, by_subject in engine.sp.items():
        for o in by_subject.get(term, EMPTY):
            yield term, p, o
    for p, by_object in engine.po.items():
        for s in by_object.get(term, EMPTY):
            yield s, p, term
    for s, objects in engine.sp.get(term, {}).items():
        for o in objects:
            yield s, term, o
