"""The W3C OWL 2 test cases selected for OWL 2 RL: the checks of the manifest and how an engine fares on each.

The selection is the copy at ``../shared/conformance/owl2rl`` next to the repository (``$OWL2RL_TESTS``
overrides it; see its ``SOURCE.md``).  Each test case has one or more typed checks (:class:`Check`):

* ``PositiveEntailment`` / ``NegativeEntailment``: the ASK of the (non-)conclusion over what kg serves (the
  asserted triples and the inferred ones less noise, :mod:`kg.reasoning.noise`) is ``expect``; each
  *hypothesis* (the contrary of a negative fact of the conclusion) added to the premise makes it inconsistent
  exactly when ``expect`` is true;
* ``Inconsistency`` / ``Consistency``: an inconsistency is reported exactly when ``expect`` is true.

:func:`failure` answers a check with one engine: ``None`` when it passes, otherwise why not.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.reasoning import owlrl_engine
from kg.reasoning.axioms import axiom_triples
from kg.reasoning.closure import Closure
from kg.reasoning.noise import without_noise

ROOT = Path(__file__).resolve().parents[1]
SUITE = Path(os.environ.get("OWL2RL_TESTS") or ROOT.parent / "shared" / "conformance" / "owl2rl")
"""The selection: ``../shared/conformance/owl2rl`` from the repository root, or ``$OWL2RL_TESTS``."""
ENGINES = ("fast", "owlrl")
ERROR_MESSAGE = ox.NamedNode("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
"""The class of the blank nodes owlrl adds to a closure for each inconsistency it finds."""
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@dataclass(frozen=True)
class Check:
    """One typed test of a test case."""

    case: str
    tier: str
    type: str
    expect: bool
    data: tuple[str, ...]
    ask: str | None
    hypotheses: tuple[str, ...]
    beyond_rules: str | None

    @property
    def name(self) -> str:
        """``case:type``, unique in the selection."""
        return f"{self.case}:{self.type}"


@dataclass(frozen=True)
class Outcome:
    """What an engine makes of some triples: the triples kg would serve, and the inconsistencies it reports."""

    served: frozenset[ox.Triple]
    inconsistencies: tuple[str, ...]


def available() -> bool:
    """True if the selection is there."""
    return (SUITE / "manifest.json").is_file()


@functools.cache
def checks() -> tuple[Check, ...]:
    """Every check of the manifest, in its order."""
    manifest = json.loads((SUITE / "manifest.json").read_text())
    return tuple(
        Check(case["id"], case["tier"], check["type"], check["expect"], tuple(case["data"]), check.get("ask"),
              tuple(check.get("hypotheses", ())), check.get("beyond_rules"))
        for case in manifest["tests"] for check in case["checks"]
    )


def load(paths: Iterable[str]) -> frozenset[ox.Triple]:
    """The triples of the selection's files ``paths`` (blank nodes kept apart between files)."""
    triples: set[ox.Triple] = set()
    for path in paths:
        for quad in ox.parse(path=SUITE / path, rename_blank_nodes=True):
            triples.add(quad.triple)
    return frozenset(triples)


@functools.cache
def reason(engine: str, paths: tuple[str, ...], axiomatic: bool = False) -> Outcome:
    """The OWL 2 RL outcome of ``engine`` (``fast`` or ``owlrl``) on the files ``paths``.

    ``axiomatic``: with the triples that follow from no premise (``KG_AXIOMATIC_TRIPLES``).
    """
    asserted = load(paths)
    if engine == "fast":
        closure = Closure("owlrl", axiomatic)
        closure.grow(asserted)
        inferred = closure.engine.terms.triples(closure.additions())
        return Outcome(asserted | frozenset(inferred),
                       tuple(closure.describe(problem) for problem in closure.engine.inconsistencies))
    entailed = owlrl_engine.entailed(asserted, "owlrl")
    errors = {t.subject for t in entailed if t.predicate == RDF_TYPE and t.object == ERROR_MESSAGE}
    messages = tuple(str(t.object) for t in entailed if t.subject in errors and t.object != ERROR_MESSAGE)
    kept = set(without_noise(t for t in entailed if t not in asserted and t.subject not in errors))
    if axiomatic:
        kept |= axiom_triples()
    return Outcome(asserted | frozenset(kept), messages)


def ask(triples: Iterable[ox.Triple], query: str) -> bool:
    """The answer of the ASK ``query`` over ``triples``."""
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return bool(store.query(query))


def failure(check: Check, engine: str, axiomatic: bool = False) -> str | None:
    """Why ``engine`` fails ``check`` (``axiomatic``: see :func:`reason`), or ``None`` if it passes."""
    outcome = reason(engine, check.data, axiomatic)
    if check.type in ("Inconsistency", "Consistency"):
        if bool(outcome.inconsistencies) == check.expect:
            return None
        return "no inconsistency reported" if check.expect else "inconsistent: " + "; ".join(outcome.inconsistencies)
    if check.ask is not None:
        entailed = ask(outcome.served, (SUITE / check.ask).read_text())
        if entailed != check.expect:
            return "conclusion not entailed" if check.expect else "non-conclusion entailed"
    for hypothesis in check.hypotheses:
        if bool(reason(engine, (*check.data, hypothesis), axiomatic).inconsistencies) != check.expect:
            negated = "entailed" if check.expect else "not entailed"
            return f"negative fact {negated}: premise + {Path(hypothesis).name} is {'not ' * check.expect}inconsistent"
    return None
