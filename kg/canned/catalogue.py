"""The catalogue: shipped queries (``queries/``, read-only) and saved ones (``KG_QUERIES_DIR``), as one list."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from kg.canned import files
from kg.canned.checks import check_query
from kg.canned.errors import CannedError, InvalidName, QueryNotFound, ReadOnlyQuery
from kg.canned.header import parse_query
from kg.canned.model import CannedQuery
from kg.namespaces import ProjectNamespaces
from kg.settings import PROJECT_ROOT, Settings

SHIPPED_DIR = PROJECT_ROOT / "queries"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
NAME_RULE = "1 to 64 characters: lower-case letters, digits and '-', starting with a letter or digit"

#: Called with a parsed, checked query before it is written; raises to refuse it (e.g. a trial run).
Trial = Callable[[CannedQuery], None]

logger = logging.getLogger(__name__)


def check_name(name: str) -> str:
    """``name`` if it is a safe query name (no path, no dots); ``InvalidName`` otherwise."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidName(f"invalid query name {name[:80]!r}: a name is {NAME_RULE}")
    return name


class Catalogue:
    """Every canned query, read from disk on demand (parsed files are cached by size and modification time)."""

    def __init__(self, shipped_dir: Path, saved_dir: Path, prefixes: Mapping[str, str]) -> None:
        self.shipped_dir = shipped_dir
        self.saved_dir = saved_dir
        self.prefixes = dict(prefixes)
        self._parsed: dict[Path, tuple[tuple[int, int], CannedQuery | None]] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, shipped_dir: Path = SHIPPED_DIR) -> Catalogue:
        """The catalogue of the shipped queries and of ``settings.queries_dir``."""
        return cls(shipped_dir, settings.queries_dir, ProjectNamespaces(settings.base_uri).prefixes())

    # -- reading ---------------------------------------------------------------------------------------------

    def queries(self, tag: str | None = None, text: str | None = None) -> list[CannedQuery]:
        """The queries (by name) with ``tag`` and mentioning ``text``."""
        found: dict[str, CannedQuery] = {}
        for directory, shipped in ((self.shipped_dir, True), (self.saved_dir, False)):
            for path in sorted(directory.glob("*.rq")) if directory.is_dir() else ():
                if path.stem in found or not NAME_PATTERN.fullmatch(path.stem):
                    continue
                query = self._load(path, shipped)
                if query is not None:
                    found[path.stem] = query
        ordered = sorted(found.values(), key=lambda q: q.name)
        return [q for q in ordered if q.matches(tag, text)]

    def tags(self) -> list[str]:
        """Every tag used in the catalogue, sorted."""
        return sorted({tag for query in self.queries() for tag in query.tags}, key=str.casefold)

    def get(self, name: str) -> CannedQuery:
        """The query called ``name``; ``QueryNotFound`` if there is none."""
        check_name(name)
        for directory, shipped in ((self.shipped_dir, True), (self.saved_dir, False)):
            path = directory / f"{name}.rq"
            if path.is_file():
                query = self._load(path, shipped)
                if query is not None:
                    return query
        raise QueryNotFound(f"no canned query named '{name}'")

    def is_shipped(self, name: str) -> bool:
        """True if ``name`` is a shipped (read-only) query."""
        return (self.shipped_dir / f"{name}.rq").is_file()

    def _load(self, path: Path, shipped: bool) -> CannedQuery | None:
        try:
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size)
            with self._cache_lock:
                cached = self._parsed.get(path)
            revision = None if shipped else self._current_revision(path.stem)
            if cached and cached[0] == key and (cached[1] is None or cached[1].revision == revision):
                return cached[1]
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            logger.warning("cannot read canned query %s: %s", path, error)
            return None
        try:
            query: CannedQuery | None = parse_query(path.stem, text, self.prefixes, shipped=shipped, revision=revision)
        except CannedError as error:
            logger.warning("skipping canned query %s: %s", path, error.message)
            query = None
        with self._cache_lock:
            self._parsed[path] = (key, query)
        return query

    def _current_revision(self, name: str) -> int | None:
        history = files.revisions(self.saved_dir, name)
        return history[-1].number if history else None

    # -- writing ---------------------------------------------------------------------------------------------

    def parse(self, name: str, text: str) -> CannedQuery:
        """``text`` parsed as the query ``name``, its header and tokens checked (nothing is run or written)."""
        query = parse_query(check_name(name), text, self.prefixes)
        check_query(query)
        return query

    def save(self, name: str, text: str, trial: Trial | None = None) -> tuple[CannedQuery, bool]:
        """Create or replace the saved query ``name`` with ``text``; returns it and whether it is new.

        Refuses shipped names, invalid names and queries that fail the checks or
        ``trial`` (the trial run is what has the engine check the SPARQL).  The
        previous versions stay in the history.
        """
        self._refuse_shipped(check_name(name), "replaced")
        query = self.parse(name, text)
        if trial is not None:
            trial(query)
        live = self.saved_dir / f"{name}.rq"
        with files.name_lock(self.saved_dir, name):
            created = not live.is_file()
            if created or live.read_text(encoding="utf-8") != text:
                files.record_revision(self.saved_dir, name, text)
                files.atomic_write(live, text)
        return self.get(name), created

    def delete(self, name: str) -> None:
        """Remove the saved query ``name`` (its history stays, so it can be restored)."""
        self._refuse_shipped(check_name(name), "deleted")
        live = self.saved_dir / f"{name}.rq"
        with files.name_lock(self.saved_dir, name):
            if not live.is_file():
                raise QueryNotFound(f"no saved query named '{name}'")
            live.unlink()
            files.fsync_directory(self.saved_dir)

    def history(self, name: str) -> list[files.Revision]:
        """The saved versions of ``name``, oldest first; ``QueryNotFound`` if it never had one."""
        check_name(name)
        revisions = files.revisions(self.saved_dir, name)
        if not revisions:
            if self.is_shipped(name):
                raise QueryNotFound(f"'{name}' is a shipped query: its history is the project's version control")
            raise QueryNotFound(f"no saved query named '{name}' has a history")
        return revisions

    def revision_text(self, name: str, number: int) -> str:
        """The text of revision ``number`` of ``name``."""
        for revision in self.history(name):
            if revision.number == number:
                return revision.path.read_text(encoding="utf-8")
        raise QueryNotFound(f"'{name}' has no revision {number}")

    def restore(self, name: str, number: int, trial: Trial | None = None) -> CannedQuery:
        """Make revision ``number`` of ``name`` the current version again (as a new revision)."""
        query, _ = self.save(name, self.revision_text(name, number), trial)
        return query

    def _refuse_shipped(self, name: str, action: str) -> None:
        if self.is_shipped(name):
            raise ReadOnlyQuery(
                f"'{name}' is a shipped query and cannot be {action}; save your version under another name")
