"""The representations every dereferenceable IRI offers, and content negotiation between them.

The RDF flavours are the graph formats of the one format table
(:data:`kg.sparql.formats.RESULT_FORMATS`), plus HTML for people.  Order
matters: when a client rates several equally (rdflib lists all its parsers
without q-values; ``*/*``), the first wins, so triple formats come before
quad formats and Turtle comes first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MIMEAccept

from kg.sparql.errors import HttpError
from kg.sparql.formats import GRAPH, formats_for

QUAD_FORMATS = frozenset({"trig", "nquads"})
SERIALIZED = ("turtle", "jsonld", "rdfxml", "nt", "trig", "nquads")
"""The RDF formats a description is written in, in order of preference."""


@dataclass(frozen=True)
class Flavour:
    """One representation: short name, media type, file extension, accepted aliases."""

    name: str
    media_type: str
    extension: str
    label: str
    aliases: tuple[str, ...] = field(default=())

    @property
    def is_html(self) -> bool:
        """Whether this is the page for people."""
        return self.name == "html"

    @property
    def has_graphs(self) -> bool:
        """Whether the format carries named graphs (and so tells asserted from inferred facts)."""
        return self.name in QUAD_FORMATS

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value."""
        return f"{self.media_type}; charset=utf-8"


_LABELS = {
    "turtle": "Turtle",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF/XML",
    "nt": "N-Triples",
    "trig": "TriG",
    "nquads": "N-Quads",
}


def _rdf_flavours() -> tuple[Flavour, ...]:
    by_name = {fmt.name: fmt for fmt in formats_for(GRAPH)}
    return tuple(
        Flavour(name, by_name[name].media_type, by_name[name].extension, _LABELS[name], by_name[name].aliases)
        for name in SERIALIZED
        if name in by_name
    )


RDF_FLAVOURS: tuple[Flavour, ...] = _rdf_flavours()
HTML = Flavour("html", "text/html", "html", "HTML", ("application/xhtml+xml",))
FLAVOURS: tuple[Flavour, ...] = (*RDF_FLAVOURS, HTML)


class LinkedDataError(HttpError):
    """A request for linked data that cannot be answered, and the flavour to answer in when it is known."""

    def __init__(self, status: int, message: str, flavour: Flavour | None = None, negotiated: bool = False) -> None:
        super().__init__(message, status)
        self.flavour = flavour
        self.negotiated = negotiated
        """Whether ``flavour`` was chosen from ``Accept`` (so the answer varies with it)."""


def flavour_for_extension(extension: str) -> Flavour | None:
    """The flavour served at document URLs ending in ``.extension``."""
    return next((f for f in FLAVOURS if f.extension == extension), None)


def flavour_named(value: str) -> Flavour | None:
    """The flavour a ``format=`` parameter names: short name, extension or media type."""
    value = value.strip().lower()
    return next((f for f in FLAVOURS if value in (f.name, f.extension, f.media_type)), None)


def negotiate(accept: MIMEAccept) -> Flavour | None:
    """The flavour the ``Accept`` header prefers (q-values honoured); ``None`` when none is acceptable."""
    if not accept:
        return FLAVOURS[0]
    by_type: dict[str, Flavour] = {}
    for flavour in FLAVOURS:
        for media_type in (flavour.media_type, *flavour.aliases):
            by_type.setdefault(media_type, flavour)
    best = accept.best_match(list(by_type))
    return by_type[best] if best else None


def split_extension(path: str) -> tuple[str, Flavour | None]:
    """``("id/person/x", turtle)`` for ``"id/person/x.ttl"``; the path unchanged and ``None`` without a known one."""
    stem, dot, extension = path.rpartition(".")
    if dot and "/" not in extension:
        flavour = flavour_for_extension(extension)
        if flavour is not None:
            return stem, flavour
    return path, None
