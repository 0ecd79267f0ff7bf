"""Where each IRI minted under the base is served on this server, and which IRI a request path names.

The IRI of a request is ``<base>`` + its path below the application root,
whatever host the request was sent to, so the server also answers when it is
reached under another name than the base's.  Paths are compared as IRIs
(RFC 3987): percent-encoded UTF-8 is decoded, reserved and invalid octets stay
encoded, and dot segments are never resolved, so ``/id/../x`` names the IRI
``<base>id/../x`` (which does not exist) and can reach nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import pyoxigraph as ox
from werkzeug.urls import uri_to_iri

DOC = "doc/"
"""Path of the documents (format-specific representations) below the base."""

_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


@dataclass(frozen=True)
class Site:
    """The base under which IRIs are minted and the URL root of this application."""

    base: str
    """The base IRI (``KG_BASE_URI``)."""
    root: str = "/"
    """The application's URL path on this server, ending with ``/``."""

    def owns(self, iri: str) -> bool:
        """Whether ``iri`` is minted under the base (and so is served here)."""
        return iri.startswith(self.base)

    def href(self, iri: str) -> str:
        """A link to ``iri``: its page on this server if minted here, else the IRI itself."""
        if not self.owns(iri):
            return iri
        return self.root + quote(iri[len(self.base) :], safe=_PATH_SAFE + "#?")

    def document(self, iri: str, extension: str | None = None, reasoning: str | None = None) -> str:
        """The URL (path) of the document describing ``iri``, in one format when ``extension`` is given."""
        relative = quote(iri[len(self.base) :], safe=_PATH_SAFE)
        path = f"{self.root}{DOC}{relative}" + (f".{extension}" if extension else "")
        return path + (f"?reasoning={reasoning}" if reasoning else "")

    def document_iri(self, iri: str, reasoning: str | None = None) -> str:
        """The IRI of the (format-neutral) document describing ``iri``, as stated in the RDF."""
        return self.base + DOC + iri[len(self.base) :] + (f"?reasoning={reasoning}" if reasoning else "")


def raw_path(environ: dict[str, object], decoded_path: str) -> str:
    """The request path as the client sent it (percent-encoding intact), without the query string.

    Servers that keep the raw request line (gunicorn, werkzeug) give it in
    ``RAW_URI``/``REQUEST_URI``; otherwise the decoded path is encoded again.
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw:
        if "://" in raw.split("?", 1)[0]:
            raw = urlsplit(raw).path
        return raw.split("?", 1)[0].split("#", 1)[0]
    return quote(decoded_path, safe=_PATH_SAFE)


def candidate_iris(base: str, relative_raw: str) -> list[str]:
    """The IRIs a raw relative path may name, most likely first, each a valid IRI.

    Clients percent-encode non-ASCII characters of IRIs; the IRI form decodes
    them back.  The raw and fully decoded forms cover IRIs minted with
    percent-escapes or with characters a client escaped needlessly.
    """
    forms = (uri_to_iri(relative_raw), relative_raw, unquote(relative_raw))
    found: list[str] = []
    for form in forms:
        iri = base + form
        if iri in found:
            continue
        try:
            ox.NamedNode(iri)
        except ValueError:
            continue
        found.append(iri)
    return found
