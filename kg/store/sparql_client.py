"""A SPARQL 1.1 Protocol client over plain HTTP: queries and updates as form posts, with deadlines and credentials.

Credentials may be given in the URL (``http://user:password@host/sparql-auth``):
they are sent with HTTP Basic or Digest authentication, whichever the server
asks for, and never shown in messages.  No proxy is used: a store is reached
directly.  Every failure becomes a :class:`~kg.store.base.StoreUnavailable`
(502 when the server answered wrongly, 503 when it could not be reached or was
too slow) or a :class:`RefusedRequest` (the server found the request itself bad).
"""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from kg.store.base import StoreTimeout, StoreUnavailable

_READ_CHUNK = 1 << 16
#: Virtuoso's mark on an "anytime" answer cut short by its own time limit (HTTP 200, header ``X-SQL-State``).
VIRTUOSO_PARTIAL = "S1TAT"
#: How much of an error answer to quote in a message.
_QUOTED = 600


class RefusedRequest(Exception):
    """The server answered 4xx to a query or update: the request, not the server, is at fault."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Endpoint:
    """One URL of the server, its credentials taken out."""

    url: str
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """Split ``user:password@`` out of ``url``."""
        parts = urllib.parse.urlsplit(url)
        if parts.username is None:
            return cls(url)
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        plain = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        return cls(plain, urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))


@dataclass(frozen=True)
class Reply:
    """A successful answer: its media type and body."""

    media_type: str
    body: bytes


class SparqlClient:
    """Posts queries to ``query_url`` and updates to ``update_url`` (SPARQL 1.1 Protocol, form-encoded)."""

    def __init__(self, query_url: str, update_url: str) -> None:
        self.query_endpoint = Endpoint.parse(query_url)
        self.update_endpoint = Endpoint.parse(update_url)

    def query(
        self, text: str, accept: str, timeout: float, default_graphs: list[str] | None = None, named_graphs: list[str] | None = None
    ) -> Reply:
        """Send a query; ``None`` for a dataset list leaves it out (the query's or the server's own dataset)."""
        fields: list[tuple[str, str]] = [("query", text)]
        fields += [("default-graph-uri", iri) for iri in default_graphs or ()]
        fields += [("named-graph-uri", iri) for iri in named_graphs or ()]
        return self._post(self.query_endpoint, fields, accept, timeout, "query")

    def update(self, text: str, timeout: float) -> None:
        """Send an update and wait until the server has applied it."""
        self._post(self.update_endpoint, [("update", text)], "*/*", timeout, "update")

    def _post(self, endpoint: Endpoint, fields: list[tuple[str, str]], accept: str, timeout: float, what: str) -> Reply:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(
            endpoint.url,
            data=urllib.parse.urlencode(fields).encode("utf-8"),
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            method="POST",
        )
        where = f"the SPARQL server at {endpoint.url}"
        try:
            with _opener(endpoint).open(request, timeout=timeout) as response:
                body = _read_until(response, deadline)
                if response.headers.get("X-SQL-State") == VIRTUOSO_PARTIAL:
                    raise StoreTimeout(f"{where} stopped the {what} at its own time limit and sent a partial answer "
                                       "(Virtuoso's MaxQueryExecutionTime); a partial answer is not passed on", timeout)
                return Reply(response.headers.get_content_type(), body)
        except urllib.error.HTTPError as error:
            raise _http_failure(error, where, what) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                raise _timeout(where, what, timeout) from None
            raise StoreUnavailable(f"{where} is unreachable: {error.reason}; try again when it is back", 503) from None
        except (TimeoutError, socket.timeout):
            raise _timeout(where, what, timeout) from None
        except http.client.HTTPException as error:
            raise StoreUnavailable(f"{where} broke off its answer ({type(error).__name__}: {error})", 502) from None
        except OSError as error:
            raise StoreUnavailable(f"{where} is unreachable: {error}; try again when it is back", 503) from None


def _opener(endpoint: Endpoint) -> urllib.request.OpenerDirector:
    """An opener for one request (auth handlers keep per-request state, so they are not shared between threads)."""
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if endpoint.user is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, endpoint.url, endpoint.user, endpoint.password or "")
        handlers += [urllib.request.HTTPBasicAuthHandler(passwords), urllib.request.HTTPDigestAuthHandler(passwords)]
    return urllib.request.build_opener(*handlers)


def _read_until(response: http.client.HTTPResponse, deadline: float) -> bytes:
    """The whole body, giving up at ``deadline`` (each read also bounded by the socket timeout)."""
    chunks: list[bytes] = []
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        chunk = response.read1(_READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _timeout(where: str, what: str, seconds: float) -> StoreTimeout:
    limit = "(KG_QUERY_TIMEOUT)" if what == "query" else ""
    return StoreTimeout(f"{where} did not answer the {what} within {seconds:g} s {limit}; it was abandoned".replace("  ", " "), seconds)


def _http_failure(error: urllib.error.HTTPError, where: str, what: str) -> Exception:
    try:
        detail = error.read(_QUOTED * 2).decode("utf-8", "replace").strip()
    except OSError:
        detail = ""
    detail = " ".join(detail.split())[:_QUOTED]
    status = error.code
    if status in (401, 403):
        return StoreUnavailable(f"{where} refused the {what} ({status}: check the credentials in KG_STORE): {detail}", 502)
    if status == 404:
        return StoreUnavailable(f"{where} has no SPARQL endpoint there (404)", 502)
    if status in (408, 429, 503):
        return StoreUnavailable(f"{where} is busy or unavailable ({status}): {detail}", 503)
    if 400 <= status < 500:
        return RefusedRequest(f"{where} refused the {what} ({status}): {detail}", status)
    return StoreUnavailable(f"{where} failed on the {what} ({status}): {detail}", 502)
