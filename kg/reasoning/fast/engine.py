"""Semi-naive forward chaining over integer-encoded triples, one fact at a time.

Every fact, asserted or derived, goes through a work queue exactly once.
When a fact is taken from the queue it is added to the index and each rule
that has a premise matching it is joined with the *indexed* facts only, so
a rule instance fires when the last of its premises is processed: each round
joins only new facts with old ones (semi-naive evaluation), and inserting a
few triples later resumes from exactly those triples (incremental insertion).

Schema facts (subclass, domain, restriction, list triples…) are processed
before instance facts, so the instance rules mostly look up an already closed
schema instead of re-deriving instance facts when a schema fact arrives late.

Each derived fact keeps the first derivation found for it: the rule's name and
its premises, which were all known before it, so following premises always
ends at asserted facts (see :mod:`kg.reasoning.explain`).  Deleting asserted
facts (:mod:`kg.reasoning.fast.retraction`) keeps that true: a fact whose
derivation used a deleted one is derived again from what remains, or goes.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from kg.reasoning.fast.terms import Fact, TermDictionary
from kg.reasoning.fast.vocabulary import Vocabulary

Derivation = tuple[str, tuple[Fact, ...]]
#: How the engine keeps a derivation: the rule's name followed by the premises, in one tuple (one object less
#: per inferred fact than a rule and a tuple of premises).
Record = tuple[str | Fact, ...]
EMPTY: frozenset[int] = frozenset()
#: The values of one index entry (the objects of a subject and predicate, or the subjects of an object and
#: predicate): a tuple while there are at most :data:`SMALL` of them, a set beyond.  Most entries hold one or a
#: few values, and a tuple of one costs 48 bytes where the smallest set costs 216 (half the reasoner's memory was
#: its index's small sets).  Read them as collections only: iterate, ``in``, ``len``.
Values = tuple[int, ...] | set[int] | frozenset[int]
SMALL = 16


def with_value(values: Values | None, value: int) -> Values:
    """``values`` with ``value`` (a set is grown in place; a tuple is replaced, by a set once past :data:`SMALL`)."""
    if values is None:
        return (value,)
    if values.__class__ is set:
        values.add(value)  # type: ignore[union-attr]
        return values
    if value in values:
        return values
    return values + (value,) if len(values) < SMALL else {*values, value}  # type: ignore[operator]


def without_value(values: Values, value: int) -> Values:
    """``values`` without ``value`` (a set shrinks in place; a tuple is replaced)."""
    if values.__class__ is set:
        values.discard(value)  # type: ignore[union-attr]
        return values
    return tuple(v for v in values if v != value)


class AssertedFacts(AbstractSet[Fact]):
    """The asserted facts, as a read-only set: the known facts without a derivation record.

    Every fact the engine knows is either asserted or derived, and only derived ones have a record, so the
    asserted ones need no set of their own (a set entry per asserted fact, a tenth of the reasoner's memory).
    """

    def __init__(self, known: set[Fact], why: dict[Fact, Record]) -> None:
        self._known = known
        self._why = why

    def __contains__(self, fact: object) -> bool:
        return fact in self._known and fact not in self._why

    def __len__(self) -> int:
        return len(self._known) - len(self._why)

    def __iter__(self) -> Iterator[Fact]:
        why = self._why
        return (fact for fact in self._known if fact not in why)

    @classmethod
    def _from_iterable(cls, facts: Iterable[Fact]) -> set[Fact]:
        """What set operations on the view return: a plain set."""
        return set(facts)


@dataclass(frozen=True)
class Inconsistency:
    """A rule that found the data contradicting the ontology (e.g. an individual of two disjoint classes)."""

    rule: str
    message: str
    premises: tuple[Fact, ...]


class Engine:
    """The index, the work queue and the derivation records; subclasses add the rules."""

    profile = ""
    #: vocabulary attribute names of predicates whose facts are schema facts
    schema_predicate_names: tuple[str, ...] = ()
    #: vocabulary attribute names of classes whose ``rdf:type`` facts are schema facts
    schema_class_names: tuple[str, ...] = ()

    def __init__(self, terms: TermDictionary | None = None) -> None:
        self.terms = terms if terms is not None else TermDictionary()
        self.v = Vocabulary(self.terms)
        self.known: set[Fact] = set()
        #: what rules test a conclusion against before deriving it (``known``; nothing while retraction collects them)
        self.head_guard: set[Fact] | frozenset[Fact] = self.known
        self.why: dict[Fact, Record] = {}
        self.asserted = AssertedFacts(self.known, self.why)
        #: facts that follow from no premise, each with its rule (:meth:`assume_axioms`)
        self.axioms: dict[Fact, str] = {}
        self.sp: dict[int, dict[int, Values]] = {}
        self.po: dict[int, dict[int, Values]] = {}
        self.inconsistencies: list[Inconsistency] = []
        self._inconsistency_keys: set[tuple[str, tuple[Fact, ...]]] = set()
        self._schema_queue: deque[Fact] = deque()
        self._queue: deque[Fact] = deque()
        self._fresh: list[Fact] = []
        #: each known schema or list fact, to itself: rules rebuild an axiom's tuple in every derivation it takes
        #: part in, and the record keeps this one instead of a copy each time
        self.schema_facts: dict[Fact, Fact] = {}
        self.schema_predicates = frozenset(getattr(self.v, n) for n in self.schema_predicate_names)
        self.schema_classes = frozenset(getattr(self.v, n) for n in self.schema_class_names)
        for name in ("type", *self.schema_predicate_names):
            self.sp[getattr(self.v, name)] = {}
            self.po[getattr(self.v, name)] = {}

    # -- facts in and out ---------------------------------------------------------------------------

    def add(self, facts: Iterable[Fact]) -> list[Fact]:
        """Assert ``facts`` and bring the closure up to date from them; returns the facts newly inferred.

        A fact that was inferred before and is now asserted keeps no derivation; it
        is not among the returned facts (it was already in the closure).
        """
        self._fresh = []
        schema: list[Fact] = []
        lists: list[Fact] = []
        first, rest = self.v.first, self.v.rest
        known, why = self.known, self.why
        for fact in facts:
            if fact in known:
                why.pop(fact, None)  # asserted now, if it was derived
                continue
            known.add(fact)
            if fact[1] == first or fact[1] == rest:
                lists.append(fact)
                self.schema_facts[fact] = fact
            elif self.is_schema(fact):
                schema.append(fact)
                self.schema_facts[fact] = fact
            else:
                self._queue.append(fact)
        self._schema_queue.extend(lists)
        self._schema_queue.extend(schema)
        self._run()
        fresh, self._fresh = self._fresh, []
        return [f for f in fresh if f in why]

    def is_schema(self, fact: Fact) -> bool:
        """True for facts processed ahead of instance facts."""
        return fact[1] in self.schema_predicates or (fact[1] == self.v.type and fact[2] in self.schema_classes)

    def assume_axioms(self, axioms: Iterable[tuple[str, Fact]]) -> None:
        """Derive each (rule, fact) of ``axioms`` from no premise, now and again whenever a deletion takes it out."""
        self._fresh = []
        for rule, fact in axioms:
            self.axioms[fact] = rule
            self.derive(fact, rule, ())
        self._run()
        self._fresh = []

    def derive(self, fact: Fact, rule: str, premises: tuple[Fact, ...]) -> None:
        """Record ``fact`` as following from ``premises`` by ``rule``, unless it is already known."""
        if fact in self.known:
            return
        self.known.add(fact)
        shared = self.schema_facts
        self.why[fact] = (rule, *[shared.get(premise, premise) for premise in premises])
        self._fresh.append(fact)
        if fact[1] in self.schema_predicates or (fact[1] == self.v.type and fact[2] in self.schema_classes):
            shared[fact] = fact
            self._schema_queue.append(fact)
        else:
            self._queue.append(fact)

    def inconsistent(self, rule: str, message: str, premises: tuple[Fact, ...]) -> None:
        """Record that ``premises`` violate ``rule`` (reported, never raised)."""
        key = (rule, premises)
        if key not in self._inconsistency_keys:
            self._inconsistency_keys.add(key)
            self.inconsistencies.append(Inconsistency(rule, message, premises))

    def inferred(self) -> Iterator[Fact]:
        """Known facts that are not asserted and are plain RDF (no literal subject, an IRI predicate)."""
        keys = self.terms.keys
        for fact in self.why:
            if keys[fact[0]][0] != '"' and keys[fact[1]][0] == "<":
                yield fact

    def derivation(self, fact: Fact) -> Derivation | None:
        """How ``fact`` was first derived, or ``None`` if it is asserted or not entailed."""
        record = self.why.get(fact)
        return None if record is None else (record[0], record[1:])  # type: ignore[return-value]

    # -- the loop -----------------------------------------------------------------------------------

    def _run(self) -> None:
        schema, queue, process = self._schema_queue, self._queue, self.process
        # Millions of small tuples, none in a reference cycle: the cyclic collector
        # would rescan them all again and again (it made LUBM(10) twice as slow).
        collecting = gc.isenabled()
        gc.disable()
        try:
            while schema or queue:
                process(schema.popleft() if schema else queue.popleft())
        finally:
            if collecting:
                gc.enable()

    def index(self, fact: Fact) -> None:
        """Make ``fact`` visible to joins."""
        s, p, o = fact
        by_subject = self.sp.get(p)
        if by_subject is None:
            by_subject = self.sp[p] = {}
            self.po[p] = {}
        by_subject[s] = with_value(by_subject.get(s), o)
        by_object = self.po[p]
        by_object[o] = with_value(by_object.get(o), s)

    def unindex(self, fact: Fact) -> None:
        """Hide ``fact`` from joins (the inverse of :meth:`index`)."""
        s, p, o = fact
        for outer, key, value in ((self.sp, s, o), (self.po, o, s)):
            by_key = outer.get(p, {})
            values = by_key.get(key)
            if values is not None:
                values = without_value(values, value)
                if values:
                    by_key[key] = values
                else:
                    del by_key[key]

    def process(self, fact: Fact) -> None:
        """Index ``fact`` and fire the rules it is a premise of (subclasses)."""
        raise NotImplementedError

    def _schema_changed(self) -> None:
        """Drop what rules cached from the schema (subclasses that cache it)."""

    # -- lookups ------------------------------------------------------------------------------------

    def objects(self, subject: int, predicate: int) -> Values:
        """Indexed ``o`` with ``(subject, predicate, o)``."""
        return self.sp.get(predicate, {}).get(subject, EMPTY)

    def subjects(self, predicate: int, obj: int) -> Values:
        """Indexed ``s`` with ``(s, predicate, obj)``."""
        return self.po.get(predicate, {}).get(obj, EMPTY)

    def pairs(self, predicate: int) -> Iterator[tuple[int, int]]:
        """Indexed ``(s, o)`` with ``(s, predicate, o)``."""
        for subject, objects in self.sp.get(predicate, {}).items():
            for obj in objects:
                yield subject, obj

    def rdf_list(self, head: int) -> list[int] | None:
        """The members of the indexed RDF list at ``head``; ``None`` while it is incomplete or cyclic."""
        members: list[int] = []
        seen: set[int] = set()
        node, nil = head, self.v.nil
        while node != nil:
            if node in seen:
                return None
            seen.add(node)
            firsts, rests = self.objects(node, self.v.first), self.objects(node, self.v.rest)
            if len(firsts) != 1 or len(rests) != 1:
                return None
            members.append(next(iter(firsts)))
            node = next(iter(rests))
        return members

    def list_heads(self, node: int) -> set[int]:
        """The heads of the indexed lists that ``node`` is a cell of (itself included)."""
        heads, todo = {node}, [node]
        while todo:
            for previous in self.subjects(self.v.rest, todo.pop()):
                if previous not in heads:
                    heads.add(previous)
                    todo.append(previous)
        return heads
