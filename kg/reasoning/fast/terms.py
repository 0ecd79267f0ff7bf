"""Integer encoding of RDF terms for the fast engine.

Terms are identified by their canonical N-Triples spelling (``<iri>``,
``_:label``, ``"lexical"^^<datatype>``, ``"text"@lang``, ``"plain"``), which
is what Oxigraph writes when it dumps a graph; triples become ``(s, p, o)``
tuples of small integers.  Keeping the spelling as the key means a graph can
go from the store to the engine and back as N-Triples text without creating
a Python object per term.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

Fact = tuple[int, int, int]

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"


def iri(value: str) -> str:
    """The N-Triples spelling of an IRI."""
    return f"<{value}>"


def term_key(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """The N-Triples spelling of a pyoxigraph term (the dictionary key)."""
    return str(term)


def is_literal(key: str) -> bool:
    """True for the spelling of a literal."""
    return key[0] == '"'


def literal_datatype(key: str) -> str:
    """The datatype IRI spelling of a literal's spelling (``xsd:string`` for plain, ``rdf:langString`` for tagged)."""
    end = key.rfind('"')
    suffix = key[end + 1:]
    if suffix.startswith("^^"):
        return suffix[2:]
    if suffix.startswith("@"):
        return iri(RDF + "langString")
    return iri(XSD + "string")


class TermDictionary:
    """A two-way map between term spellings and dense integer ids."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.keys: list[str] = []

    def __len__(self) -> int:
        return len(self.keys)

    def encode(self, key: str) -> int:
        """The id of ``key``, allotting one if it is new."""
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.keys)
            self.keys.append(key)
        return found

    def lookup(self, key: str) -> int | None:
        """The id of ``key`` if the dictionary knows it."""
        return self.ids.get(key)

    def encode_ntriples(self, text: str) -> list[Fact]:
        """Facts for canonical N-Triples ``text`` (one triple per line, as Oxigraph writes it)."""
        ids, keys = self.ids, self.keys
        facts: list[Fact] = []
        append = facts.append
        for line in text.splitlines():
            if not line:
                continue
            subject, predicate, rest = line.split(" ", 2)
            obj = rest[:-2]
            triple = []
            for key in (subject, predicate, obj):
                found = ids.get(key)
                if found is None:
                    found = ids[key] = len(keys)
                    keys.append(key)
                triple.append(found)
            append((triple[0], triple[1], triple[2]))
        return facts

    def encode_triples(self, triples: Iterable[ox.Triple]) -> list[Fact]:
        """Facts for pyoxigraph triples."""
        code = self.encode
        return [(code(str(t.subject)), code(str(t.predicate)), code(str(t.object))) for t in triples]

    def ntriples(self, facts: Iterable[Fact]) -> str:
        """Canonical N-Triples text for ``facts``."""
        keys = self.keys
        return "".join(f"{keys[s]} {keys[p]} {keys[o]} .\n" for s, p, o in facts)

    def triples(self, facts: Iterable[Fact]) -> Iterator[ox.Triple]:
        """pyoxigraph triples for ``facts`` (blank node labels kept)."""
        text = self.ntriples(facts)
        for quad in ox.parse(text, format=ox.RdfFormat.N_TRIPLES):
            yield quad.triple
