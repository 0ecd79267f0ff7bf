"""What the OWL 2 RL closure keeps, and the bookkeeping it drops.

A rule reasoner such as owlrl derives, besides the facts users ask about,
triples that no user wants and that would swamp every query and page:

* **axiomatic triples about the RDF, RDFS, OWL and XSD vocabularies themselves**
  (``xsd:string a rdfs:Datatype``, ``owl:Thing a owl:Class``,
  ``rdfs:label a owl:AnnotationProperty``, ``owl:Nothing rdfs:subClassOf owl:Thing``…):
  any triple whose subject is in one of those namespaces (with ``KG_AXIOMATIC_TRIPLES`` the OWL 2 RL closure keeps
  the 43 that OWL 2 RL/RDF derives from no premise, :mod:`kg.reasoning.axioms`);
* **reflexive identities**: ``x owl:sameAs x``, ``x owl:equivalentClass x``,
  ``x owl:equivalentProperty x``, ``x rdfs:subClassOf x``, ``x rdfs:subPropertyOf x``;
* **literal datatype bookkeeping**: owlrl treats literals as resources while it
  runs and adds ``"1.5" rdf:type xsd:decimal`` or ``"a" owl:sameAs "a"``; a
  literal cannot be a subject in RDF, so these are dropped when the closure
  is read back (see the engines);
* **trivial top and bottom**: ``x rdf:type owl:Thing`` and ``x rdf:type rdfs:Resource``
  (true of everything), ``C rdfs:subClassOf owl:Thing`` and
  ``p rdfs:domain|rdfs:range owl:Thing``.

Everything else the rules derive is kept, including entailments about other
vocabularies' terms (``schema:Person owl:equivalentClass kg:Person``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
BUILT_IN_NAMESPACES = (RDF, RDFS, OWL, XSD)

REFLEXIVE_NOISE = frozenset(
    {OWL + "sameAs", OWL + "equivalentClass", OWL + "equivalentProperty", RDFS + "subClassOf", RDFS + "subPropertyOf"}
)
TRIVIAL_TYPES = frozenset({OWL + "Thing", RDFS + "Resource"})
TRIVIAL_SUPER = frozenset({RDFS + "subClassOf", RDFS + "domain", RDFS + "range"})


def is_noise(triple: ox.Triple) -> bool:
    """True for the bookkeeping triples described in this module's docstring."""
    subject, predicate, obj = triple.subject, triple.predicate.value, triple.object
    if isinstance(subject, ox.NamedNode) and subject.value.startswith(BUILT_IN_NAMESPACES):
        return True
    if predicate in REFLEXIVE_NOISE and subject == obj:
        return True
    if isinstance(obj, ox.NamedNode):
        if predicate == RDF + "type" and obj.value in TRIVIAL_TYPES:
            return True
        if predicate in TRIVIAL_SUPER and obj.value == OWL + "Thing":
            return True
    return False


def without_noise(triples: Iterable[ox.Triple]) -> Iterator[ox.Triple]:
    """``triples`` less the bookkeeping ones."""
    return (triple for triple in triples if not is_noise(triple))
