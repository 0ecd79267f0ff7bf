"""The SPARQL 1.1 Protocol: what an HTTP request asks for, or why it is malformed.

:func:`parse_request` reads the method, query string, ``Content-Type`` and body
of a request to ``/sparql`` and returns a :class:`QueryRequest`,
:class:`UpdateRequest` or :class:`DescriptionRequest` — or raises a
:class:`ProtocolError` with the HTTP status and a message saying what is wrong.
Parameters are decoded strictly as UTF-8 (no silent replacement characters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from kg.settings import REASONING_MODES

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
ACCEPTED_BODIES = (FORM, QUERY_BODY, UPDATE_BODY)
UTF8_CHARSETS = ("utf-8", "utf8", "us-ascii", "ascii")

QUERY_DATASET = ("default-graph-uri", "named-graph-uri")
UPDATE_DATASET = ("using-graph-uri", "using-named-graph-uri")


class ProtocolError(Exception):
    """A request the protocol does not allow: ``status`` (400, 405, 415…) and what is wrong."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


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

    def one(self, name: str) -> str | None:
        found = self.values.get(name, [])
        if len(found) > 1:
            raise ProtocolError(400, f"the '{name}' parameter is given {len(found)} times; give it once")
        return found[0] if found else None


def parse_request(
    method: str, query_string: bytes, content_type: str | None, body: bytes
) -> QueryRequest | UpdateRequest | DescriptionRequest:
    """What a request to the endpoint asks for (a :class:`ProtocolError` if the protocol does not allow it)."""
    parameters = _Parameters()
    parameters.add(_decode_form(query_string, "the URL's query string"))
    query = update = None
    if method == "POST":
        media_type, charset = _media_type(content_type)
        if media_type is None:
            raise ProtocolError(415, f"a POST needs a Content-Type: one of {', '.join(ACCEPTED_BODIES)}")
        if media_type not in ACCEPTED_BODIES:
            raise ProtocolError(415, f"cannot read a {media_type} body; send one of {', '.join(ACCEPTED_BODIES)}")
        if charset is not None and charset not in UTF8_CHARSETS:
            raise ProtocolError(415, f"the body must be UTF-8 (charset={charset} was given)")
        if media_type == FORM:
            parameters.add(_decode_form(body, "the form body"))
        else:
            text = _decode_text(body)
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
        return UpdateRequest(update, parameters.all(UPDATE_DATASET[0]), parameters.all(UPDATE_DATASET[1]))
    for name in UPDATE_DATASET:
        if parameters.all(name):
            raise ProtocolError(400, f"'{name}' applies to updates; a query names its dataset with {' or '.join(QUERY_DATASET)}")
    reasoning = parameters.one("reasoning")
    if reasoning is not None and reasoning not in REASONING_MODES:
        raise ProtocolError(400, f"unknown reasoning {reasoning!r}; use one of: {', '.join(REASONING_MODES)}")
    if query is None:
        if method == "POST":
            raise ProtocolError(400, "missing the query: send a 'query' (or 'update') parameter or a SPARQL body")
        return DescriptionRequest(format_override)
    if not query.strip():
        raise ProtocolError(400, "the 'query' parameter is empty")
    return QueryRequest(query, parameters.all(QUERY_DATASET[0]), parameters.all(QUERY_DATASET[1]), reasoning, format_override)


def _media_type(content_type: str | None) -> tuple[str | None, str | None]:
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


def _decode_text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"the body is not valid UTF-8 (at byte {error.start})") from None


def _decode_form(data: bytes, where: str) -> list[tuple[str, str]]:
    """Name/value pairs of URL-encoded ``data``, percent-escapes decoded as strict UTF-8."""
    if not data:
        return []
    try:
        return parse_qsl(data.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(400, f"{where} is not valid UTF-8 once percent-decoded") from None
    except ValueError as error:
        raise ProtocolError(400, f"{where} is malformed: {error}") from None
