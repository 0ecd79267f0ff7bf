"""Why a triple is entailed: its derivation in the dataset's kept closure."""

from __future__ import annotations

import pyoxigraph as ox

from kg.dataset.graph import KnowledgeGraph
from kg.reasoning.explain import Derivation, derivation_tree


def explain(graph: KnowledgeGraph, triple: ox.Triple, mode: str = "owlrl") -> Derivation | None:
    """How ``triple`` is entailed under ``mode`` (``owlrl`` or ``rdfs``); ``None`` if it is not.

    An asserted triple comes back as a leaf (``inferred=False``).  The linked-data
    pages call this next to an inferred fact.
    """
    closure = graph.closure(mode)
    fact = closure.fact(triple)
    if fact is None or fact not in closure.engine.known:
        return None
    if fact not in closure.engine.asserted and fact not in closure.engine.why:
        return None
    return derivation_tree(closure, fact)
