"""The dataset's record of what its store holds: the only writer of the store's manifest.

A store that outlives the process keeps a :class:`~kg.store.manifest.Manifest`
(sources, files bulk-loaded, updates applied, current closures, the reasoner that
computed them) so that the next process can tell whether it must read or reason
again.  Every change to that record goes through :class:`DatasetRecord`.
"""

from __future__ import annotations

from collections.abc import Iterable

from kg.store import Store
from kg.store.manifest import Manifest, SourceStamp, reasoner_fingerprint


class DatasetRecord:
    """The manifest of one dataset, changed by named events and written by :meth:`write`."""

    def __init__(self, store: Store, base_uri: str, reasoner: str) -> None:
        self._store = store
        self._reasoner = reasoner_fingerprint(reasoner)
        self.manifest = Manifest(base_uri)

    def built_from(self, sources: tuple[SourceStamp, ...]) -> None:
        """The store was (re)built from ``sources`` alone."""
        self.manifest = Manifest(self.manifest.base_iri, sources=sources)

    def adopt(self, recorded: Manifest) -> None:
        """The store is reused as it was recorded (any interrupted bulk load is now reported, not pending)."""
        self.manifest = recorded.replace(loading=(), clean=True)

    def closures_trusted(self, recorded: Manifest) -> bool:
        """True if ``recorded``'s closures were left complete by the reasoner configured now."""
        return recorded.clean and recorded.reasoner == self._reasoner

    def count_update(self) -> None:
        """One more change was made through SPARQL Update (a rebuild from the files would lose it)."""
        self.manifest = self.manifest.replace(updates=self.manifest.updates + 1)

    def add_loaded(self, stamps: tuple[SourceStamp, ...]) -> None:
        """Files were bulk-loaded (``kg load``)."""
        self.manifest = self.manifest.replace(loaded=self.manifest.loaded + stamps)

    def write(self, closures: Iterable[str], *, loading: Iterable[str] = ()) -> None:
        """Make every write durable and record what the store holds (a no-op for the memory store).

        ``closures`` are the modes whose closure graphs are current; ``loading`` names files a bulk
        load is about to write: the record then says a change is in progress until the next write.
        """
        loading = tuple(loading)
        self._store.flush(self.manifest.replace(
            reasoner=self._reasoner, closures=tuple(sorted(closures)), loading=loading, clean=not loading,
        ))
