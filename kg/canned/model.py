"""What a canned query is: its metadata, its typed parameters and its SPARQL text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The kinds of value a parameter takes.
PARAMETER_TYPES: dict[str, str] = {
    "iri": "an IRI (full, prefixed like sector:business, or a short name in the parameter's namespace)",
    "literal": "a text",
    "integer": "an integer",
    "number": "a number (integer, decimal or double)",
    "date": "a date (YYYY-MM-DD)",
    "enum": "one of the allowed values",
}

#: Request parameters of a run that are not query parameters.
RESERVED_NAMES = frozenset({"format", "reasoning", "download", "page"})


def short_iri(iri: str, prefixes: Mapping[str, str] | None) -> str:
    """``prefix:local`` for ``iri`` with the longest matching prefix, else ``<iri>``."""
    matches = [(name, namespace) for name, namespace in (prefixes or {}).items() if iri.startswith(namespace)]
    if not matches:
        return f"<{iri}>"
    name, namespace = max(matches, key=lambda match: len(match[1]))
    return f"{name}:{iri[len(namespace):]}"


@dataclass(frozen=True)
class Parameter:
    """One parameter: a variable of the query that a caller sets, with its type and constraints."""

    name: str
    type: str
    label: str = ""
    description: str = ""
    default: str | None = None
    required: bool = True
    rdf_class: str | None = None
    """For ``iri`` parameters: the class (full IRI) the value must be an instance of."""
    namespace: str | None = None
    """For ``iri`` parameters: the namespace (full IRI) a short name is resolved against."""
    values: tuple[str, ...] = ()
    """The allowed values: an ``enum``'s, or (from grlc's ``enumerate``) those of a parameter of another type."""
    lang: str | None = None
    """For ``literal`` and ``enum`` parameters: the language tag of the bound literal."""
    minimum: int | None = None
    maximum: int | None = None
    datatype: str | None = None
    """For ``literal`` parameters: the datatype (full IRI) of the bound literal (grlc's ``?_name_xsd_gYear``)."""
    variable: str = ""
    """The query variable the value is bound to when it is not named like the parameter (grlc's ``?_name_iri``)."""

    @property
    def bound_variable(self) -> str:
        """The name (without ``?``) of the query variable this parameter sets."""
        return self.variable or self.name

    @property
    def expects(self) -> str:
        """What a value of this parameter must be, in words (for error messages and forms)."""
        return self.expected()

    def expected(self, prefixes: Mapping[str, str] | None = None) -> str:
        """:attr:`expects`, with IRIs written as prefixed names where ``prefixes`` allow."""
        if self.values:
            return "one of: " + ", ".join(self.values)
        if self.datatype:
            return f"a literal of type {short_iri(self.datatype, prefixes)}"
        if self.type == "iri" and self.rdf_class:
            return f"the IRI of an instance of {short_iri(self.rdf_class, prefixes)}" + (
                f" (or its short name in {short_iri(self.namespace, prefixes)})" if self.namespace else "")
        if self.type == "integer" and (self.minimum is not None or self.maximum is not None):
            low = "" if self.minimum is None else f" ≥ {self.minimum}"
            high = "" if self.maximum is None else f" ≤ {self.maximum}"
            return "an integer" + (low + (" and" if low and high else "") + high)
        return PARAMETER_TYPES[self.type]

    def to_json(self) -> dict[str, Any]:
        """The parameter as the REST API shows it (only the keys that apply)."""
        document: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label": self.label or self.name,
            "description": self.description,
            "required": self.required,
        }
        optional = {
            "default": self.default,
            "class": self.rdf_class,
            "namespace": self.namespace,
            "values": list(self.values) or None,
            "lang": self.lang,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "datatype": self.datatype,
            "variable": self.variable or None,
        }
        document.update({key: value for key, value in optional.items() if value is not None})
        return document


@dataclass(frozen=True)
class CannedQuery:
    """A parsed ``.rq`` file: name, metadata, parameters and the full text (header included)."""

    name: str
    title: str
    sparql: str
    description: str = ""
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    form: str = "SELECT"
    """SELECT, ASK, CONSTRUCT or DESCRIBE."""
    reasoning: str | None = None
    """The entailment the query is written for (runs use it unless asked otherwise); None: the server's default."""
    shipped: bool = False
    revision: int | None = None
    """For saved queries: the revision number of the current version."""
    pagination: int | None = None
    """grlc's ``pagination``: rows per page of a run (``page=`` picks the page); None: not paged."""
    method: str | None = None
    """grlc's ``method`` (GET or POST), as declared; the API accepts both."""
    notes: tuple[str, ...] = ()
    """What the header asks that does not apply here (grlc's ``endpoint``, ``transform``…)."""

    @property
    def answers_with_graph(self) -> bool:
        """True for CONSTRUCT and DESCRIBE queries (RDF answers), False for SELECT and ASK (solutions)."""
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def parameter(self, name: str) -> Parameter | None:
        """The parameter called ``name``, if any."""
        return next((p for p in self.parameters if p.name == name), None)

    def matches(self, tag: str | None = None, text: str | None = None) -> bool:
        """True if the query has ``tag`` (any case) and mentions every word of ``text`` in its metadata."""
        if tag and tag.casefold() not in {t.casefold() for t in self.tags}:
            return False
        if text:
            haystack = " ".join((self.name, self.title, self.description, *self.tags)).casefold()
            return all(word in haystack for word in text.casefold().split())
        return True

    def summary(self) -> dict[str, Any]:
        """The catalogue entry: metadata and parameters, without the SPARQL text."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "tags": list(self.tags),
            "parameters": [p.to_json() for p in self.parameters],
            "form": self.form,
            "reasoning": self.reasoning,
            "source": "shipped" if self.shipped else "saved",
            "revision": self.revision,
            "pagination": self.pagination,
            "method": self.method,
            "notes": list(self.notes),
        }

    def to_json(self) -> dict[str, Any]:
        """The catalogue entry plus the full ``.rq`` text as ``sparql``."""
        return {**self.summary(), "sparql": self.sparql}
