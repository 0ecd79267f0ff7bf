"""Reading the ``KG_STORE`` setting: ``memory``, ``oxigraph:PATH`` or ``sparql:QUERY_URL[;UPDATE_URL]``."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

_CREDENTIALS = re.compile(r"://[^/@\s;]*@")
FORMS = "memory, oxigraph:PATH or sparql:QUERY_URL[;UPDATE_URL]"


class StoreConfigError(ValueError):
    """``KG_STORE`` names a store kind that does not exist or is malformed."""


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``KG_STORE`` value."""

    kind: str
    """``memory``, ``oxigraph`` or ``sparql``."""
    path: Path | None = None
    query_url: str | None = None
    update_url: str | None = None
    """Where updates go; the query URL when not given (one endpoint serving both, as SPARQL 1.1 allows)."""


def parse_store_spec(text: str) -> StoreSpec:
    """Parse ``text``; a :class:`StoreConfigError` saying what is wrong and the accepted forms otherwise."""
    value = text.strip()
    kind, colon, argument = value.partition(":")
    if value == "memory":
        return StoreSpec("memory")
    if kind == "oxigraph" and colon:
        if not argument.strip():
            raise StoreConfigError(f"KG_STORE={text!r}: oxigraph: needs the directory of the store, e.g. oxigraph:/var/lib/ipkg/store")
        return StoreSpec("oxigraph", path=Path(argument.strip()))
    if kind == "sparql" and colon:
        query_url, _, update_url = argument.partition(";")
        query_url, update_url = query_url.strip(), update_url.strip() or query_url.strip()
        for role, url in (("query", query_url), ("update", update_url)):
            _check_url(text, role, url)
        return StoreSpec("sparql", query_url=query_url, update_url=update_url)
    raise StoreConfigError(f"KG_STORE={_redacted(text)!r} is not a store; use {FORMS}")


def _check_url(text: str, role: str, url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreConfigError(
            f"KG_STORE={_redacted(text)!r}: the {role} URL {_redacted(url)!r} is not an http(s) URL; "
            "use sparql:QUERY_URL[;UPDATE_URL], e.g. sparql:http://127.0.0.1:8890/sparql"
        )


def _redacted(text: str) -> str:
    """``text`` with every ``user:password@`` in it hidden."""
    return _CREDENTIALS.sub("://***@", text)


def describe_setting(text: str) -> str:
    """``KG_STORE`` as it may be shown (credentials hidden)."""
    return _redacted(text)
