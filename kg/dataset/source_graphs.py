"""Source graphs: named graphs that the data declares to assert their triples in the default graph too.

SPARQL's dataset keeps named graphs apart from the default graph.  A dataset that
records provenance as one named graph per source (the shipped article: one graph
per passage) still wants those facts in its default graph.  The data says so: a
named graph declared, in the default graph, of type ``kg:SourceGraph`` or of a
class declared ``rdfs:subClassOf*`` it (``kg:PassageGraph``, ``kg:BackgroundGraph``)
has its triples asserted in the default graph as well.  No file is special.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.dataset.layout import DatasetLayout
from kg.namespaces import ProjectNamespaces
from kg.store import Store

_DECLARED = """
SELECT DISTINCT ?g WHERE {{
  GRAPH <{asserted}> {{ ?g a ?class . ?class <http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{source_graph}> }}
  FILTER(isIRI(?g))
}}
"""


def source_graphs(store: Store, layout: DatasetLayout, namespaces: ProjectNamespaces) -> set[str]:
    """The named graphs the asserted default graph declares source graphs."""
    text = _DECLARED.format(asserted=layout.asserted, source_graph=namespaces.terms + "SourceGraph")
    answer = store.query(text, base_iri=None)
    return {row["g"].value for row in answer} - layout.bookkeeping_graphs  # type: ignore[union-attr]


def assert_source_graphs(store: Store, layout: DatasetLayout, namespaces: ProjectNamespaces) -> int:
    """Add every declared source graph's triples to the asserted default graph; returns how many were read."""
    asserted = ox.NamedNode(layout.asserted)
    count = 0
    for name in sorted(source_graphs(store, layout, namespaces)):
        quads = [ox.Quad(t.subject, t.predicate, t.object, asserted) for t in store.triples(name)]
        store.add(quads)
        count += len(quads)
    return count
