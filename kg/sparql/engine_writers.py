"""Answers written by the engine's own serializers, counted, and cut to a row cap, as they stream.

pyoxigraph writes a whole answer in Rust, two to three times faster than our
writers (:mod:`kg.sparql.results`) build it from Python rows, but it cannot stop
at a row cap.  So the engine writes into a :class:`_Sink` that counts rows as
the bytes come, and stops the engine (and the evaluation, which is lazy) once it
holds more rows than the cap, or more bytes than :data:`BUDGET`:

* N-Triples, N-Quads and TSV have one row per line (their values never hold a raw
  line break), so they are counted in line breaks and cut after the cap-th row;
* SPARQL XML has one ``<result>`` element per row (a value's ``<`` is always
  escaped), so it is counted in those and cut before the first row past the cap;
* SPARQL JSON has no such mark in its stream; its rows are counted once it is
  written (:func:`json_rows`), and an answer past the cap is left to our writers.

What these cannot write (past the budget, a JSON answer past the cap) is reported
as ``None``: the caller evaluates the query again and writes it with our writers,
which stop reading the answer at the cap.  CSV, Turtle, TriG, RDF/XML and JSON-LD
are always left to them (CSV values may hold raw line breaks; the others need the
prefixes used, or have no row marks).
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from kg.formats import Format
from kg.sparql.formats import Serialized

#: Bytes an answer written by the engine may take; a larger one is written by our capped writers.
BUDGET = 16 * 1024 * 1024

_XML_ROW = b"<result>"
_XML_END = b"</results></sparql>"


class _Full(Exception):
    """Raised from the sink to stop the engine: it has more rows than the cap, or more bytes than the budget."""


class _Sink:
    """A binary file the engine writes into: keeps the chunks and counts ``mark`` across them, and stops the engine
    once more than ``most_marks`` have come or the bytes pass ``budget``."""

    def __init__(self, mark: bytes | None, most_marks: int, budget: int) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.marks = 0
        self.full = False
        self._mark = mark
        self._most = most_marks
        self._budget = budget
        self._tail = b""  # the end of the last chunk, where a mark may begin

    def write(self, data: bytes) -> int:
        self.chunks.append(data)
        self.size += len(data)
        if self._mark is not None:
            reach = len(self._mark) - 1  # a mark may begin in the last chunk and end in this one
            if reach:
                self.marks += (self._tail + data[:reach]).count(self._mark)
                self._tail = (self._tail + data)[-reach:]
            self.marks += data.count(self._mark)
        if self.size > self._budget or self.marks > self._most:
            self.full = True
            raise _Full
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the chunks are kept."""

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


def _lines(sink: _Sink, header: int, cap: int) -> Serialized | None:
    """A line-per-row answer (``header`` lines before the rows): the whole of it, or its first ``cap`` rows."""
    body = sink.body
    rows = sink.marks - header
    if rows <= cap:
        return None if sink.full else Serialized(body, rows, False)  # full with no more rows: stopped by the budget
    kept = body.split(b"\n", header + cap)[: header + cap]
    return Serialized(b"\n".join(kept) + b"\n", cap, True)


def _xml(sink: _Sink, cap: int) -> Serialized | None:
    """A SPARQL XML answer: the whole of it, or cut before its first row past ``cap``."""
    body = sink.body
    rows = sink.marks
    if rows <= cap:
        return None if sink.full else Serialized(body, rows, False)
    cut = -1
    for _ in range(cap + 1):
        cut = body.index(_XML_ROW, cut + 1)
    return Serialized(body[:cut] + _XML_END, cap, True)


def _json(sink: _Sink, cap: int) -> Serialized | None:
    """A SPARQL JSON answer, whole, unless it passed the budget or holds more than ``cap`` rows."""
    if sink.full:
        return None
    body = sink.body
    rows = json_rows(body)
    return Serialized(body, rows, False) if rows <= cap else None


def json_rows(body: bytes) -> int:
    """The rows of a SPARQL JSON answer written by the engine, counted in its bytes.

    The engine writes the rows last, each an object whose first member is a
    variable's, so every row but the first begins ``},{"``: a string cannot hold
    that (its ``"`` would be escaped), and a bound value, or a triple term's
    part, follows a member name, never a ``,``.  A row with no bound variable is
    written ``{}``, which a string may hold too: then the document is parsed.
    """
    if body.rfind(b"{}") >= 0:  # (rfind: several times faster than ``in`` on such text)
        return len(json.loads(body)["results"]["bindings"])
    if body.endswith(b'"bindings":[]}}'):
        return 0
    return body.count(b'},{"') + 1


#: Lines before the rows, for the formats with one row per line.
_HEADER_LINES = {"nt": 0, "nquads": 0, "tsv": 1}


def writes_natively(fmt: Format) -> bool:
    """Whether :func:`write_natively` may write answers in ``fmt``."""
    return fmt.name in _HEADER_LINES or fmt.name in ("xml", "json")


def write_natively(answer: ox.QuerySolutions | ox.QueryTriples, fmt: Format, cap: int,
                   budget: int = BUDGET) -> Serialized | None:
    """``answer`` in ``fmt`` (one :func:`writes_natively` accepts), written by the engine with at most ``cap`` rows;
    ``None`` when it must be written by our capped writers (past the cap in JSON, or past ``budget`` bytes before the
    cap): the answer is then partly read, and must be evaluated again."""
    header = _HEADER_LINES.get(fmt.name)
    if header is not None:
        return _lines(_drain(answer, fmt, _Sink(b"\n", header + cap, budget)), header, cap)
    if fmt.name == "xml":
        return _xml(_drain(answer, fmt, _Sink(_XML_ROW, cap, budget)), cap)
    return _json(_drain(answer, fmt, _Sink(None, 0, budget)), cap)


def _drain(answer: ox.QuerySolutions | ox.QueryTriples, fmt: Format, sink: _Sink) -> _Sink:
    """Have the engine write ``answer`` into ``sink`` until it is written or the sink is full."""
    try:
        answer.serialize(sink, format=fmt.engine)  # type: ignore[arg-type]
    except _Full:
        pass
    return sink
