"""The triples OWL 2 RL/RDF derives from no premise, inferred only when the operator asks for them.

Four rules of the OWL 2 RL/RDF rule set have an empty body (the OWL 2 Profiles
specification, section 4.3): ``cls-thing`` and ``cls-nothing1`` (``owl:Thing``
and ``owl:Nothing`` are classes), ``prp-ap`` (the nine built-in annotation
properties) and ``dt-type1`` (each datatype OWL 2 RL supports is an
``rdfs:Datatype``).  The empty graph entails these 43 triples.

By default they are bookkeeping about the built-in vocabulary like any other
(:mod:`kg.reasoning.noise`): served, they would make an emptied store answer
``ASK { ?s ?p ?o }`` true under the default entailment, which no client that
clears a store expects (the SPARQL Protocol's update tests among them).  With
``KG_AXIOMATIC_TRIPLES`` they are part of every OWL 2 RL closure: derived from
the start, derived again when an asserted copy is deleted, and never dropped as
noise.  RDFS entailment has no such setting: its axiomatic triples are infinite
(``rdf:_1``, ``rdf:_2``…).
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.reasoning.noise import OWL, RDF, RDFS, XSD

ANNOTATION_PROPERTIES = (
    RDFS + "label", RDFS + "comment", RDFS + "seeAlso", RDFS + "isDefinedBy", OWL + "deprecated",
    OWL + "versionInfo", OWL + "priorVersion", OWL + "backwardCompatibleWith", OWL + "incompatibleWith",
)
"""The annotation properties of rule ``prp-ap``."""
RL_DATATYPES = (
    RDF + "PlainLiteral", RDF + "XMLLiteral", RDFS + "Literal",
    *(XSD + name for name in (
        "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger",
        "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
        "double", "float", "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN",
        "boolean", "hexBinary", "base64Binary", "anyURI", "dateTime", "dateTimeStamp")),
)
"""The datatypes OWL 2 RL supports (the Profiles specification, section 4.2; not ``owl:real``, ``owl:rational``)."""

AXIOMS: tuple[tuple[str, str, str, str], ...] = (
    ("cls-thing", OWL + "Thing", RDF + "type", OWL + "Class"),
    ("cls-nothing1", OWL + "Nothing", RDF + "type", OWL + "Class"),
    *(("prp-ap", name, RDF + "type", OWL + "AnnotationProperty") for name in ANNOTATION_PROPERTIES),
    *(("dt-type1", name, RDF + "type", RDFS + "Datatype") for name in RL_DATATYPES),
)
"""Each axiom as (rule, subject, predicate, object), all IRIs."""


def axiom_triples() -> frozenset[ox.Triple]:
    """The axioms as triples."""
    return frozenset(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o)) for _, s, p, o in AXIOMS)
