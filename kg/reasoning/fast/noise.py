"""The noise filter of :mod:`kg.reasoning.noise`, on integer facts (no pyoxigraph term per triple)."""

from __future__ import annotations

from kg.reasoning.fast.engine import Engine
from kg.reasoning.fast.terms import Fact, iri
from kg.reasoning.noise import BUILT_IN_NAMESPACES, REFLEXIVE_NOISE, TRIVIAL_SUPER, TRIVIAL_TYPES


class NoiseFilter:
    """``is_noise`` for the facts of one engine, with the vocabulary looked up once."""

    def __init__(self, engine: Engine) -> None:
        terms = engine.terms
        self._keys = terms.keys
        self._prefixes = tuple("<" + ns for ns in BUILT_IN_NAMESPACES)
        self._reflexive = frozenset(terms.encode(iri(p)) for p in REFLEXIVE_NOISE)
        self._type = engine.v.type
        self._trivial_types = frozenset(terms.encode(iri(c)) for c in TRIVIAL_TYPES)
        self._trivial_super = frozenset(terms.encode(iri(p)) for p in TRIVIAL_SUPER)
        self._thing = engine.v.thing
        self._axioms = engine.axioms

    def is_noise(self, fact: Fact) -> bool:
        """True for the bookkeeping triples :mod:`kg.reasoning.noise` describes, except the engine's axioms."""
        s, p, o = fact
        if self._keys[s].startswith(self._prefixes):  # every axiom is about the built-in vocabulary
            return fact not in self._axioms
        if s == o and p in self._reflexive:
            return True
        if p == self._type and o in self._trivial_types:
            return True
        return o == self._thing and p in self._trivial_super
