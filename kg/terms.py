"""Conversions between pyoxigraph terms (our storage and evaluation model) and rdflib terms (our Python API)."""

from __future__ import annotations

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
RdflibTriple = tuple[Node, Node, Node]


def to_rdflib(term: OxTerm) -> Node:
    """The rdflib term for a pyoxigraph term (blank node labels are kept)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"no rdflib equivalent for {term!r}")


def to_ox(term: Node) -> OxTerm:
    """The pyoxigraph term for an rdflib term (blank node labels are kept)."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"no pyoxigraph equivalent for {term!r}")


def triple_to_rdflib(triple: ox.Triple) -> RdflibTriple:
    """An rdflib (s, p, o) tuple for a pyoxigraph triple."""
    return to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)


def triple_to_ox(subject: Node, predicate: Node, obj: Node) -> ox.Triple:
    """A pyoxigraph triple for rdflib terms."""
    return ox.Triple(to_ox(subject), to_ox(predicate), to_ox(obj))
