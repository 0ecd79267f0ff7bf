"""The fast engine: our own semi-naive materializer over integer-encoded triples.

Chosen on measurement (see ``bench/lubm.py`` and the project notes): it closes
LUBM far faster than owlrl, records one derivation per inferred triple (for
explanations) and continues from inserted triples (incremental updates),
which the alternatives measured did not all offer.

It computes what owlrl computes, after the noise filter, with these
deliberate differences (each covered by ``tests/test_reasoning_engines.py``):

* **literal value equality** — owlrl's RDFS closure copies a triple to every
  literal whose Python value is equal (``"1"^^xsd:integer``, ``"1.0"^^xsd:decimal``
  and ``true`` are all "equal" in Python); RDFS entailment does not do that
  and neither do we;
* **inconsistencies** — owlrl adds a blank node ``[ a err:ErrorMessage ;
  err:error "…" ]`` to the closure; we report them instead
  (:attr:`~kg.reasoning.fast.engine.Engine.inconsistencies`), so the data is not
  polluted with messages.  ``dt-diff`` and ``dt-not-type`` fire only where a
  literal's value can be told for sure (:mod:`kg.reasoning.fast.datatypes`):
  ill-typed literals, which owlrl reports, are not checked;
* **owl:Thing** — we do not derive ``x rdf:type owl:Thing`` (noise), so an
  axiom that needs it as a premise (``owl:Thing`` inside an ``owl:intersectionOf``,
  or a subclass of ``owl:Thing``) does not fire; ``someValuesFrom owl:Thing`` works.
"""

from __future__ import annotations

from collections.abc import Collection

import pyoxigraph as ox

from kg.reasoning.axioms import AXIOMS
from kg.reasoning.fast.engine import Engine, Inconsistency
from kg.reasoning.fast.owlrl_rules import OwlRlEngine
from kg.reasoning.fast.rdfs_rules import RdfsEngine
from kg.reasoning.fast.terms import TermDictionary, iri

ENGINES_BY_PROFILE: dict[str, type[Engine]] = {"owlrl": OwlRlEngine, "rdfs": RdfsEngine}

__all__ = ["Engine", "Inconsistency", "new_engine", "entailed"]


def new_engine(profile: str, terms: TermDictionary | None = None, axiomatic: bool = False) -> Engine:
    """An empty engine for ``profile`` (``rdfs`` or ``owlrl``); feed it with :meth:`Engine.add`.

    ``axiomatic``: an OWL 2 RL engine also derives what follows from no premise (:mod:`kg.reasoning.axioms`).
    """
    engine = ENGINES_BY_PROFILE[profile](terms)
    if axiomatic and profile == "owlrl":
        encode = engine.terms.encode
        engine.assume_axioms((rule, (encode(iri(s)), encode(iri(p)), encode(iri(o)))) for rule, s, p, o in AXIOMS)
    return engine


def entailed(asserted: Collection[ox.Triple], profile: str) -> set[ox.Triple]:
    """Every triple entailed by ``asserted`` under ``profile``, asserted ones included (the engine-registry interface)."""
    engine = new_engine(profile)
    engine.add(engine.terms.encode_triples(asserted))
    return set(asserted) | set(engine.terms.triples(engine.inferred()))
