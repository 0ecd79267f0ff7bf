"""A closure kept alive by the fast engine: written to the store once, then grown from inserted triples and shrunk from deleted ones.

The store's inferred graph of a mode holds exactly :meth:`Closure.additions`:
entailed, not asserted, plain RDF and not noise.  Triples cross between the
store and the engine as N-Triples text, never one Python object per triple.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.reasoning.fast import Engine, Inconsistency, new_engine
from kg.reasoning.fast.noise import NoiseFilter
from kg.reasoning.fast.retraction import retract
from kg.reasoning.fast.terms import Fact


@dataclass(frozen=True)
class Problem:
    """An inconsistency as clients see it: the rule, what it found, and the triples involved (N-Triples lines)."""

    rule: str
    message: str
    triples: tuple[str, ...]

    def line(self) -> str:
        """One line: rule, message and triples."""
        return f"{self.rule}: {self.message}: {' '.join(self.triples)}"

    def to_json(self) -> dict[str, object]:
        """``{rule, message, triples}``."""
        return {"rule": self.rule, "message": self.message, "triples": list(self.triples)}


class Closure:
    """One mode's closure of the asserted triples, with a derivation for each inferred one."""

    def __init__(self, mode: str, axiomatic: bool = False) -> None:
        self.mode = mode
        self.engine: Engine = new_engine(mode, axiomatic=axiomatic)
        self._noise = NoiseFilter(self.engine)

    @classmethod
    def of_ntriples(cls, mode: str, text: str, axiomatic: bool = False) -> Closure:
        """The closure of the triples in canonical N-Triples ``text`` (``axiomatic``: see :mod:`kg.reasoning.axioms`)."""
        closure = cls(mode, axiomatic)
        closure.engine.add(closure.engine.terms.encode_ntriples(text))
        return closure

    @property
    def asserted_count(self) -> int:
        """How many distinct triples are asserted."""
        return len(self.engine.asserted)

    def additions(self, facts: Iterable[Fact] | None = None) -> list[Fact]:
        """The inferred facts (of ``facts``, default all) that belong in the inferred graph."""
        why, shown = self.engine.why, self._shown
        candidates = self.engine.inferred() if facts is None else facts
        return [f for f in candidates if f in why and shown(f)]

    def _shown(self, fact: Fact) -> bool:
        """True if ``fact``, when inferred, belongs in the inferred graph (plain RDF, not noise)."""
        keys = self.engine.terms.keys
        return keys[fact[0]][0] != '"' and keys[fact[1]][0] == "<" and not self._noise.is_noise(fact)

    def ntriples(self, facts: Iterable[Fact]) -> str:
        """N-Triples text of ``facts``."""
        return self.engine.terms.ntriples(facts)

    def grow(self, triples: Iterable[ox.Triple]) -> tuple[list[Fact], list[Fact]]:
        """Assert ``triples`` and extend the closure from them (semi-naive, not from scratch).

        Returns ``(now_asserted, newly_inferred)``: facts to take out of the
        inferred graph because they are asserted now, and facts to add to it.
        """
        facts = self.engine.terms.encode_triples(triples)
        shown_before = [f for f in facts if f in self.engine.why]
        now_asserted = [f for f in self.additions(shown_before)]
        fresh = self.engine.add(facts)
        return now_asserted, self.additions(fresh)

    def shrink(self, triples: Iterable[ox.Triple]) -> tuple[list[Fact], list[Fact]]:
        """Stop asserting ``triples`` and retract what no longer follows (incrementally, not from scratch).

        Returns ``(lost, now_inferred)``: facts to take out of the inferred graph
        because nothing derives them any more, and facts to put into it: formerly
        asserted ones that are still entailed, and any that a deletion let rules
        derive (an RDF list that had two ``rdf:first`` for a cell and now has one).
        """
        found = (self.fact(t) for t in triples)
        retraction = retract(self.engine, [f for f in found if f is not None])
        was_asserted, overdeleted = set(retraction.deleted), retraction.overdeleted
        lost = [f for f in retraction.lost if f not in was_asserted and self._shown(f)]
        now_inferred = [f for f in retraction.rederived
                        if (f in was_asserted or f not in overdeleted) and self._shown(f)]
        return lost, now_inferred

    def describe(self, problem: Inconsistency) -> str:
        """One line for an inconsistency: rule, message and the triples involved."""
        return self.problem(problem).line()

    def problem(self, inconsistency: Inconsistency) -> Problem:
        """What clients are told of one of the engine's inconsistencies."""
        triples = tuple(self.ntriples([f]).strip() for f in inconsistency.premises)
        return Problem(inconsistency.rule, inconsistency.message, triples)

    def problems(self) -> tuple[Problem, ...]:
        """Every inconsistency the engine has found (checked on its facts, before the noise filter), each once."""
        found: dict[tuple[str, frozenset[str]], Problem] = {}
        for inconsistency in self.engine.inconsistencies:
            problem = self.problem(inconsistency)
            found.setdefault((problem.rule, frozenset(problem.triples)), problem)
        return tuple(found.values())

    def fact(self, triple: ox.Triple) -> Fact | None:
        """The engine's fact for ``triple``, if every term of it is known."""
        lookup = self.engine.terms.lookup
        ids = (lookup(str(triple.subject)), lookup(str(triple.predicate)), lookup(str(triple.object)))
        if None in ids:
            return None
        return ids  # type: ignore[return-value]
