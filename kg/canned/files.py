"""Files of saved queries: atomic writes, one lock per name, and the history folder.

Layout under the saved-queries directory (``KG_QUERIES_DIR``)::

    NAME.rq                                   the current version
    .history/NAME/<UTC timestamp>-<rev>.rq    every version ever saved, numbered from 1
    .locks/NAME.lock                          taken (flock) while NAME is written

A write goes to a temporary file in the same directory, is flushed to disk
(fsync) and renamed over the target (``os.replace``), and the directory is
fsynced, so a crash leaves either the old or the new file, never half of one.
The lock is an ``flock`` on a file per name: it serialises writers of the same
name across threads and processes (a server and ``kg queries save``).
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HISTORY = ".history"
LOCKS = ".locks"
_REVISION_FILE = re.compile(r"^(?P<stamp>[0-9]{8}T[0-9]{6}\.[0-9]{6}Z)-(?P<rev>[0-9]+)\.rq$")


@dataclass(frozen=True)
class Revision:
    """One saved version of a query."""

    number: int
    saved_at: str
    """When it was saved: an ISO 8601 UTC timestamp."""
    path: Path

    def to_json(self) -> dict[str, object]:
        """The revision as the REST API lists it."""
        return {"revision": self.number, "saved": self.saved_at}


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers and crashes see the old or the new file, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def name_lock(directory: Path, name: str) -> Iterator[None]:
    """Hold the exclusive lock of query ``name`` (blocks until free)."""
    locks = directory / LOCKS
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{name}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def revisions(directory: Path, name: str) -> list[Revision]:
    """The saved versions of ``name``, oldest first."""
    folder = directory / HISTORY / name
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        match = _REVISION_FILE.match(entry.name)
        if match:
            stamp = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
            found.append(Revision(int(match["rev"]), stamp.isoformat().replace("+00:00", "Z"), entry))
    return sorted(found, key=lambda revision: revision.number)


def record_revision(directory: Path, name: str, text: str) -> Revision:
    """Write ``text`` as the next revision of ``name`` (call with the name's lock held)."""
    existing = revisions(directory, name)
    number = existing[-1].number + 1 if existing else 1
    now = datetime.now(UTC)
    path = directory / HISTORY / name / f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{number:06d}.rq"
    atomic_write(path, text)
    return Revision(number, now.isoformat().replace("+00:00", "Z"), path)
