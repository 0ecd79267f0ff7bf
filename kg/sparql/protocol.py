"""The SPARQL 1.1 Protocol: what an HTTP request asks for, or why it is malformed.

:func:`parse_request` reads the method, query string, ``Content-Type`` and body
of a request to ``/sparql`` and returns a :class:`QueryRequest`,
:class:`UpdateRequest` or :class:`DescriptionRequest` — or raises a
:class:`ProtocolError` with the HTTP status and a message saying what is wrong.
Text is decoded strictly (no silent replacement characters).  A SPARQL body
(``application/sparql-query`` or ``-update``) must be UTF-8, as the protocol
says (a UTF-8 byte-order mark is skipped): another ``charset`` is 415, as the
W3C test ``bad_query_non_utf8`` expects, and bytes that are not UTF-8 are 400
(naming UTF-16 or UTF-32 when a byte-order mark shows it).  A form body may name
another ``charset`` (latin-1…: converted; an unknown one is 415).  :func:`decode_content` undoes a
``Content-Encoding`` (gzip, deflate; anything else is 415), never producing more
than the body limit allows (a compression bomb is a 413).
"""

from __future__ import annotations

import codecs
import zlib
from dataclasses import dataclass, field
from urllib.parse import unquote

import pyoxigraph as ox

from kg.sparql.entailment import parse_reasoning
from kg.sparql.errors import HttpError

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
ACCEPTED_BODIES = (FORM, QUERY_BODY, UPDATE_BODY)
UTF8_CHARSETS = ("utf-8", "utf8", "us-ascii", "ascii")
#: Content codings a request body may have (``Content-Encoding``), and the zlib window of each.
CONTENT_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))

QUERY_DATASET = ("default-graph-uri", "named-graph-uri")
UPDATE_DATASET = ("using-graph-uri", "using-named-graph-uri")


class ProtocolError(HttpError):
    """A request the protocol does not allow: ``status`` (400, 405, 415…) and what is wrong."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, status, headers=headers)


@dataclass(frozen=True)
class QueryRequest:
    """The query operation: the query, its protocol dataset, entailment and format override."""

    text: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    reasoning: str | None = None
    format: tuple[str, ...] = ()
    """``format=`` (and ``output=``) values, in order: they override ``Accept``."""


@dataclass(frozen=True)
class UpdateRequest:
    """The update operation: the update text and its protocol dataset for ``WHERE`` clauses."""

    text: str
    using_graph_uris: tuple[str, ...] = ()
    using_named_graph_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class DescriptionRequest:
    """A GET without a query: the service description is wanted."""

    format: tuple[str, ...] = ()


@dataclass
class _Parameters:
    values: dict[str, list[str]] = field(default_factory=dict)

    def add(self, pairs: list[tuple[str, str]]) -> None:
        for name, value in pairs:
            self.values.setdefault(name, []).append(value)

    def all(self, name: str) -> tuple[str, ...]:
        return tuple(self.values.get(name, ()))

    def iris(self, name: str) -> tuple[str, ...]:
        """The values of a dataset parameter, each an absolute IRI (400 otherwise)."""
        values = self.all(name)
        for value in values:
            try:
                ox.NamedNode(value)
            except ValueError as error:
                raise ProtocolError(400, f"the '{name}' parameter is not an IRI: {value[:200]!r} ({error})") from None
        return values

    def one(self, name: str) -> str | None:
        found = self.values.get(name, [])
        if len(found) > 1:
            raise ProtocolError(400, f"the '{name}' parameter is given {len(found)} times; give it once")
        return found[0] if found else None


def parse_request(
    method: str, query_string: bytes, content_type: str | None, body: bytes
) -> QueryRequest | UpdateRequest | DescriptionRequest:
    """What a request to the endpoint asks for (a :class:`ProtocolError` if the protocol does not allow it, an
    :class:`~kg.sparql.entailment.UnknownReasoning` for a ``reasoning=`` that names no mode)."""
    parameters = _Parameters()
    parameters.add(decode_form(query_string, "the URL's query string"))
    query = update = None
    if method == "POST":
        media_type, charset = media_type_of(content_type)
        if media_type is None:
            raise ProtocolError(415, f"a POST needs a Content-Type: one of {', '.join(ACCEPTED_BODIES)}")
        if media_type not in ACCEPTED_BODIES:
            raise ProtocolError(415, f"cannot read a {media_type} body; send one of {', '.join(ACCEPTED_BODIES)}")
        if media_type == FORM:
            parameters.add(decode_form(body, "the form body", _text_encoding(charset)))
        else:
            if charset is not None and charset not in UTF8_CHARSETS:
                raise ProtocolError(415, f"a {media_type} body must be UTF-8 (SPARQL 1.1 Protocol); charset={charset} "
                                         "was given: send the text as UTF-8")
            text = decode_utf8(body)
            if not text.strip():
                raise ProtocolError(400, f"the {media_type} body is empty")
            if media_type == QUERY_BODY:
                query = text
            else:
                update = text
    if query is not None and parameters.all("query"):
        raise ProtocolError(400, "the query is given both in the body and as a 'query' parameter; give it once")
    if update is not None and parameters.all("update"):
        raise ProtocolError(400, "the update is given both in the body and as an 'update' parameter; give it once")
    query = query if query is not None else parameters.one("query")
    update = update if update is not None else parameters.one("update")
    format_override = parameters.all("format") + parameters.all("output")
    if query is not None and update is not None:
        raise ProtocolError(400, "a request carries either a query or an update, not both")
    if update is not None:
        if method != "POST":
            raise ProtocolError(400, "an update must be sent with POST (an 'update' form field or an application/sparql-update body)")
        for name in (*QUERY_DATASET, "reasoning"):
            if parameters.all(name):
                raise ProtocolError(400, f"'{name}' applies to queries; an update names its dataset with {' or '.join(UPDATE_DATASET)}")
        return UpdateRequest(update, parameters.iris(UPDATE_DATASET[0]), parameters.iris(UPDATE_DATASET[1]))
    for name in UPDATE_DATASET:
        if parameters.all(name):
            raise ProtocolError(400, f"'{name}' applies to updates; a query names its dataset with {' or '.join(QUERY_DATASET)}")
    reasoning = parse_reasoning(parameters.one("reasoning"))
    if query is None:
        if method == "POST":
            raise ProtocolError(400, "missing the query: send a 'query' (or 'update') parameter or a SPARQL body")
        return DescriptionRequest(format_override)
    if not query.strip():
        raise ProtocolError(400, "the 'query' parameter is empty")
    return QueryRequest(query, parameters.iris(QUERY_DATASET[0]), parameters.iris(QUERY_DATASET[1]), reasoning, format_override)


def media_type_of(content_type: str | None) -> tuple[str | None, str | None]:
    """The media type (lower case) and charset parameter of a ``Content-Type`` header."""
    if not content_type or not content_type.strip():
        return None, None
    media_type, *parameters = content_type.split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media_type.strip().lower(), charset


def _text_encoding(charset: str | None) -> str | None:
    """The Python codec for a ``charset`` parameter (None: UTF-8, or what a byte-order mark says); 415 if unknown."""
    if charset is None or charset in UTF8_CHARSETS:
        return None
    try:
        info = codecs.lookup(charset)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise ProtocolError(415, f"unknown charset {charset!r}: send UTF-8 (or name a text encoding such as "
                                 "iso-8859-1 or utf-16)")
    return info.name


def decode_utf8(body: bytes) -> str:
    """The body as UTF-8 text (a leading byte-order mark skipped)."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        other = next((f"; it looks like {name.upper()} (byte-order mark): send UTF-8" for bom, name in _BOMS
                      if body.startswith(bom)), "")
        raise ProtocolError(400, f"the body is not valid UTF-8 (at byte {error.start}){other}") from None


def _encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding in ("utf-8-sig", "utf-8") else encoding


def decode_form(data: bytes, where: str, encoding: str | None = None) -> list[tuple[str, str]]:
    """Name/value pairs of URL-encoded ``data``, percent-escapes decoded strictly (UTF-8 or ``encoding``), as
    ``urllib.parse.parse_qsl`` with ``keep_blank_values`` reads them."""
    if not data:
        return []
    encoding = encoding or "utf-8"
    try:
        pairs = []
        for field in data.decode(encoding).split("&"):
            if field:
                name, _, value = field.partition("=")
                pairs.append((percent_decoded(name.replace("+", " "), encoding),
                              percent_decoded(value.replace("+", " "), encoding)))
        return pairs
    except UnicodeDecodeError:
        raise ProtocolError(400, f"{where} is not valid {_encoding_name(encoding)} once percent-decoded") from None


def percent_decoded(text: str, encoding: str = "utf-8") -> str:
    """``text`` with its ``%XX`` escapes decoded as bytes of ``encoding`` (strictly), as ``urllib.parse.unquote`` does.

    A light query's GET URL holds a hundred escapes, which ``unquote`` decodes one by one in Python (10 us): an
    ASCII text is decoded here by the C codecs, each ``%XX`` read as the ``\\xXX`` of a Python literal, which the
    ``unicode_escape`` codec turns into the character of that code (its backslashes doubled first, so that only
    those escapes remain).  A ``%`` that starts no escape (``unquote`` keeps it as it is) makes that codec fail:
    ``unquote`` then decodes the text.
    """
    if "%" not in text:
        return text
    try:
        escaped = text.replace("\\", "\\\\").replace("%", "\\x").encode("ascii")
        return escaped.decode("unicode_escape").encode("latin-1").decode(encoding)
    except UnicodeError:
        return unquote(text, encoding, "strict")


def decode_content(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """``body`` with the codings of ``content_encoding`` undone (last applied, first undone), at most ``limit`` bytes.

    A :class:`ProtocolError`: 415 for a coding other than gzip or deflate, 400 for data that does not decode,
    413 when the decoded body would pass ``limit`` (``KG_MAX_REQUEST_BYTES``).
    """
    codings = [part.strip().lower() for part in (content_encoding or "").split(",") if part.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding not in CONTENT_CODINGS:
            raise ProtocolError(415, f"cannot decode a body with Content-Encoding {coding!r}; send it as is, or gzip or "
                                     "deflate it", headers={"Accept-Encoding": "gzip, deflate"})
        try:
            body = _inflate(body, CONTENT_CODINGS[coding], limit)
        except zlib.error as error:
            if coding != "deflate":
                raise ProtocolError(400, f"the {coding} body does not decode: {error}") from None
            try:  # some clients send deflate without its zlib wrapper
                body = _inflate(body, -zlib.MAX_WBITS, limit)
            except zlib.error:
                raise ProtocolError(400, f"the deflate body does not decode: {error}") from None
    return body


def _inflate(data: bytes, window: int, limit: int) -> bytes:
    """Decompress ``data`` (every gzip member), refusing (413) to produce more than ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        decompressor = zlib.decompressobj(window)
        pending = data
        while pending or not decompressor.eof:
            part = decompressor.decompress(pending, limit + 1 - size)
            parts.append(part)
            size += len(part)
            if size > limit:
                raise ProtocolError(413, f"the decompressed body is larger than {limit:,} bytes (KG_MAX_REQUEST_BYTES)")
            pending = decompressor.unconsumed_tail
            if not part and not pending:
                break
        if not decompressor.eof:
            raise zlib.error("the compressed data ends early")
        data = decompressor.unused_data
        if not data or window != CONTENT_CODINGS["gzip"]:
            return b"".join(parts)
