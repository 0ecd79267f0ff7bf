"""The VoID description of the dataset, served at ``<base>.well-known/void`` (RFC 5785, VoID §7).

The dataset is ``<base>.well-known/void#dataset``: the graph as the endpoint
serves it by default (asserted triples plus the default mode's inferences),
with the asserted and inferred graphs as subsets, class and property
partitions, example resources of the main kinds, the SPARQL endpoint, the
URI space, the licence and the source article.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, VOID, XSD

from kg.dataset import DatasetLayout, KnowledgeGraph
from kg.linked_data.catalogue import Catalogue
from kg.linked_data.description import Description, Triple, generated
from kg.linked_data.flavours import RDF_FLAVOURS

PATH = ".well-known/void"
LICENSE = URIRef("https://creativecommons.org/licenses/by/3.0/igo/")
"""The data is derived from WIPO's web site, whose terms of use allow adaptation with attribution "in line
with the Creative Commons Attribution 3.0 IGO licence"; the derived data is offered on the same terms."""
EXAMPLE_KINDS = ("person", "organization", "event", "treaty", "initiative", "statement", "observation")
TITLE = "ipkg: a knowledge graph of the intellectual-property world"
DESCRIPTION = (
    "Agents, events, treaties, initiatives, statements and statistics of the intellectual-property world, "
    "every asserted fact in a named graph derived from the passage of the source it comes from; "
    "served with OWL 2 RL inferences."
)


@dataclass(frozen=True)
class VoidIris:
    """The IRIs the VoID description mints."""

    base: str

    @property
    def document(self) -> URIRef:
        return URIRef(self.base + PATH)

    @property
    def dataset(self) -> URIRef:
        return URIRef(self.base + PATH + "#dataset")


def _int(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def void_triples(
    catalogue: Catalogue, base: str, layout: DatasetLayout, vocabularies: list[str], changed: Literal
) -> Iterator[Triple]:
    """The VoID description's triples."""
    iris = VoidIris(base)
    dataset = iris.dataset
    yield iris.document, RDF.type, VOID.DatasetDescription
    yield iris.document, DCTERMS.title, Literal("VoID description of ipkg", lang="en")
    yield iris.document, FOAF.primaryTopic, dataset
    yield dataset, RDF.type, VOID.Dataset
    yield dataset, DCTERMS.title, Literal(TITLE, lang="en")
    yield dataset, DCTERMS.description, Literal(DESCRIPTION, lang="en")
    yield dataset, DCTERMS.license, LICENSE
    yield dataset, DCTERMS.modified, changed
    yield dataset, FOAF.homepage, URIRef(base)
    for document in catalogue.documents:
        yield dataset, DCTERMS.source, document
    yield dataset, VOID.sparqlEndpoint, URIRef(base + "sparql")
    yield dataset, VOID.uriSpace, Literal(base + "id/")
    yield dataset, VOID.rootResource, URIRef(base + "ontology")
    for flavour in RDF_FLAVOURS:
        yield dataset, VOID.feature, URIRef(str(flavour.iri))
    for vocabulary in vocabularies:
        yield dataset, VOID.vocabulary, URIRef(vocabulary)
    for kind in EXAMPLE_KINDS:
        if catalogue.resources.get(kind):
            yield dataset, VOID.exampleResource, catalogue.resources[kind][0]
    yield dataset, VOID.triples, _int(catalogue.triples)
    yield dataset, VOID.entities, _int(catalogue.entities)
    yield dataset, VOID.classes, _int(len(catalogue.classes))
    yield dataset, VOID.properties, _int(len(catalogue.properties))
    yield dataset, VOID.distinctSubjects, _int(catalogue.distinct_subjects)
    yield dataset, VOID.distinctObjects, _int(catalogue.distinct_objects)
    subsets = [(URIRef(layout.asserted), catalogue.asserted_triples, "Every asserted triple.")]
    if catalogue.mode in layout.closures:
        subsets.append(
            (
                URIRef(layout.closure(catalogue.mode)),
                catalogue.inferred_triples,
                f"The triples the {catalogue.mode} closure adds to the asserted ones.",
            )
        )
    for subset, count, text in subsets:
        yield dataset, VOID.subset, subset
        yield subset, RDF.type, VOID.Dataset
        yield subset, VOID.triples, _int(count)
        yield subset, DCTERMS.description, Literal(text, lang="en")
    for index, (cls, count) in enumerate(catalogue.classes):
        partition = BNode(f"class{index}")
        yield dataset, VOID.classPartition, partition
        yield partition, VOID["class"], cls
        yield partition, VOID.entities, _int(count)
    for index, (prop, count) in enumerate(catalogue.properties):
        partition = BNode(f"property{index}")
        yield dataset, VOID.propertyPartition, partition
        yield partition, VOID.property, prop
        yield partition, VOID.triples, _int(count)


def vocabularies(catalogue: Catalogue, prefixes: dict[str, str]) -> list[str]:
    """The namespaces (of the known prefixes) that the dataset's classes and properties come from."""
    used = {str(term) for term, _ in (*catalogue.classes, *catalogue.properties)}
    found = {ns for ns in prefixes.values() if any(iri.startswith(ns) and "/" not in iri[len(ns) :] for iri in used)}
    return sorted(found)


def describe_dataset(graph: KnowledgeGraph, counts: Catalogue, document: str) -> Description:
    """The VoID description of ``graph`` (counted in ``counts``), as every flavour writes it."""
    base = graph.settings.base_uri
    changed_at = datetime.fromtimestamp(graph.changed_at, tz=UTC).replace(microsecond=0)
    changed = Literal(changed_at.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)
    triples = void_triples(counts, base, graph.layout, vocabularies(counts, graph.namespaces.prefixes()), changed)
    return generated(VoidIris(base).document, "dataset", counts.mode, list(triples), document)
