"""The embedded engine on disk (``oxigraph:PATH``): a RocksDB-backed pyoxigraph store and its manifest.

Durability: pyoxigraph commits each write to RocksDB's write-ahead log, which
reaches the operating system at once (a killed process loses nothing committed)
but is not synced to the disk; :meth:`PersistentOxigraphStore.flush` writes the
memory tables out to synced files, so after it a power cut loses nothing either.
The graph calls it after every committed change, before the client is answered.

Beside the data, in the same directory, ``ipkg-manifest.json`` records what the
store holds (:class:`~kg.store.manifest.Manifest`).  The first write after a
flush rewrites it as *not clean*; the flush that ends the change records it
clean again.  A manifest found not clean on opening means the last process died
mid-change, and the closures are recomputed.

RocksDB lets one process open the directory read-write; a second one (another
``kg`` command while ``kg serve`` runs) gets a :class:`~kg.store.base.StoreError`
saying so.  Query workers never open it: each opens a checkpoint of it
(:meth:`PersistentOxigraphStore.checkpoint`, RocksDB's own: the immutable data
files hard-linked, so it costs milliseconds and no copy) as a private store,
which replays the changes committed after it.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.store.base import StoreError
from kg.store.manifest import Manifest, ManifestError, write_atomically
from kg.store.oxigraph import OxigraphStore

MANIFEST_FILE = "ipkg-manifest.json"
#: A file every RocksDB directory has: its absence in a non-empty directory means it is not a store.
ROCKSDB_MARKER = "CURRENT"


class PersistentOxigraphStore(OxigraphStore):
    """A pyoxigraph store in directory ``path``, with its manifest."""

    kind = "oxigraph"
    persistent = True

    def __init__(self, path: Path) -> None:
        self.path = self.directory = path.expanduser().resolve()
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"KG_STORE=oxigraph:{path}: {self.path} is a file, not a directory")
        if self.path.is_dir() and any(self.path.iterdir()) and not (self.path / ROCKSDB_MARKER).exists():
            raise StoreError(
                f"KG_STORE=oxigraph:{path}: {self.path} is not empty and holds no Oxigraph store; "
                "name a new or empty directory"
            )
        try:
            store = ox.Store(str(self.path))
        except OSError as error:
            if "lock" in str(error).lower():
                raise StoreError(
                    f"the store at {self.path} is open in another process (a running kg serve?): only one process "
                    "at a time can open it; stop that process, or send the work to the server over SPARQL"
                ) from None
            raise StoreError(f"cannot open the store at {self.path}: {error}") from None
        super().__init__(store)
        self._recorded = self._read_manifest_file()
        self._changing = self._recorded is not None and not self._recorded.clean

    def describe(self) -> str:
        """Where the data lives."""
        return f"the store at {self.path}"

    @property
    def manifest_path(self) -> Path:
        """The manifest file."""
        return self.path / MANIFEST_FILE

    def _read_manifest_file(self) -> Manifest | None:
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreError(f"cannot read {self.manifest_path}: {error}") from None
        try:
            return Manifest.from_json(text)
        except ManifestError as error:
            raise StoreError(f"{self.manifest_path}: {error}") from None

    def _before_write(self) -> None:
        """Record the manifest as not clean before the first write of a change."""
        if not self._changing:
            write_atomically(self.manifest_path, (self._recorded or Manifest.blank()).replace(clean=False).to_json())
            self._changing = True

    def read_manifest(self) -> Manifest | None:
        """The manifest as found on opening or last flushed."""
        return self._recorded

    def flush(self, manifest: Manifest) -> None:
        """Sync every write to disk, then record ``manifest``."""
        try:
            self._store.flush()
        except OSError as error:
            raise StoreError(f"cannot write {self.describe()} to disk: {error}") from None
        write_atomically(self.manifest_path, manifest.to_json())
        self._recorded = manifest
        self._changing = not manifest.clean

    def checkpoint(self, target: Path) -> None:
        """Make ``target`` (a new directory on the same file system) a consistent copy of the store as it is now,
        sharing its data files by hard links; open it with :func:`open_checkpoint`."""
        try:
            self._store.backup(str(target))
        except OSError as error:
            raise StoreError(f"cannot checkpoint {self.describe()} to {target}: {error}") from None

    def optimize(self) -> None:
        """Compact RocksDB's files after a bulk load: fewer files for each lookup to search."""
        try:
            self._store.optimize()
        except OSError as error:
            raise StoreError(f"cannot compact {self.describe()}: {error}") from None

    def close(self) -> None:
        """Sync to disk and release the directory's lock (the store must not be used after)."""
        try:
            self._store.flush()
        finally:
            del self._store


def open_checkpoint(path: Path) -> OxigraphStore:
    """The store in ``path``, made by :meth:`PersistentOxigraphStore.checkpoint`, opened read-write as a private
    copy: no manifest, no reasoner state beside it (its owner never reasons)."""
    try:
        return OxigraphStore(ox.Store(str(path)))
    except OSError as error:
        raise StoreError(f"cannot open the checkpoint at {path}: {error}") from None
