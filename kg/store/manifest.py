"""What a persistent store holds, recorded beside its data so that a restart can skip loading and reasoning.

A :class:`Manifest` names the source files the dataset was built from (path,
size, modification time, SHA-256), the files bulk-loaded into it since, the
base IRI, the reasoner (engine and a fingerprint of its code) and the modes
whose closure is up to date, and how many changes were committed through SPARQL
Update.  ``clean`` is false while a change is being written: a manifest read
back unclean means the process stopped mid-change, so closures must be recomputed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

FORMAT = 1
_CHUNK = 1 << 20


class ManifestError(ValueError):
    """A manifest could not be read (written by a newer ipkg, or damaged)."""


@dataclass(frozen=True)
class SourceStamp:
    """One file as it was when loaded: enough to tell whether it changed since."""

    path: str
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> SourceStamp:
        """Stamp ``path`` as it is now."""
        resolved = path.resolve()
        status = resolved.stat()
        return cls(str(resolved), status.st_size, status.st_mtime_ns, file_sha256(resolved))

    def matches(self, path: Path) -> bool:
        """True if ``path`` is this file with the same content (the hash is read only when size or time differ)."""
        resolved = path.resolve()
        if str(resolved) != self.path:
            return False
        try:
            status = resolved.stat()
        except OSError:
            return False
        if status.st_size != self.size:
            return False
        return status.st_mtime_ns == self.mtime_ns or file_sha256(resolved) == self.sha256


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@lru_cache(maxsize=None)
def reasoner_fingerprint(engine: str) -> str:
    """``engine`` plus a hash of the reasoning code: closures computed by other code are recomputed."""
    package = Path(__file__).resolve().parent.parent / "reasoning"
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return f"{engine}:{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class Manifest:
    """What a persistent store holds (see the module documentation)."""

    base_iri: str
    sources: tuple[SourceStamp, ...] = ()
    """The files the dataset was built from (``KG_DATA`` or the shipped ontology and data)."""
    loaded: tuple[SourceStamp, ...] = ()
    """Files added with ``kg load`` since, in order."""
    reasoner: str = ""
    """:func:`reasoner_fingerprint` of the engine that computed the closures."""
    closures: tuple[str, ...] = ()
    """Entailment modes whose inferred graph is up to date with the asserted data."""
    updates: int = 0
    """Changes committed through SPARQL Update since the sources were loaded."""
    loading: tuple[str, ...] = ()
    """Files a ``kg load`` was writing when this was recorded (non-empty only while it runs)."""
    clean: bool = True
    """False while a change is being written."""

    @classmethod
    def blank(cls) -> Manifest:
        """What a store records before its first load completes: nothing known, not clean."""
        return cls(base_iri="", clean=False)

    @property
    def built(self) -> bool:
        """True once the sources were loaded completely at least once."""
        return bool(self.base_iri)

    def replace(self, **changes: Any) -> Manifest:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        """The manifest as a JSON document."""
        record = dataclasses.asdict(self)
        record["format"] = FORMAT
        return json.dumps(record, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Read a manifest written by :meth:`to_json`."""
        try:
            record = json.loads(text)
            if record.pop("format", None) != FORMAT:
                raise ManifestError("the store's manifest has an unknown format (written by another version of ipkg?)")
            record["sources"] = tuple(SourceStamp(**s) for s in record.get("sources", ()))
            record["loaded"] = tuple(SourceStamp(**s) for s in record.get("loaded", ()))
            record["closures"] = tuple(record.get("closures", ()))
            record["loading"] = tuple(record.get("loading", ()))
            return cls(**record)
        except (ValueError, TypeError, KeyError) as error:
            if isinstance(error, ManifestError):
                raise
            raise ManifestError(f"the store's manifest is damaged: {error}") from None


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` durably: temporary file, fsync, rename, fsync of the directory."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
