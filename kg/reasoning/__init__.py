"""Entailment: which closure a query sees, and which engine computes it.

Three modes name the *semantics* (``none``, ``rdfs``, ``owlrl``); the engine
that computes a closure is a separate setting (``KG_REASONER``).  Whatever the
engine, the result is the inferred triples only: entailed, not asserted, and
not bookkeeping (:mod:`kg.reasoning.noise`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import pyoxigraph as ox

from kg.reasoning import fast, owlrl_engine
from kg.reasoning.axioms import axiom_triples
from kg.settings import REASONING_MODES
from kg.reasoning.noise import without_noise

MODES = REASONING_MODES
ENTAILING_MODES = tuple(mode for mode in MODES if mode != "none")



@dataclass(frozen=True)
class Engine:
    """A closure engine and what it can do."""

    name: str
    entailed: Callable[[Collection[ox.Triple], str], set[ox.Triple]]
    """Every triple entailed by the asserted ones under a mode (asserted and noise included)."""
    keeps_closure: bool
    """True if it can keep a :class:`kg.reasoning.closure.Closure`: growth from a delta, one derivation per triple."""


#: ``fast`` is our semi-naive materializer (:mod:`kg.reasoning.fast`); ``owlrl`` the reference.
ENGINES: dict[str, Engine] = {
    "fast": Engine("fast", fast.entailed, keeps_closure=True),
    "owlrl": Engine("owlrl", owlrl_engine.entailed, keeps_closure=False),
}


class ReasoningError(ValueError):
    """An unknown mode or engine was asked for."""


def engine_named(name: str) -> Engine:
    """The closure engine registered under ``name``."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ReasoningError(f"unknown reasoner {name!r}; known: {', '.join(sorted(ENGINES))}") from None


def check_mode(mode: str) -> None:
    """Raise ``ReasoningError`` unless ``mode`` has a closure (``rdfs`` or ``owlrl``)."""
    if mode not in ENTAILING_MODES:
        raise ReasoningError(f"no closure for reasoning mode {mode!r}; modes with one: {', '.join(ENTAILING_MODES)}")


def infer(asserted: Collection[ox.Triple], mode: str, engine: str = "owlrl", axiomatic: bool = False) -> set[ox.Triple]:
    """The triples ``mode`` adds to ``asserted``: entailed, not asserted, not noise.

    ``axiomatic``: the OWL 2 RL closure also holds what follows from no premise (:mod:`kg.reasoning.axioms`; what
    those axioms entail in turn is all noise).
    """
    check_mode(mode)
    asserted_set = asserted if isinstance(asserted, (set, frozenset)) else set(asserted)
    entailed = engine_named(engine).entailed(asserted_set, mode)
    inferred = set(without_noise(t for t in entailed if t not in asserted_set))
    if axiomatic and mode == "owlrl":
        inferred |= axiom_triples() - asserted_set
    return inferred
