"""The representations every dereferenceable IRI offers, and content negotiation between them.

The flavours are rows of the one format registry (:data:`kg.formats.FORMATS`):
its RDF formats, and HTML for people.  Order matters: when a client rates
several equally (rdflib lists all its parsers without q-values; ``*/*``), the
first wins, so triple formats come before quad formats and Turtle comes first.
"""

from __future__ import annotations

from werkzeug.datastructures import MIMEAccept

from kg.formats import Format, best_match, format_named
from kg.sparql.errors import HttpError

SERIALIZED = ("turtle", "jsonld", "rdfxml", "nt", "trig", "nquads")
"""The RDF formats a description is written in, in order of preference."""

RDF_FLAVOURS: tuple[Format, ...] = tuple(format_named(name) for name in SERIALIZED)
HTML = format_named("html")
FLAVOURS: tuple[Format, ...] = (*RDF_FLAVOURS, HTML)


class LinkedDataError(HttpError):
    """A request for linked data that cannot be answered, and the flavour to answer in when it is known."""

    def __init__(self, status: int, message: str, flavour: Format | None = None, negotiated: bool = False) -> None:
        super().__init__(message, status)
        self.flavour = flavour
        self.negotiated = negotiated
        """Whether ``flavour`` was chosen from ``Accept`` (so the answer varies with it)."""


def flavour_for_extension(extension: str) -> Format | None:
    """The flavour served at document URLs ending in ``.extension``."""
    return next((f for f in FLAVOURS if f.extension == extension), None)


def flavour_named(value: str) -> Format | None:
    """The flavour a ``format=`` parameter names: short name, media type, extension or nickname."""
    value = value.strip().lower()
    return next((f for f in FLAVOURS if f.is_named(value)), None)


def negotiate(accept: MIMEAccept) -> Format | None:
    """The flavour the ``Accept`` header prefers (q-values honoured); ``None`` when none is acceptable."""
    return best_match(accept, FLAVOURS)


def split_extension(path: str) -> tuple[str, Format | None]:
    """``("id/person/x", turtle)`` for ``"id/person/x.ttl"``; the path unchanged and ``None`` without a known one."""
    stem, dot, extension = path.rpartition(".")
    if dot and "/" not in extension:
        flavour = flavour_for_extension(extension)
        if flavour is not None:
            return stem, flavour
    return path, None
