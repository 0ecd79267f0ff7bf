"""How a term is shown to people: a label rather than an IRI, a link that stays on this server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from kg.linked_data.site import Site

PLAIN_DATATYPES = frozenset({XSD.string, RDF.langString, XSD.integer, XSD.decimal, XSD.double, XSD.boolean})
"""Datatypes a value shows plainly (its datatype goes without saying)."""
CORE_LABELS: dict[Node, str] = {
    RDF.type: "type",
    RDFS.label: "label",
    RDFS.comment: "comment",
    RDFS.seeAlso: "see also",
    RDFS.subClassOf: "subclass of",
    RDFS.subPropertyOf: "subproperty of",
    RDFS.domain: "domain",
    RDFS.range: "range",
    RDFS.isDefinedBy: "defined by",
    OWL.sameAs: "same as",
    SKOS.prefLabel: "preferred label",
    SKOS.altLabel: "alternative label",
    SKOS.definition: "definition",
    SKOS.inScheme: "in scheme",
    SKOS.broader: "broader",
    SKOS.narrower: "narrower",
    SKOS.exactMatch: "exact match",
    PROV.wasDerivedFrom: "derived from",
    FOAF.primaryTopic: "primary topic",
}
"""Labels for the RDF, RDFS, OWL and SKOS terms every page shows, which no loaded vocabulary labels."""


@dataclass(frozen=True)
class TermView:
    """A term as a page shows it."""

    text: str
    kind: str
    """``iri``, ``literal`` or ``blank``."""
    href: str | None = None
    iri: str | None = None
    lang: str | None = None
    note: str | None = None
    """The datatype of a typed literal, compactly (``xsd:date``)."""
    ours: bool = False
    alternatives: tuple[tuple[str, str | None], ...] = field(default=())
    """Labels in other languages: ``(text, lang)``."""


DISPLAY_PREFIXES: dict[str, str] = {
    "sdo": "http://schema.org/",
    "wd": "http://www.wikidata.org/entity/",
}
"""Prefixes pages use for IRIs no query prefix covers (schema.org's http spelling, Wikidata items)."""


class Labeller:
    """Chooses labels (English first) and compact names, and links terms to their pages."""

    def __init__(
        self, labels: Mapping[Node, list[Literal]], prefixes: Mapping[str, str], site: Site, language: str = "en"
    ) -> None:
        self._labels = labels
        known = {**DISPLAY_PREFIXES, **prefixes}
        self._namespaces = sorted(
            {ns: name for name, ns in reversed(list(known.items()))}.items(), key=lambda item: -len(item[0])
        )
        self._site = site
        self._language = language

    def _ranked(self, term: Node) -> list[Literal]:
        def rank(literal: Literal) -> int:
            lang = (literal.language or "").lower()
            if lang == self._language or lang.startswith(self._language + "-"):
                return 0
            return 1 if not lang else 2

        return sorted(self._labels.get(term, []), key=rank)

    def compact(self, iri: str) -> str | None:
        """``schema:name`` for ``https://schema.org/name``; ``None`` when no prefix fits."""
        for namespace, name in self._namespaces:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and local and not any(c in local for c in "/#?"):
                return f"{name}:{local}"
        return None

    def label(self, term: Node) -> str:
        """The best label of ``term``: its English (or untagged) label, else a compact name, else the IRI."""
        ranked = self._ranked(term)
        if ranked:
            return str(ranked[0])
        if term in CORE_LABELS:
            return CORE_LABELS[term]
        if isinstance(term, URIRef):
            return self.compact(str(term)) or str(term)
        if isinstance(term, BNode):
            return "(anonymous node)"
        return str(term)

    def view(self, term: Node) -> TermView:
        """``term`` as a page shows it."""
        if isinstance(term, Literal):
            datatype = term.datatype
            note = None
            if datatype is not None and datatype not in PLAIN_DATATYPES:
                note = self.compact(str(datatype)) or str(datatype)
            return TermView(str(term), "literal", lang=term.language, note=note)
        if isinstance(term, BNode):
            return TermView("(anonymous node)", "blank")
        iri = str(term)
        ranked = self._ranked(term)
        text = self.label(term)
        lang = ranked[0].language if ranked else None
        seen = {text}
        alternatives: list[tuple[str, str | None]] = []
        for literal in ranked[1:]:
            if str(literal) not in seen and literal.language != lang:
                seen.add(str(literal))
                alternatives.append((str(literal), literal.language))
        return TermView(
            text,
            "iri",
            href=self._site.href(iri),
            iri=iri,
            lang=lang,
            ours=self._site.owns(iri),
            alternatives=tuple(alternatives),
        )
