"""Whether the dataset is consistent under each entailment mode, and the inconsistencies it holds.

The fast engine checks the OWL 2 RL/RDF inconsistency rules (``cax-dw``,
``prp-irp``, ``eq-diff1``, ``dt-diff``…) while it closes the data; these
functions hand what it found to the CLI and the web layer.  A closure is kept
per mode once computed, so asking is cheap after the first time.
"""

from __future__ import annotations

from kg.dataset.graph import KnowledgeGraph
from kg.reasoning import ENTAILING_MODES
from kg.reasoning.closure import Problem


def inconsistencies(graph: KnowledgeGraph, mode: str) -> tuple[Problem, ...]:
    """The inconsistencies of the data under ``mode`` (its closure is computed if it is not kept)."""
    graph.ensure_reasoned(mode)
    return graph.closure(mode).problems()


def known_inconsistencies(graph: KnowledgeGraph) -> dict[str, tuple[Problem, ...]]:
    """The inconsistencies of each mode whose closure is kept now (computing none)."""
    return {mode: graph.closure(mode).problems() for mode in ENTAILING_MODES if graph.closures.is_kept(mode)}


def introduced(before: dict[str, tuple[Problem, ...]], after: dict[str, tuple[Problem, ...]]) -> list[str]:
    """``inconsistent (MODE): RULE: MESSAGE: TRIPLES`` for each inconsistency of ``after`` missing from ``before``.

    A mode without a kept closure before counts as having had none.
    """
    lines = []
    for mode, problems in after.items():
        old = set(before.get(mode, ()))
        lines += [f"inconsistent ({mode}): {problem.line()}" for problem in problems if problem not in old]
    return lines
