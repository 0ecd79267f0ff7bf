"""The reference engine: owlrl's forward chaining over an rdflib graph."""

from __future__ import annotations

from collections.abc import Collection

import owlrl
import pyoxigraph as ox
import rdflib

from kg.terms import to_ox, to_rdflib

SEMANTICS = {"rdfs": owlrl.RDFS_Semantics, "owlrl": owlrl.OWLRL_Semantics}


def entailed(asserted: Collection[ox.Triple], profile: str) -> set[ox.Triple]:
    """Every triple owlrl entails from ``asserted`` under ``profile`` (``rdfs`` or ``owlrl``).

    The result includes the asserted triples.  Triples with a literal subject
    (owlrl's datatype bookkeeping) cannot be represented in RDF and are dropped here.
    """
    graph = rdflib.Graph()
    for triple in asserted:
        graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
    owlrl.DeductiveClosure(SEMANTICS[profile]).expand(graph)
    closure: set[ox.Triple] = set()
    for subject, predicate, obj in graph:
        if isinstance(subject, rdflib.Literal):
            continue
        closure.add(ox.Triple(to_ox(subject), to_ox(predicate), to_ox(obj)))
    return closure
