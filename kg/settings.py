"""One typed settings object: CLI flags over ``KG_*`` environment variables over defaults.

Nothing else in the project reads ``os.environ``; the CLI builds a
:class:`Settings` with :func:`load_settings` and hands it down.  Every value is
checked when the object is built: a bad one is a :class:`SettingsError` naming
the setting and what it accepts, never a failure later on.

This is the ground floor of the package: it imports nothing else from ``kg`` but :mod:`kg.users`, the users
file's reader, on the ground floor too.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, get_type_hints

from kg.users import Users, UsersError, read_users

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REASONING_MODES = ("none", "rdfs", "owlrl")
"""Entailments a query may see (``KG_DEFAULT_REASONING``, ``reasoning=``)."""
REASONERS = ("fast", "owlrl")
"""Closure engines (``KG_REASONER``): :data:`kg.reasoning.ENGINES` registers one under each of these names."""
SHACL_MODES = ("enforce", "report", "off")
"""What ``KG_SHACL`` accepts: refuse writes that violate the shapes, report them, or do not check."""
STORE_FORMS = "memory, oxigraph:PATH or sparql:QUERY_URL[;UPDATE_URL]"
"""The accepted forms of ``KG_STORE``."""

_CREDENTIALS = re.compile(r"://[^/@\s;]*@")
_NOT_IN_IRI = re.compile(r"[\s<>\"{}|\\^`]")
_HOST_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9])?")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it and says what it accepts."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field
        """The :class:`Settings` field at fault."""


class StoreConfigError(SettingsError):
    """``KG_STORE`` names a store kind that does not exist or is malformed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "store")


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
            _check_store_url(text, role, url)
        return StoreSpec("sparql", query_url=query_url, update_url=update_url)
    raise StoreConfigError(f"KG_STORE={_redacted(text)!r} is not a store; use {STORE_FORMS}")


def _check_store_url(text: str, role: str, url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreConfigError(
            f"KG_STORE={_redacted(text)!r}: the {role} URL {_redacted(url)!r} is not an http(s) URL; "
            "use sparql:QUERY_URL[;UPDATE_URL], e.g. sparql:http://127.0.0.1:8890/sparql"
        )


def _redacted(text: str) -> str:
    """``text`` with every ``user:password@`` in it hidden."""
    return _CREDENTIALS.sub("://***@", text)


@dataclass(frozen=True)
class Settings:
    """Everything configurable about ipkg, with safe defaults for a public endpoint."""

    base_uri: str = ""
    """Base under which data, ontology terms and graphs are minted (``KG_BASE_URI``): an absolute http(s) IRI
    ending with ``/``.  Its path (``/`` or a prefix such as ``/kg/``) is where the app serves its routes.

    Empty means ``http://localhost:<port>/``, so that with default settings every
    minted IRI dereferences on the locally started server."""
    store: str = "memory"
    """Where the dataset lives (``KG_STORE``): ``memory`` (default; rebuilt at every start), ``oxigraph:PATH``
    (on disk, survives restarts) or ``sparql:QUERY_URL[;UPDATE_URL]`` (a SPARQL 1.1 server; credentials as
    ``http://user:password@host/…``)."""
    write_token: str | None = None
    """Bearer token of one writer (role ``write``, named ``KG_WRITE_TOKEN``), with or without a users file; with
    neither, the server is read-only (``KG_WRITE_TOKEN``)."""
    users_file: Path | None = None
    """TOML file of named users with roles (``read``, ``write``, ``admin``), token hashes and per-role limits
    (``KG_USERS``; see :mod:`kg.users`); read when the settings are built."""
    query_timeout: float = 10.0
    """Seconds a query may run before it is stopped (``KG_QUERY_TIMEOUT``), counted from when a worker starts
    evaluating it: waiting for a worker is bounded by ``queue_timeout`` instead."""
    body_timeout: float = 20.0
    """Seconds a client has to send a request's body once its head has come (``KG_BODY_TIMEOUT``); past it, ``kg
    serve`` answers 408 and closes the connection.  A waiting body holds no thread."""
    queue_timeout: float = 30.0
    """Seconds a query may wait for a free query worker, and for it to replay committed changes, before it is
    answered 503 "busy" with ``Retry-After`` (``KG_QUEUE_TIMEOUT``); not counted in the time limit."""
    max_result_rows: int = 100_000
    """Rows (or triples) a query may return (``KG_MAX_RESULT_ROWS``)."""
    max_request_bytes: int = 1_000_000
    """Largest request body accepted, also once decompressed (``KG_MAX_REQUEST_BYTES``; 413 past it)."""
    max_query_length: int = 250_000
    """Characters a query may have (``KG_MAX_QUERY_LENGTH``; 413 past it)."""
    max_nesting_depth: int = 100
    """Brackets, sub-queries, function calls and ``!`` a query or update may nest (``KG_MAX_NESTING_DEPTH``).

    The engine overflows its stack (and dies) near 840 levels of ``FILTER EXISTS {`` and 960 of ``STR(``."""
    max_operators: int = 1_000
    """UNION, OPTIONAL, MINUS, FILTER, BIND, GRAPH, EXISTS, VALUES and expression or path operators a query or
    update may use in all (``KG_MAX_OPERATORS``); the engine dies near 2,640 OPTIONAL or BIND in one group."""
    max_triple_patterns: int = 200
    """Triple patterns a query (or an update's WHERE) may have (``KG_MAX_TRIPLE_PATTERNS``): planning a join
    of n patterns grows faster than n cubed."""
    max_values_rows: int = 10_000
    """Rows the VALUES blocks of a query may have in all (``KG_MAX_VALUES_ROWS``)."""
    allow_service: bool = False
    """Let queries use ``SERVICE`` (outbound requests) (``KG_ALLOW_SERVICE``)."""
    allow_load: bool = False
    """Let updates use ``LOAD`` (``KG_ALLOW_LOAD``)."""
    default_reasoning: str = "owlrl"
    """Entailment used when a request names none: none, rdfs or owlrl (``KG_DEFAULT_REASONING``)."""
    reasoner: str = "fast"
    """Engine that computes the closure: ``fast`` (ours, incremental, explains) or ``owlrl`` (the reference) (``KG_REASONER``)."""
    axiomatic_triples: bool = False
    """Put in every OWL 2 RL closure the 43 triples OWL 2 RL/RDF derives from no premise (``KG_AXIOMATIC_TRIPLES``;
    :mod:`kg.reasoning.axioms`): ``owl:Thing`` and ``owl:Nothing`` are classes, the built-in annotation properties
    and the datatypes OWL 2 RL supports.  Off, an emptied store is empty under every entailment."""
    host: str = "127.0.0.1"
    """Interface ``kg serve`` listens on (``KG_HOST``)."""
    port: int = 8000
    """Port ``kg serve`` listens on (``KG_PORT``)."""
    workers: int = 2
    """Query-evaluation worker processes of ``kg serve`` (``KG_WORKERS``)."""
    max_workers: int = 32
    """Most query workers ``kg serve`` runs at once (``KG_MAX_WORKERS``; taken as ``KG_WORKERS`` when lower): while
    queries wait for a worker the pool grows up to this, so short queries are not held up behind long ones. Each
    worker holds a replica of the dataset in memory; extra ones idle for a minute are stopped."""
    min_free_memory_mb: int = 512
    """Megabytes of ``MemAvailable`` (``/proc/meminfo``) below which the pool starts no worker beyond ``KG_WORKERS``
    (``KG_MIN_FREE_MEMORY_MB``): under load, queries then wait for a busy worker rather than exhaust memory."""
    split_cpus: bool = True
    """Keep ``kg serve``'s query workers off the first CPU it may use, which is left to the HTTP process, when it may use
    two or more (``KG_SPLIT_CPUS``).  Left to the scheduler, a worker is woken on the CPU of the HTTP process that
    woke it, and they pile up there while another CPU idles."""
    threads: int = 32
    """Threads of ``kg serve`` answering the requests that are not a query to ``/sparql`` (pages, updates, the
    API…), and waiting for a busy query worker (``KG_THREADS``)."""
    queries_dir: Path = PROJECT_ROOT / "instance" / "queries"
    """Where queries saved through the API are kept (``KG_QUERIES_DIR``)."""
    data_files: tuple[Path, ...] = ()
    """RDF files to serve instead of the shipped ontology and data (``KG_DATA``, os.pathsep-separated)."""
    shacl: str = "enforce"
    """Writes checked against ``ontology/shapes.ttl`` when it exists (``KG_SHACL``): ``enforce`` refuses (422) a
    change whose result violates a shape, ``report`` applies it and answers the report, ``off`` does not check."""

    def __post_init__(self) -> None:
        for name, kind in _field_types().items():
            _check_type(name, getattr(self, name), kind)
        if not 1 <= self.port <= 65535:
            raise _rejected("port", self.port)
        if not self.base_uri:
            object.__setattr__(self, "base_uri", f"http://localhost:{self.port}/")
        if not _is_base_iri(self.base_uri):
            raise _rejected("base_uri", self.base_uri)
        parse_store_spec(self.store)
        if self.write_token is not None and not re.fullmatch(r"[!-~]+", self.write_token):
            raise _rejected("write_token", self.write_token, "is empty or holds a space, a control or a non-ASCII character")
        users = Users()
        if self.users_file is not None:
            try:
                users = read_users(self.users_file)
            except UsersError as error:
                raise SettingsError(f"KG_USERS: {error}", "users_file") from None
        if self.write_token is not None:
            users = users.with_write_token(self.write_token)
        object.__setattr__(self, "_users", users)
        for name in ("query_timeout", "queue_timeout", "body_timeout"):
            if isinstance(getattr(self, name), int):
                object.__setattr__(self, name, float(getattr(self, name)))
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise _rejected(name, getattr(self, name))
        for name, kind in _field_types().items():
            if kind is int and name != "port" and getattr(self, name) < 1:
                raise _rejected(name, getattr(self, name))
        if self.default_reasoning not in REASONING_MODES:
            raise _rejected("default_reasoning", self.default_reasoning)
        if self.reasoner not in REASONERS:
            raise _rejected("reasoner", self.reasoner)
        if self.shacl not in SHACL_MODES:
            raise _rejected("shacl", self.shacl)
        if not _is_host(self.host):
            raise _rejected("host", self.host)
        if self.queries_dir.exists() and not self.queries_dir.is_dir():
            raise _rejected("queries_dir", self.queries_dir, f"is {str(self.queries_dir)!r}, which is not a directory")
        for path in self.data_files:
            if not path.is_file():
                raise _rejected("data_files", self.data_files, f"names {str(path)!r}, which is not a file")

    @property
    def users(self) -> Users:
        """Who may call: the users of ``users_file``, the ``KG_WRITE_TOKEN`` writer, the roles and their limits."""
        return self.__dict__["_users"]

    @property
    def store_spec(self) -> StoreSpec:
        """``store`` parsed: what kind of store, and where."""
        return parse_store_spec(self.store)

    @property
    def base_path(self) -> str:
        """The path of the base IRI, ending with ``/``: ``/`` or a prefix such as ``/kg/``, where the app is served."""
        return urllib.parse.urlsplit(self.base_uri).path

    @property
    def reasoner_identity(self) -> str:
        """The engine and what it is asked to infer: closures recorded or saved under another one are recomputed."""
        return self.reasoner + ("+axiomatic-triples" if self.axiomatic_triples else "")

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)


_ACCEPTED: dict[str, str] = {
    "base_uri": "an absolute http(s) IRI ending with '/', without query or fragment, "
                "e.g. https://kg.example.org/ or https://example.org/kg/",
    "store": STORE_FORMS,
    "write_token": "a token of visible ASCII characters, without spaces (unset: read-only)",
    "users_file": "an existing users file (TOML; see the README), e.g. /etc/ipkg/users.toml",
    "query_timeout": "a positive number of seconds, e.g. 10 or 2.5",
    "queue_timeout": "a positive number of seconds, e.g. 30",
    "body_timeout": "a positive number of seconds, e.g. 20",
    "port": "a port number from 1 to 65535",
    "default_reasoning": "one of " + ", ".join(REASONING_MODES),
    "reasoner": "one of " + ", ".join(REASONERS),
    "shacl": "one of " + ", ".join(SHACL_MODES),
    "host": "a host name or IP address to listen on, e.g. 127.0.0.1, 0.0.0.0, localhost or [::1]",
    "queries_dir": "a directory (created when a query is first saved)",
    "data_files": f"existing RDF files, separated by {os.pathsep!r}",
}
"""What each setting accepts, as error messages say it; the others are whole numbers of at least 1 or switches."""


def _accepted(field_name: str) -> str:
    """What the setting ``field_name`` accepts, in words."""
    kind = _field_types()[field_name]
    if field_name in _ACCEPTED:
        return _ACCEPTED[field_name]
    if kind is bool:
        return "one of " + ", ".join(_TRUE + _FALSE[:-1])
    return "a whole number of at least 1"


_ENV_NAMES = {"data_files": "KG_DATA", "users_file": "KG_USERS"}


def env_name(field_name: str) -> str:
    """The environment variable that sets ``field_name``."""
    return _ENV_NAMES.get(field_name) or "KG_" + field_name.upper()


def _rejected(name: str, value: Any, problem: str | None = None) -> SettingsError:
    """The error for setting ``name`` holding ``value``: what is wrong (its value, by default) and what it accepts."""
    problem = problem or f"is {value!r}"
    return SettingsError(f"{env_name(name)} {problem}; use {_accepted(name)}", name)


@cache
def _field_types() -> dict[str, Any]:
    """Each field's name and declared type, in declaration order."""
    hints = get_type_hints(Settings)
    return {spec.name: hints[spec.name] for spec in fields(Settings)}


def _check_type(name: str, value: Any, kind: Any) -> None:
    """Raise a :class:`SettingsError` unless ``value`` has the type the field ``name`` declares."""
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind is Path:
        ok = isinstance(value, Path)
    elif kind == tuple[Path, ...]:
        ok = isinstance(value, tuple) and all(isinstance(part, Path) for part in value)
    elif kind == (str | None):
        ok = value is None or isinstance(value, str)
    elif kind == (Path | None):
        ok = value is None or isinstance(value, Path)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise _rejected(name, value, f"is a {type(value).__name__}")


def _is_base_iri(text: str) -> bool:
    """Whether ``text`` is an absolute http(s) IRI ending with ``/``, without query, fragment or spaces."""
    try:
        parts = urllib.parse.urlsplit(text)
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname) and parts.path.endswith("/")
            and "?" not in text and "#" not in text and not _NOT_IN_IRI.search(text))


def _is_host(text: str) -> bool:
    """Whether ``text`` is a host name, an IPv4 address or a bracketed IPv6 address (``[::1]``)."""
    if text.startswith("[") and text.endswith("]"):
        try:
            ipaddress.IPv6Address(text[1:-1])
        except ValueError:
            return False
        return True
    return bool(_HOST_NAME.fullmatch(text))


def _convert(name: str, raw: Any, kind: Any) -> Any:
    """``raw`` (an environment variable's or a flag's text) as the field's type; other values as they are."""
    if not isinstance(raw, str):
        return raw
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered in _TRUE or lowered in _FALSE:
                return lowered in _TRUE
            raise ValueError(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is Path:
            return Path(raw)
        if kind == tuple[Path, ...]:
            return tuple(Path(part) for part in raw.split(os.pathsep) if part)
        if kind == (str | None):
            return raw or None
        if kind == (Path | None):
            return Path(raw) if raw else None
        return raw
    except ValueError:
        raise _rejected(name, raw) from None


def users_file_of(environ: Mapping[str, str] | None = None) -> Path | None:
    """The users file ``KG_USERS`` names (``None`` if unset), whether or not it exists yet (for ``kg users``)."""
    raw = (os.environ if environ is None else environ).get(env_name("users_file"), "")
    return Path(raw) if raw else None


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from defaults, then ``environ`` (``KG_*``), then ``overrides`` (CLI flags).

    ``None`` values in ``overrides`` mean "not given" and leave the lower layer alone.
    A value that cannot be used is a :class:`SettingsError` naming the setting and what it accepts.
    """
    environ = os.environ if environ is None else environ
    kinds = _field_types()
    values: dict[str, Any] = {}
    for name, kind in kinds.items():
        if env_name(name) in environ:
            values[name] = _convert(name, environ[env_name(name)], kind)
    for name, value in (overrides or {}).items():
        if value is None or (name == "data_files" and not value):
            continue
        values[name] = _convert(name, value, kinds[name])
    return Settings(**values)
