"""The SPARQL 1.1 Graph Store HTTP Protocol: which graph a request names, and the graph its body carries.

:func:`parse_request` reads the method, the query string and the IRI of a
directly addressed graph and returns a :class:`GraphStoreRequest` — or raises a
:class:`~kg.sparql.protocol.ProtocolError`.  A graph is named indirectly by
``?graph=IRI`` (an absolute IRI) or ``?default``, or directly by its own IRI;
naming none addresses the store itself (a POST there creates a graph).

:func:`read_graph` reads a request body into triples: its ``Content-Type``
names one of the registry's RDF formats (:mod:`kg.formats`), or is
``multipart/form-data`` whose parts each do; RDF text must be UTF-8 (another
``charset`` is 415, as for SPARQL bodies); a syntax error is a 400 with its line
and column.  Blank nodes are fresh for every document.  A TriG or N-Quads
body may carry triples of its default graph only: a request writes one graph.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass

import pyoxigraph as ox

from kg.formats import GRAPH, Format, formats_for
from kg.sparql.entailment import parse_reasoning
from kg.sparql.errors import HttpError
from kg.sparql.protocol import UTF8_CHARSETS, ProtocolError, decode_form, decode_utf8, media_type_of

MULTIPART = "multipart/form-data"
READS = ("GET", "HEAD")


@dataclass(frozen=True)
class GraphStoreRequest:
    """What a Graph Store request addresses: one graph (``default`` or ``iri``), or the store itself."""

    method: str
    iri: str | None = None
    """The graph's IRI (``None``: the default graph, or the store itself)."""
    default: bool = False
    """True when the default graph is named (``?default``)."""
    reasoning: str | None = None
    """For reads of the default graph: the entailment mode whose closure is added (``reasoning=``)."""
    format: tuple[str, ...] = ()
    """``format=`` values, in order: they override ``Accept``."""

    @property
    def names_a_graph(self) -> bool:
        """False for a request to the store itself (no graph named)."""
        return self.default or self.iri is not None

    @property
    def label(self) -> str:
        """The graph as messages name it."""
        return "the default graph" if self.iri is None else f"the graph <{self.iri}>"


def parse_request(method: str, query_string: bytes, direct_iri: str | None = None) -> GraphStoreRequest:
    """What a request to the graph store asks for; ``direct_iri`` is the IRI of a directly addressed graph."""
    values: dict[str, list[str]] = {}
    for name, value in decode_form(query_string, "the URL's query string"):
        values.setdefault(name, []).append(value)
    graphs, default = values.get("graph", []), "default" in values
    if direct_iri is not None and (graphs or default):
        raise ProtocolError(400, f"this URL names the graph <{direct_iri}> itself; 'graph' and 'default' parameters "
                                 "belong on the store's own URL")
    if graphs and default:
        raise ProtocolError(400, "name either one graph (?graph=IRI) or the default graph (?default), not both")
    if len(graphs) > 1:
        raise ProtocolError(400, f"the 'graph' parameter is given {len(graphs)} times; a request addresses one graph")
    iri = direct_iri if direct_iri is not None else (graphs[0] if graphs else None)
    if iri is not None:
        try:
            ox.NamedNode(iri)
        except ValueError as error:
            raise ProtocolError(400, f"the graph is not named by an absolute IRI: {iri[:200]!r} ({error})") from None
    reasoning_values = values.get("reasoning", [])
    if len(reasoning_values) > 1:
        raise ProtocolError(400, "the 'reasoning' parameter is given more than once; give it once")
    reasoning = parse_reasoning(reasoning_values[0]) if reasoning_values else None
    if reasoning is not None and not (method in READS and default):
        raise ProtocolError(400, "'reasoning' applies to reading the default graph (GET ?default&reasoning=owlrl); "
                                 "a named graph is served as stored, and writes change asserted triples only")
    request = GraphStoreRequest(method, iri, default, reasoning, tuple(values.get("format", [])))
    if not request.names_a_graph and method != "POST":
        raise ProtocolError(400, f"a {method} names its graph: add ?graph=IRI (or ?default for the default graph); "
                                 "only a POST to the store itself, which creates a new graph, names none")
    return request


def read_graph(content_type: str | None, body: bytes, base_iri: str) -> list[ox.Triple]:
    """The triples of a request body, relative IRIs resolved against ``base_iri``; an ``HttpError`` if unreadable."""
    media_type, charset = media_type_of(content_type)
    if media_type == MULTIPART:
        return _read_parts(content_type or "", body, base_iri)
    return _read_document(_format(media_type), charset, body, base_iri)


def _format(media_type: str | None) -> Format:
    """The registry's RDF format for ``media_type`` (415 when there is none)."""
    offered = formats_for(GRAPH)
    for fmt in offered:
        if media_type in (fmt.media_type, *fmt.aliases):
            return fmt
    accepted = ", ".join([*(fmt.media_type for fmt in offered), MULTIPART])
    if media_type is None:
        raise ProtocolError(415, f"a graph store write needs a Content-Type: one of {accepted}")
    raise ProtocolError(415, f"cannot read a {media_type} body as RDF; send one of {accepted}")


def _read_document(fmt: Format, charset: str | None, body: bytes, base_iri: str) -> list[ox.Triple]:
    """The triples of one RDF document in ``fmt``."""
    if charset is not None and charset not in UTF8_CHARSETS:
        raise ProtocolError(415, f"a {fmt.media_type} body must be UTF-8; charset={charset} was given: send the text "
                                 "as UTF-8")
    if fmt.engine == ox.RdfFormat.RDF_XML and b"<!ENTITY" in body:
        # pyoxigraph expands internal entities without bound: a few hundred bytes can make gigabytes.
        raise ProtocolError(400, "the RDF/XML body declares XML entities (<!ENTITY …>), which are refused")
    text = decode_utf8(body)
    try:
        quads = list(ox.parse(text, format=fmt.engine, base_iri=base_iri, rename_blank_nodes=True))
    except SyntaxError as error:
        raise _syntax_error(fmt, error) from None
    named = next((quad for quad in quads if not isinstance(quad.graph_name, ox.DefaultGraph)), None)
    if named is not None:
        raise ProtocolError(400, f"the {fmt.label} body has triples in the named graph {named.graph_name}; a graph "
                                 "store request writes one graph: put its triples in the document's default graph")
    return [quad.triple for quad in quads]


def _syntax_error(fmt: Format, error: SyntaxError) -> HttpError:
    """A 400 naming the line and column of the parser's ``error`` (when it gives them)."""
    message = str(error.msg or error)
    _, found, detail = message.partition(": ")
    if message.startswith("Parser error at ") and found:
        message = detail
    line, column = error.lineno, error.offset
    where = f" at line {line}, column {column}" if line else ""
    return HttpError(f"syntax error in the {fmt.label} body{where}: {message}", 400, line=line, column=column)


def _read_parts(content_type: str, body: bytes, base_iri: str) -> list[ox.Triple]:
    """The triples of every part of a ``multipart/form-data`` body, each an RDF document with its own type."""
    header = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not message.is_multipart() or message.defects:
        raise ProtocolError(400, "the multipart/form-data body is malformed (check its boundary)")
    triples: list[ox.Triple] = []
    for part in message.iter_parts():
        name = part.get_filename() or part.get_param("name", header="content-disposition") or "a part"
        part_type = part.get("Content-Type")
        if part_type is None:
            raise ProtocolError(415, f"the multipart part {name!r} has no Content-Type; give each part its RDF format")
        media_type, charset = media_type_of(part_type)
        if media_type == MULTIPART:
            raise ProtocolError(415, f"the multipart part {name!r} is itself multipart; send RDF documents")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        triples += _read_document(_format(media_type), charset, data, base_iri)
    return triples
