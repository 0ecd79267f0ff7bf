"""The dataset's graphs: where asserted triples live, one closure graph per entailment mode, what ``GRAPH`` sees.

Graph IRIs are under ``<base>graph/``:

* ``asserted`` — the default graph of the data (and the triples of its source
  graphs, :mod:`kg.dataset.source_graphs`);
* ``inferred`` — what the OWL 2 RL closure adds (``reasoning=owlrl``);
* ``inferred-rdfs`` — what the RDFS closure adds (``reasoning=rdfs``);
* ``changes`` — the change log (:mod:`kg.dataset.change_log`), never reasoned over;
* every other graph is a named graph of the data, under its own name.

A query's default graph is ``asserted`` plus the closure graph of its mode;
``GRAPH ?g`` ranges over the data's named graphs only (SPARQL 1.1's dataset):
the bookkeeping graphs are reached by name, with ``FROM``/``FROM NAMED`` or the
protocol's dataset parameters, or through the ``reasoning`` switch.
Closure graphs never repeat an asserted triple, so that union has no duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.namespaces import ProjectNamespaces

#: The local name of each entailing mode's closure graph.
CLOSURE_GRAPH_NAMES = {"owlrl": "inferred", "rdfs": "inferred-rdfs"}
ASSERTED_NAME = "asserted"
CHANGES_NAME = "changes"


@dataclass(frozen=True)
class DatasetLayout:
    """The IRIs of the bookkeeping graphs of a dataset minted under one base IRI."""

    asserted: str
    """The graph that holds the default graph's asserted triples."""
    closures: dict[str, str]
    """Entailing mode → the graph holding what its closure adds."""
    changes: str = ""
    """The change log's graph."""

    @classmethod
    def under(cls, base_uri: str) -> DatasetLayout:
        """The layout of a dataset whose IRIs are minted under ``base_uri``."""
        namespaces = ProjectNamespaces(base_uri)
        return cls(
            namespaces.graph(ASSERTED_NAME),
            {mode: namespaces.graph(name) for mode, name in CLOSURE_GRAPH_NAMES.items()},
            namespaces.graph(CHANGES_NAME),
        )

    def closure(self, mode: str) -> str:
        """The closure graph of entailing ``mode``."""
        return self.closures[mode]

    @property
    def closure_graphs(self) -> frozenset[str]:
        """Every closure graph: computed by the reasoner, never written by users."""
        return frozenset(self.closures.values())

    @property
    def bookkeeping_graphs(self) -> frozenset[str]:
        """The graphs that are not named graphs of the data: ``asserted``, the closures and the change log."""
        return self.closure_graphs | {self.asserted, self.changes}

    def default_graph(self, mode: str) -> list[str]:
        """The graphs whose union is the default graph under ``mode``."""
        graphs = [self.asserted]
        if mode in self.closures:
            graphs.append(self.closures[mode])
        return graphs

    def is_named_graph_of_the_data(self, iri: str) -> bool:
        """True if ``iri`` is one of the data's named graphs, not a bookkeeping graph."""
        return iri not in self.bookkeeping_graphs
