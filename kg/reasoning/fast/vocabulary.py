"""The RDF, RDFS, OWL and XSD terms the rules mention, as ids of one :class:`TermDictionary`."""

from __future__ import annotations

from kg.reasoning.fast.terms import OWL, RDF, RDFS, XSD, TermDictionary, iri

#: attribute name -> IRI; every attribute of :class:`Vocabulary` is the id of one of these.
TERMS: dict[str, str] = {
    "type": RDF + "type",
    "first": RDF + "first",
    "rest": RDF + "rest",
    "nil": RDF + "nil",
    "property": RDF + "Property",
    "lang_string": RDF + "langString",
    "plain_literal": RDF + "PlainLiteral",
    "xml_literal": RDF + "XMLLiteral",
    "html": RDF + "HTML",
    "sub_class_of": RDFS + "subClassOf",
    "sub_property_of": RDFS + "subPropertyOf",
    "domain": RDFS + "domain",
    "range": RDFS + "range",
    "rdfs_class": RDFS + "Class",
    "resource": RDFS + "Resource",
    "literal": RDFS + "Literal",
    "datatype": RDFS + "Datatype",
    "member": RDFS + "member",
    "container_membership_property": RDFS + "ContainerMembershipProperty",
    "same_as": OWL + "sameAs",
    "different_from": OWL + "differentFrom",
    "all_different": OWL + "AllDifferent",
    "members": OWL + "members",
    "distinct_members": OWL + "distinctMembers",
    "equivalent_class": OWL + "equivalentClass",
    "equivalent_property": OWL + "equivalentProperty",
    "inverse_of": OWL + "inverseOf",
    "on_property": OWL + "onProperty",
    "some_values_from": OWL + "someValuesFrom",
    "all_values_from": OWL + "allValuesFrom",
    "has_value": OWL + "hasValue",
    "max_cardinality": OWL + "maxCardinality",
    "max_qualified_cardinality": OWL + "maxQualifiedCardinality",
    "on_class": OWL + "onClass",
    "intersection_of": OWL + "intersectionOf",
    "union_of": OWL + "unionOf",
    "complement_of": OWL + "complementOf",
    "one_of": OWL + "oneOf",
    "disjoint_with": OWL + "disjointWith",
    "all_disjoint_classes": OWL + "AllDisjointClasses",
    "property_disjoint_with": OWL + "propertyDisjointWith",
    "all_disjoint_properties": OWL + "AllDisjointProperties",
    "property_chain_axiom": OWL + "propertyChainAxiom",
    "has_key": OWL + "hasKey",
    "source_individual": OWL + "sourceIndividual",
    "assertion_property": OWL + "assertionProperty",
    "target_individual": OWL + "targetIndividual",
    "target_value": OWL + "targetValue",
    "thing": OWL + "Thing",
    "nothing": OWL + "Nothing",
    "owl_class": OWL + "Class",
    "restriction": OWL + "Restriction",
    "object_property": OWL + "ObjectProperty",
    "datatype_property": OWL + "DatatypeProperty",
    "transitive": OWL + "TransitiveProperty",
    "symmetric": OWL + "SymmetricProperty",
    "asymmetric": OWL + "AsymmetricProperty",
    "functional": OWL + "FunctionalProperty",
    "inverse_functional": OWL + "InverseFunctionalProperty",
    "irreflexive": OWL + "IrreflexiveProperty",
}

_INTEGERS = ("integer", "decimal")
#: XSD datatype -> the datatypes it is derived from (XML Schema 1.1 Part 2 built-in hierarchy), as owlrl types literals.
DATATYPE_ANCESTORS: dict[str, tuple[str, ...]] = {
    "dateTimeStamp": ("dateTime",),
    "integer": ("decimal",),
    "long": ("integer", "decimal"),
    "int": ("long", "integer", "decimal"),
    "short": ("int", "long", "integer", "decimal"),
    "byte": ("short", "int", "long", "integer", "decimal"),
    "nonNegativeInteger": _INTEGERS,
    "positiveInteger": ("nonNegativeInteger", *_INTEGERS),
    "unsignedLong": ("nonNegativeInteger", *_INTEGERS),
    "unsignedInt": ("unsignedLong", "nonNegativeInteger", *_INTEGERS),
    "unsignedShort": ("unsignedInt", "unsignedLong", "nonNegativeInteger", *_INTEGERS),
    "unsignedByte": ("unsignedShort", "unsignedInt", "unsignedLong", "nonNegativeInteger", *_INTEGERS),
    "nonPositiveInteger": _INTEGERS,
    "negativeInteger": ("nonPositiveInteger", *_INTEGERS),
    "normalizedString": ("string",),
    "token": ("normalizedString", "string"),
    "language": ("token", "normalizedString", "string"),
    "Name": ("token", "normalizedString", "string"),
    "NCName": ("Name", "token", "normalizedString", "string"),
    "NMTOKEN": ("Name", "token", "normalizedString", "string"),
}


class Vocabulary:
    """Ids of the built-in terms in one dictionary (``vocabulary.type`` is the id of ``rdf:type``)."""

    def __init__(self, terms: TermDictionary) -> None:
        for name, value in TERMS.items():
            setattr(self, name, terms.encode(iri(value)))
        self.datatype_ancestors: dict[int, tuple[int, ...]] = {
            terms.encode(iri(XSD + name)): tuple(terms.encode(iri(XSD + a)) for a in ancestors)
            for name, ancestors in DATATYPE_ANCESTORS.items()
        }

    def __getattr__(self, name: str) -> int:  # for type checkers: every TERMS key is an int attribute
        raise AttributeError(name)
