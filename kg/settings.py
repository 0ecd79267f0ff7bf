"""One typed settings object: CLI flags over ``KG_*`` environment variables over defaults.

Nothing else in the project reads ``os.environ``; the CLI builds a
:class:`Settings` with :func:`load_settings` and hands it down.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from kg.store.spec import StoreConfigError, parse_store_spec

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REASONING_MODES = ("none", "rdfs", "owlrl")


class SettingsError(ValueError):
    """A setting has a value that cannot be used (named in the message)."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable about ipkg, with safe defaults for a public endpoint."""

    base_uri: str = ""
    """Base under which data, ontology terms and graphs are minted (``KG_BASE_URI``).

    Empty means ``http://localhost:<port>/``, so that with default settings every
    minted IRI dereferences on the locally started server."""
    store: str = "memory"
    """Where the dataset lives (``KG_STORE``): ``memory`` (default; rebuilt at every start), ``oxigraph:PATH``
    (on disk, survives restarts) or ``sparql:QUERY_URL[;UPDATE_URL]`` (a SPARQL 1.1 server; credentials as
    ``http://user:password@host/…``)."""
    write_token: str | None = None
    """Bearer token that authorises writes; no token means read-only (``KG_WRITE_TOKEN``)."""
    query_timeout: float = 10.0
    """Seconds a query may run before it is stopped (``KG_QUERY_TIMEOUT``)."""
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
    host: str = "127.0.0.1"
    """Interface ``kg serve`` listens on (``KG_HOST``)."""
    port: int = 8000
    """Port ``kg serve`` listens on (``KG_PORT``)."""
    workers: int = 2
    """Query-evaluation worker processes of ``kg serve`` (``KG_WORKERS``)."""
    max_workers: int = 32
    """Most query workers ``kg serve`` runs at once (``KG_MAX_WORKERS``; at least ``KG_WORKERS``): while queries
    wait for a worker the pool grows up to this, so short queries are not held up behind long ones. Each worker
    holds a copy of the dataset in memory; extra ones idle for a minute are stopped."""
    threads: int = 32
    """HTTP threads of ``kg serve`` (``KG_THREADS``)."""
    queries_dir: Path = PROJECT_ROOT / "instance" / "queries"
    """Where queries saved through the API are kept (``KG_QUERIES_DIR``)."""
    data_files: tuple[Path, ...] = ()
    """RDF files to serve instead of the shipped ontology and data (``KG_DATA``, os.pathsep-separated)."""

    def __post_init__(self) -> None:
        if not self.base_uri:
            object.__setattr__(self, "base_uri", f"http://localhost:{self.port}/")
        if not self.base_uri.endswith(("/", "#")):
            raise SettingsError(f"KG_BASE_URI must end with '/' or '#': {self.base_uri!r}")
        if "://" not in self.base_uri:
            raise SettingsError(f"KG_BASE_URI must be an absolute IRI: {self.base_uri!r}")
        if self.default_reasoning not in REASONING_MODES:
            raise SettingsError(
                f"KG_DEFAULT_REASONING must be one of {', '.join(REASONING_MODES)}: {self.default_reasoning!r}"
            )
        try:
            parse_store_spec(self.store)
        except StoreConfigError as error:
            raise SettingsError(str(error)) from None
        if self.query_timeout <= 0:
            raise SettingsError(f"KG_QUERY_TIMEOUT must be positive: {self.query_timeout!r}")
        for name in ("workers", "max_workers", "threads", "max_result_rows", "max_request_bytes", "max_query_length",
                     "max_nesting_depth", "max_operators", "max_triple_patterns", "max_values_rows"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{env_name(name)} must be at least 1: {getattr(self, name)!r}")

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)


def env_name(field_name: str) -> str:
    """The environment variable that sets ``field_name``."""
    return "KG_DATA" if field_name == "data_files" else "KG_" + field_name.upper()


def _convert(name: str, raw: Any, kind: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
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
        return raw
    except ValueError:
        raise SettingsError(f"{env_name(name)} has an invalid value: {raw!r}") from None


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from defaults, then ``environ`` (``KG_*``), then ``overrides`` (CLI flags).

    ``None`` values in ``overrides`` mean "not given" and leave the lower layer alone.
    """
    environ = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        if env_name(spec.name) in environ:
            values[spec.name] = _convert(spec.name, environ[env_name(spec.name)], hints[spec.name])
    for name, value in (overrides or {}).items():
        if value is None or (name == "data_files" and not value):
            continue
        values[name] = _convert(name, value, hints[name])
    return Settings(**values)
