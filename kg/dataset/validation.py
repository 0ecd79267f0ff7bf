"""SHACL validation of the dataset (asserted triples plus their OWL 2 RL closure) with pySHACL."""

from __future__ import annotations

from dataclasses import dataclass

import pyshacl
import rdflib

from kg.dataset.graph import KnowledgeGraph
from kg.sources import RdfSource
from kg.terms import triple_to_rdflib


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating the dataset against a shapes file."""

    conforms: bool
    text: str
    results_graph: rdflib.Graph


def validate(graph: KnowledgeGraph, shapes: RdfSource) -> ValidationReport:
    """Check the asserted and OWL 2 RL-inferred triples of ``graph`` against the SHACL ``shapes``.

    Shapes are checked against the closure because some required facts are
    entailed by design (a person's affiliation follows from the post they hold).
    """
    graph.ensure_reasoned("owlrl")
    data = rdflib.Graph()
    for name in graph.default_graph("owlrl"):
        for triple in graph.store.triples(name):
            data.add(triple_to_rdflib(triple))
    shapes_graph = rdflib.Graph()
    for quad in shapes.quads(graph.settings.base_uri):
        shapes_graph.add(triple_to_rdflib(quad.triple))
    conforms, results_graph, text = pyshacl.validate(
        data, shacl_graph=shapes_graph, inference="none", advanced=True, allow_warnings=True
    )
    return ValidationReport(bool(conforms), str(text), results_graph)
