"""Query answers in the registry's formats (:mod:`kg.formats`): negotiation for ``/sparql`` and serialization.

SELECT and ASK answers use the W3C SPARQL 1.1 results formats; CONSTRUCT and
DESCRIBE answers use RDF formats.  Graphs and booleans are written by the
store's engine (pyoxigraph); SELECT rows cut to a row cap by our writers
(:mod:`kg.sparql.results`), which follow the same specs.  A query job first
tries the engine's own writers, counted and cut as they stream
(:mod:`kg.sparql.engine_writers`), and comes here when they cannot cut an answer.  :func:`negotiate`
picks a format from ``format=`` or ``Accept`` (:func:`kg.formats.best_match`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kg.formats import GRAPH, SOLUTIONS, Format, best_match, format_named, formats_for
from kg.sparql.errors import QueryError
from kg.sparql.results import SOLUTION_WRITERS, QueryAnswer

__all__ = [  # the registry's names are re-exported for the modules that take them from here
    "GRAPH", "RESULT_FORMATS", "SOLUTIONS", "Format", "Serialized", "answer_kind", "format_named", "formats_for",
    "negotiate", "negotiate_answer", "negotiate_header", "prefixes_used", "serialize", "serialize_capped", "write_graph",
]

RESULT_FORMATS: tuple[Format, ...] = (*formats_for(SOLUTIONS), *formats_for(GRAPH))
"""The formats a query answer may be written in."""


def negotiate(kind: str, accept: MIMEAccept | None, overrides: Sequence[str] = ()) -> Format | None:
    """The format for an answer of ``kind``: ``overrides`` (``format=`` values, in order) first, then ``Accept``.

    An override may be a short name, a media type, an extension or a nickname;
    the first that names a format of ``kind`` wins.  If none names any format at
    all, that is a :class:`QueryError`.  ``None`` means nothing acceptable is offered.
    """
    offered = formats_for(kind)
    wanted = [value.strip().lower() for value in overrides if value.strip()]
    if wanted:
        if not any(fmt.is_named(value) for fmt in RESULT_FORMATS for value in wanted):
            known = ", ".join(fmt.name for fmt in RESULT_FORMATS)
            raise QueryError(f"unknown format {', '.join(map(repr, overrides))}; use one of: {known} (or a media type)")
        return next((fmt for value in wanted for fmt in offered if fmt.is_named(value)), None)
    return best_match(accept, offered)


def negotiate_answer(accept: MIMEAccept | None, overrides: Sequence[str] = ()) -> tuple[Format | None, Format | None]:
    """The formats for a SELECT/ASK answer and for a CONSTRUCT/DESCRIBE answer, before knowing which one comes.

    A client whose ``Accept`` names formats of one kind only (rdflib's SPARQLStore
    sends result-set types even with a CONSTRUCT) gets the other kind in its default
    format; ``None`` remains only when ``Accept`` names nothing offered, or ``format=`` rules the kind out.
    """
    solutions, graph = negotiate(SOLUTIONS, accept, overrides), negotiate(GRAPH, accept, overrides)
    if not overrides:
        if solutions is None and graph is not None:
            solutions = formats_for(SOLUTIONS)[0]
        elif graph is None and solutions is not None:
            graph = formats_for(GRAPH)[0]
    return solutions, graph


@functools.lru_cache(maxsize=512)
def negotiate_header(accept: str, overrides: tuple[str, ...] = ()) -> tuple[Format | None, Format | None]:
    """:func:`negotiate_answer` for a raw ``Accept`` header, remembered: clients send the same few headers again and
    again, and matching one against every format costs more than answering a light query."""
    return negotiate_answer(parse_accept_header(accept, MIMEAccept), overrides)


@dataclass(frozen=True)
class Serialized:
    """An answer written in a format: the bytes, the rows (or triples) written, and whether a cap cut it."""

    body: bytes
    rows: int
    truncated: bool


def serialize_capped(
    answer: QueryAnswer, fmt: Format, max_rows: int, prefixes: Mapping[str, str] | None = None
) -> Serialized:
    """``answer`` in ``fmt`` with at most ``max_rows`` solutions (or triples); stops reading the answer past that."""
    if fmt.kind != answer_kind(answer):
        raise ValueError(f"{fmt.media_type} cannot carry a {answer_kind(answer)} answer")
    if isinstance(answer, ox.QueryBoolean):
        return Serialized(answer.serialize(format=fmt.engine), 1, False)
    kept = list(itertools.islice(answer, max_rows + 1))
    truncated = len(kept) > max_rows
    del kept[max_rows:]
    if isinstance(answer, ox.QuerySolutions):
        variables = [variable.value for variable in answer.variables]
        body = SOLUTION_WRITERS[fmt.name](variables, [list(solution) for solution in kept])
        return Serialized(body, len(kept), truncated)
    return Serialized(write_graph(kept, fmt, prefixes), len(kept), truncated)


def write_graph(
    triples: list[ox.Triple] | list[ox.Quad], fmt: Format, prefixes: Mapping[str, str] | None = None
) -> bytes:
    """``triples`` (or quads, for TriG and N-Quads) in the RDF format ``fmt``; Turtle and TriG declare the
    ``prefixes`` they use."""
    engine_format = fmt.engine
    if prefixes and engine_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return ox.serialize(triples, format=engine_format, prefixes=prefixes_used(triples, prefixes))
    return ox.serialize(triples, format=engine_format)


def answer_kind(answer: QueryAnswer) -> str:
    """``graph`` for CONSTRUCT/DESCRIBE answers, ``solutions`` for SELECT/ASK."""
    return GRAPH if isinstance(answer, ox.QueryTriples) else SOLUTIONS


def serialize(answer: QueryAnswer, fmt: Format, prefixes: Mapping[str, str] | None = None) -> bytes:
    """``answer`` written in ``fmt`` (which must carry the answer's kind)."""
    if fmt.kind != answer_kind(answer):
        raise ValueError(f"{fmt.media_type} cannot carry a {answer_kind(answer)} answer")
    if isinstance(answer, ox.QueryTriples):
        engine_format = fmt.engine
        if prefixes and engine_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
            triples = list(answer)
            return ox.serialize(triples, format=engine_format, prefixes=prefixes_used(triples, prefixes))
        return ox.serialize(answer, format=engine_format)
    return answer.serialize(format=fmt.engine)


def prefixes_used(triples: Iterable[ox.Triple] | Iterable[ox.Quad], prefixes: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``prefixes`` whose namespace is the namespace part of an IRI in ``triples``."""
    namespaces: set[str] = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            iri = term.value if isinstance(term, ox.NamedNode) else (
                term.datatype.value if isinstance(term, ox.Literal) else "")
            cut = max(iri.rfind("#"), iri.rfind("/"))
            if cut >= 0:
                namespaces.add(iri[: cut + 1])
    return {name: ns for name, ns in prefixes.items() if ns in namespaces}
