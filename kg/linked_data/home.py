"""The home page: the main entities by kind with counts, the most used classes, and the ways in."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.term import Node

from kg.linked_data.catalogue import Catalogue
from kg.linked_data.labels import Labeller, TermView

MAIN_KINDS: dict[str, str] = {
    "person": "People",
    "organization": "Organisations",
    "event": "Events",
    "treaty": "Treaties",
    "law": "Laws",
    "initiative": "Initiatives",
    "statement": "Statements",
    "observation": "Observations",
    "plan": "Plans",
    "priority": "Priorities",
    "place": "Places",
    "topic": "Topics",
}
OTHER_KINDS: dict[str, str] = {
    "post": "Posts",
    "participation": "Participations",
    "role": "Roles",
    "status": "Treaty statuses",
    "sector": "Sectors",
    "measure": "Measures",
    "unit": "Units",
    "scheme": "Concept schemes",
    "document": "Documents",
    "passage": "Passages",
}
LISTED = 60
"""Entities listed per kind; the rest are counted and left to SPARQL."""
CLASSES_LISTED = 24


@dataclass(frozen=True)
class KindSection:
    """The resources of one kind."""

    kind: str
    title: str
    count: int
    entries: tuple[TermView, ...]
    main: bool


@dataclass(frozen=True)
class HomePage:
    """The home page's content."""

    sections: tuple[KindSection, ...]
    classes: tuple[tuple[TermView, int], ...]
    asserted_triples: int
    inferred_triples: int
    entities: int
    mode: str


def listed(catalogue: Catalogue) -> list[URIRef]:
    """The resources the home page lists (their labels are needed)."""
    return [iri for iris in catalogue.resources.values() for iri in iris[:LISTED]]


def home_page(catalogue: Catalogue, labeller: Labeller, classes_of_interest: str) -> HomePage:
    """The home page for ``catalogue``; classes listed are those in the ``classes_of_interest`` namespace if any."""
    sections: list[KindSection] = []
    titles = {**MAIN_KINDS, **OTHER_KINDS}
    order = [*MAIN_KINDS, *OTHER_KINDS, *sorted(k for k in catalogue.resources if k not in titles)]
    for kind in order:
        iris = catalogue.resources.get(kind)
        if not iris:
            continue
        entries = sorted((labeller.view(i) for i in iris[:LISTED]), key=lambda v: v.text.lower())
        sections.append(
            KindSection(
                kind, titles.get(kind, kind.replace("-", " ").title()), len(iris), tuple(entries), kind in MAIN_KINDS
            )
        )
    ours = [(c, n) for c, n in catalogue.classes if str(c).startswith(classes_of_interest)]
    classes = (ours or catalogue.classes)[:CLASSES_LISTED]
    return HomePage(
        sections=tuple(sections),
        classes=tuple((labeller.view(c), n) for c, n in classes),
        asserted_triples=catalogue.asserted_triples,
        inferred_triples=catalogue.inferred_triples,
        entities=catalogue.entities,
        mode=catalogue.mode,
    )


def label_terms(catalogue: Catalogue) -> list[Node]:
    """Every term the home page shows: listed resources and classes."""
    return [*listed(catalogue), *(c for c, _ in catalogue.classes[:200])]
