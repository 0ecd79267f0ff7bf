"""Namespaces and the prefixes every query may use without declaring them.

The project's own IRIs are minted under one configurable base (``KG_BASE_URI``):
ontology terms under ``<base>ontology#``, resources under ``<base>id/<kind>/``,
graphs under ``<base>graph/``.  Data and ontology files are written with
relative IRIs and resolved against the base when they are loaded, so nothing
here or in the files spells the base out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

#: Well-known vocabularies, bound to their usual prefixes.
STANDARD_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "prov": "http://www.w3.org/ns/prov#",
    "dct": "http://purl.org/dc/terms/",
    "dcterms": "http://purl.org/dc/terms/",
    "qb": "http://purl.org/linked-data/cube#",
    "time": "http://www.w3.org/2006/time#",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}

#: Kinds of resource minted under ``<base>id/<kind>/``; each is also a prefix
#: (``person:liu-hua`` is ``<base>id/person/liu-hua``).
RESOURCE_KINDS: tuple[str, ...] = (
    "person",
    "organization",
    "post",
    "event",
    "participation",
    "place",
    "treaty",
    "law",
    "status",
    "initiative",
    "topic",
    "sector",
    "role",
    "statement",
    "observation",
    "measure",
    "unit",
    "plan",
    "priority",
    "passage",
    "document",
    "scheme",
)


@dataclass(frozen=True)
class ProjectNamespaces:
    """The project's IRIs under one base."""

    base: str

    @property
    def ontology(self) -> str:
        """The ontology's own IRI (``<base>ontology``)."""
        return self.base + "ontology"

    @property
    def terms(self) -> str:
        """Namespace of ontology terms (``<base>ontology#``)."""
        return self.base + "ontology#"

    @property
    def resources(self) -> str:
        """Namespace of minted resources (``<base>id/``)."""
        return self.base + "id/"

    @property
    def graphs(self) -> str:
        """Namespace of the dataset's named graphs (``<base>graph/``)."""
        return self.base + "graph/"

    def graph(self, name: str) -> str:
        """IRI of the named graph ``name`` (e.g. ``asserted``)."""
        return self.graphs + name

    def prefixes(self) -> dict[str, str]:
        """All prefixes predeclared for queries: standard, ``kg:``, ``id:``, one per kind (a copy to change at will)."""
        return dict(self._prefixes)

    def prefixes_in(self, text: str) -> dict[str, str]:
        """The predeclared prefixes ``text`` may use (``name:`` occurs in it; all of them if it holds a ``\\u``
        escape, which may spell one): the engine parses the prefix map it is given for every query."""
        if "\\u" in text or "\\U" in text:
            return self.prefixes()
        return {name: iri for needle, name, iri in self._needles if needle in text}

    @functools.cached_property
    def _needles(self) -> tuple[tuple[str, str, str], ...]:
        """``(name + ":", name, namespace)`` for each predeclared prefix (the text sought, built once)."""
        return tuple((name + ":", name, iri) for name, iri in self._prefixes.items())

    @functools.cached_property
    def _prefixes(self) -> dict[str, str]:
        own = {"kg": self.terms, "id": self.resources, "graph": self.graphs}
        kinds = {kind: f"{self.resources}{kind}/" for kind in RESOURCE_KINDS}
        return {**STANDARD_PREFIXES, **own, **kinds}


def sparql_prologue(prefixes: dict[str, str]) -> str:
    """``PREFIX`` lines for ``prefixes``, for engines that take no prefix map."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())
