"""Documentation of the ontology, generated from its own triples (as pyLODE or Widoco would).

Classes, properties and named individuals with their labels, definitions,
hierarchy (super and sub), domain and range, characteristics, property
chains, class expressions (restrictions written in Manchester style: ``sector
value business``) and alignments to external vocabularies; then the SKOS
concept schemes the axioms refer to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.linked_data.description import Description, Fact
from kg.linked_data.labels import Labeller, TermView
from kg.linked_data.pages import DEFINITION_PREDICATES, FormatLink

CLASS_TYPES = frozenset({OWL.Class, RDFS.Class})
PROPERTY_KINDS: dict[URIRef, str] = {
    OWL.ObjectProperty: "object",
    OWL.DatatypeProperty: "datatype",
    OWL.AnnotationProperty: "annotation",
    RDF.Property: "other",
}
CHARACTERISTICS: dict[URIRef, str] = {
    OWL.TransitiveProperty: "transitive",
    OWL.SymmetricProperty: "symmetric",
    OWL.AsymmetricProperty: "asymmetric",
    OWL.FunctionalProperty: "functional",
    OWL.InverseFunctionalProperty: "inverse functional",
    OWL.ReflexiveProperty: "reflexive",
    OWL.IrreflexiveProperty: "irreflexive",
}
ALIGNMENT_PREDICATES: dict[URIRef, str] = {
    OWL.equivalentClass: "equivalent class",
    OWL.equivalentProperty: "equivalent property",
    RDFS.subClassOf: "subclass of",
    RDFS.subPropertyOf: "subproperty of",
    OWL.sameAs: "same as",
    SKOS.exactMatch: "exact match",
    SKOS.closeMatch: "close match",
    SKOS.broadMatch: "broad match",
    SKOS.narrowMatch: "narrow match",
}
_RESTRICTION_WORDS: dict[URIRef, str] = {
    OWL.someValuesFrom: "some",
    OWL.allValuesFrom: "only",
    OWL.hasValue: "value",
    OWL.minCardinality: "min",
    OWL.maxCardinality: "max",
    OWL.cardinality: "exactly",
    OWL.minQualifiedCardinality: "min",
    OWL.maxQualifiedCardinality: "max",
    OWL.qualifiedCardinality: "exactly",
}


@dataclass(frozen=True)
class Token:
    """A piece of a class expression: a term (linked) or a keyword."""

    text: str
    href: str | None = None
    title: str | None = None
    keyword: bool = False


Expression = tuple[Token, ...]


@dataclass
class TermDoc:
    """The documentation of one term."""

    anchor: str
    term: TermView
    kind: str
    definition: str | None = None
    comments: list[str] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    types: list[Expression] = field(default_factory=list)
    supers: list[Expression] = field(default_factory=list)
    subs: list[Expression] = field(default_factory=list)
    equivalents: list[Expression] = field(default_factory=list)
    disjoint: list[Expression] = field(default_factory=list)
    domains: list[Expression] = field(default_factory=list)
    ranges: list[Expression] = field(default_factory=list)
    inverses: list[Expression] = field(default_factory=list)
    chains: list[Expression] = field(default_factory=list)
    alignments: list[tuple[str, Expression]] = field(default_factory=list)


@dataclass(frozen=True)
class Alignment:
    """One axiom tying an ontology term to an external vocabulary."""

    ours: TermView
    relation: str
    external: TermView
    vocabulary: str


@dataclass(frozen=True)
class Scheme:
    """A SKOS concept scheme and its concepts."""

    scheme: TermView
    concepts: tuple[TermView, ...]


@dataclass
class OntologyPage:
    """The ontology's documentation page."""

    topic: TermView
    description: str | None
    version: str | None
    sections: list[tuple[str, str, list[TermDoc]]]
    """``(anchor, heading, terms)`` per kind of term."""
    alignments: list[Alignment]
    schemes: list[Scheme]
    namespaces: list[tuple[str, str]]
    formats: list[FormatLink]
    mode: str


class _Index:
    """The ontology's triples by subject and by object."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        self.out: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
        self.into: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
        for fact in facts:
            if fact.object not in self.out[fact.subject][fact.predicate]:
                self.out[fact.subject][fact.predicate].append(fact.object)
                self.into[fact.object][fact.predicate].append(fact.subject)

    def values(self, subject: Node, predicate: Node) -> list[Node]:
        return self.out.get(subject, {}).get(predicate, [])

    def pointing(self, obj: Node, predicate: Node) -> list[Node]:
        return self.into.get(obj, {}).get(predicate, [])

    def items(self, head: Node) -> list[Node]:
        """The members of an RDF list."""
        members: list[Node] = []
        seen: set[Node] = set()
        while head != RDF.nil and head not in seen and self.values(head, RDF.first):
            seen.add(head)
            members.append(self.values(head, RDF.first)[0])
            rest = self.values(head, RDF.rest)
            if not rest:
                break
            head = rest[0]
        return members


class _Writer:
    """Writes terms and class expressions as tokens."""

    def __init__(self, index: _Index, labeller: Labeller) -> None:
        self.index = index
        self.labeller = labeller

    def term(self, node: Node) -> Token:
        view = self.labeller.view(node)
        return Token(view.text, view.href, view.iri)

    def expression(self, node: Node, depth: int = 0) -> Expression:
        if not isinstance(node, BNode):
            if isinstance(node, Literal):
                return (Token(str(node)),)
            return (self.term(node),)
        if depth > 6:
            return (Token("…", keyword=True),)
        index = self.index
        for predicate, word in ((OWL.intersectionOf, "and"), (OWL.unionOf, "or")):
            members = index.values(node, predicate)
            if members:
                return self._joined([self._nested(m, depth) for m in index.items(members[0])], word)
        if index.values(node, OWL.complementOf):
            return (Token("not", keyword=True), *self._nested(index.values(node, OWL.complementOf)[0], depth))
        if index.values(node, OWL.oneOf):
            members = [self.expression(m, depth + 1) for m in index.items(index.values(node, OWL.oneOf)[0])]
            return (Token("{", keyword=True), *self._joined(members, ","), Token("}", keyword=True))
        on_property = index.values(node, OWL.onProperty)
        if on_property:
            head = self.expression(on_property[0], depth + 1)
            for predicate, word in _RESTRICTION_WORDS.items():
                for value in index.values(node, predicate):
                    tail: Expression = self._nested(value, depth)
                    qualified = index.values(node, OWL.onClass) or index.values(node, OWL.onDataRange)
                    if isinstance(value, Literal) and qualified:
                        tail = (Token(str(value)), *self._nested(qualified[0], depth))
                    return (*head, Token(word, keyword=True), *tail)
            if index.values(node, OWL.hasSelf):
                return (*head, Token("Self", keyword=True))
        return (Token("(anonymous class)", keyword=True),)

    def _nested(self, node: Node, depth: int) -> Expression:
        inner = self.expression(node, depth + 1)
        if isinstance(node, BNode) and len(inner) > 1:
            return (Token("(", keyword=True), *inner, Token(")", keyword=True))
        return inner

    @staticmethod
    def _joined(parts: list[Expression], word: str) -> Expression:
        tokens: list[Token] = []
        for position, part in enumerate(parts):
            if position:
                tokens.append(Token(word, keyword=True))
            tokens.extend(part)
        return tuple(tokens)

    def chain(self, head: Node) -> Expression:
        return self._joined([self.expression(m) for m in self.index.items(head)], "∘")


def _texts(index: _Index, subject: Node, predicate: Node) -> list[str]:
    found = [v for v in index.values(subject, predicate) if isinstance(v, Literal)]
    found.sort(key=lambda lit: (0 if (lit.language or "").startswith("en") else 1 if not lit.language else 2, str(lit)))
    return [str(v) for v in found]


def _kind(index: _Index, term: Node) -> str:
    types = set(index.values(term, RDF.type))
    if types & CLASS_TYPES:
        return "class"
    for kind_type, kind in PROPERTY_KINDS.items():
        if kind_type in types:
            return kind
    if types & set(CHARACTERISTICS):
        return "object"
    return "individual"


SECTIONS = (
    ("classes", "Classes", "class"),
    ("object-properties", "Object properties", "object"),
    ("datatype-properties", "Datatype properties", "datatype"),
    ("annotation-properties", "Annotation properties", "annotation"),
    ("other-properties", "Other properties", "other"),
    ("individuals", "Named individuals", "individual"),
)


def _vocabulary(labeller: Labeller, iri: str) -> str:
    compact = labeller.compact(iri)
    return compact.split(":", 1)[0] if compact else "other"


def _document_term(
    term: URIRef, anchor: str, index: _Index, writer: _Writer, labeller: Labeller, is_ours: Callable[[Node], bool]
) -> TermDoc:
    kind = _kind(index, term)
    definitions = [t for p in DEFINITION_PREDICATES[:1] for t in _texts(index, term, p)]
    comments = [t for p in DEFINITION_PREDICATES[1:] for t in _texts(index, term, p)]
    doc = TermDoc(
        anchor, labeller.view(term), kind, definitions[0] if definitions else None, (definitions[1:] + comments)
    )
    is_class = kind == "class"
    sub_predicate = RDFS.subClassOf if is_class else RDFS.subPropertyOf
    equivalent_predicate = OWL.equivalentClass if is_class else OWL.equivalentProperty
    doc.characteristics = sorted(CHARACTERISTICS[t] for t in index.values(term, RDF.type) if t in CHARACTERISTICS)
    if kind == "individual":
        doc.types = [writer.expression(t) for t in index.values(term, RDF.type) if t != OWL.NamedIndividual]
    for value in index.values(term, sub_predicate):
        if isinstance(value, BNode) or is_ours(value):
            doc.supers.append(writer.expression(value))
    doc.subs = [
        writer.expression(s)
        for s in sorted(index.pointing(term, sub_predicate), key=labeller.label)
        if isinstance(s, URIRef)
    ]
    for value in index.values(term, equivalent_predicate):
        if isinstance(value, BNode) or is_ours(value):
            doc.equivalents.append(writer.expression(value))
    doc.disjoint = [writer.expression(v) for v in index.values(term, OWL.disjointWith)]
    doc.domains = [writer.expression(v) for v in index.values(term, RDFS.domain)]
    doc.ranges = [writer.expression(v) for v in index.values(term, RDFS.range)]
    doc.inverses = [
        writer.expression(v) for v in index.values(term, OWL.inverseOf) + index.pointing(term, OWL.inverseOf)
    ]
    doc.chains = [writer.chain(head) for head in index.values(term, OWL.propertyChainAxiom)]
    for predicate, relation in ALIGNMENT_PREDICATES.items():
        for value in index.values(term, predicate):
            if isinstance(value, URIRef) and not is_ours(value):
                doc.alignments.append((relation, writer.expression(value)))
    return doc


def ontology_page(
    description: Description,
    schemes_description: Description,
    labeller: Labeller,
    terms_namespace: str,
    base: str,
    formats: list[FormatLink],
    prefixes: dict[str, str],
) -> OntologyPage:
    """The documentation page of the ontology described by ``description``."""
    index = _Index(description.facts)
    writer = _Writer(index, labeller)
    topic = description.topic

    def is_ours(node: Node) -> bool:
        return isinstance(node, URIRef) and str(node).startswith(base)

    declared = [s for s in index.out if isinstance(s, URIRef) and index.values(s, RDF.type) and s != topic]
    ours = [s for s in declared if str(s).startswith(terms_namespace)]
    documented = ours or [s for s in declared if not is_ours(s)]
    by_kind: dict[str, list[TermDoc]] = defaultdict(list)
    for term in sorted(documented, key=lambda t: labeller.label(t).lower()):
        anchor = (
            str(term)[len(terms_namespace) :]
            if str(term).startswith(terms_namespace)
            else labeller.compact(str(term)) or str(term)
        )
        doc = _document_term(term, anchor, index, writer, labeller, is_ours)
        by_kind[doc.kind].append(doc)
    sections = [(anchor, heading, by_kind[kind]) for anchor, heading, kind in SECTIONS if by_kind.get(kind)]

    alignments: list[Alignment] = []
    for fact in description.facts:
        if fact.predicate not in ALIGNMENT_PREDICATES or not isinstance(fact.object, URIRef):
            continue
        if is_ours(fact.subject) and not is_ours(fact.object):
            ours_term, external = fact.subject, fact.object
        elif is_ours(fact.object) and isinstance(fact.subject, URIRef) and not is_ours(fact.subject):
            ours_term, external = fact.object, fact.subject
        else:
            continue
        alignments.append(
            Alignment(
                labeller.view(ours_term),
                ALIGNMENT_PREDICATES[fact.predicate],  # type: ignore[index]
                labeller.view(external),
                _vocabulary(labeller, str(external)),
            )
        )
    alignments.sort(key=lambda a: (a.vocabulary, a.ours.text.lower(), a.relation, a.external.text))

    used_namespaces = {
        ns
        for ns in prefixes.values()
        if any(str(f.predicate).startswith(ns) or str(f.object).startswith(ns) for f in description.facts)
    }
    namespaces = sorted(
        {ns: name for name, ns in reversed(list(prefixes.items())) if ns in used_namespaces}.items(),
        key=lambda item: item[1],
    )
    descriptions = [t for p in (DCTERMS.description, RDFS.comment, SKOS.definition) for t in _texts(index, topic, p)]
    versions = _texts(index, topic, OWL.versionInfo)
    return OntologyPage(
        topic=labeller.view(topic),
        description=descriptions[0] if descriptions else None,
        version=versions[0] if versions else None,
        sections=sections,
        alignments=alignments,
        schemes=_schemes(schemes_description, labeller),
        namespaces=[(name, ns) for ns, name in namespaces],
        formats=formats,
        mode=description.mode,
    )


def _schemes(description: Description, labeller: Labeller) -> list[Scheme]:
    members: dict[Node, set[Node]] = defaultdict(set)
    for fact in description.facts:
        if fact.predicate == RDF.type and fact.object == SKOS.ConceptScheme:
            members.setdefault(fact.subject, set())
        elif fact.predicate in (SKOS.inScheme, SKOS.topConceptOf):
            members[fact.object].add(fact.subject)
    return [
        Scheme(
            labeller.view(scheme),
            tuple(labeller.view(c) for c in sorted(concepts, key=lambda c: labeller.label(c).lower())),
        )
        for scheme, concepts in sorted(members.items(), key=lambda item: labeller.label(item[0]).lower())
    ]
