"""The interface every store offers, and the errors stores raise.

Three backends implement :class:`Store`: the in-memory pyoxigraph store
(``memory``), the same engine on disk (``oxigraph:PATH``) and a remote SPARQL 1.1
server (``sparql:QUERY_URL[;UPDATE_URL]``).  Callers cannot tell them apart:
queries answer pyoxigraph result objects, graphs are addressed by IRI strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Protocol

import pyoxigraph as ox

from kg.sparql.results import QueryAnswer
from kg.store.manifest import Manifest

Substitutions = Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal]


class StoreError(Exception):
    """The store cannot be opened or used as asked; the message says why and what to do.

    ``status`` is the HTTP status a request failing on it answers (502: the store, not the request, is at fault).
    """

    status = 502

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreUnavailable(StoreError):
    """The store did not answer (remote server down, failing or too slow): HTTP ``status`` (502 or 503) for a client."""

    def __init__(self, message: str, status: int = 503) -> None:
        super().__init__(message)
        self.status = status


class StoreTimeout(StoreUnavailable):
    """A query ran past its time limit on the remote server and was abandoned."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message, 503)
        self.seconds = seconds


class Store(Protocol):
    """What :class:`kg.dataset.KnowledgeGraph` needs from where the dataset lives."""

    kind: str
    """``memory``, ``oxigraph`` or ``sparql``."""
    persistent: bool
    """True if the data outlives the process (then :meth:`read_manifest` says what it holds)."""
    evaluates_in_process: bool
    """True if queries run on an engine inside this process (which cannot be interrupted: use worker processes)."""
    directory: Path | None
    """The local directory the data lives in, where files describing it may be kept beside it (``None``: none)."""

    def describe(self) -> str:
        """Where the data lives, for messages (no credentials)."""
        ...

    def add(self, quads: Iterable[ox.Quad]) -> None:
        """Add ``quads``."""
        ...

    def remove(self, quads: Iterable[ox.Quad]) -> None:
        """Remove ``quads``; absent ones are ignored."""
        ...

    def as_stored(self, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        """``quads`` spelled as the store gives them back (it may keep typed literals by value)."""
        ...

    def apply(self, removed: Sequence[ox.Quad], added: Sequence[ox.Quad]) -> None:
        """Remove ``removed`` then add ``added``, in one transaction where the backend has them."""
        ...

    def triples(self, graph: str) -> Iterator[ox.Triple]:
        """The triples of named graph ``graph``."""
        ...

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        """Make named graph ``graph`` hold exactly ``triples``."""
        ...

    def load_triples(self, graph: str, stream: IO[bytes], fmt: ox.RdfFormat, base_iri: str) -> None:
        """Parse a triples document into ``graph``; ``SyntaxError`` with the parser's position if malformed."""
        ...

    def bulk_load(self, graph: str, stream: IO[bytes], fmt: ox.RdfFormat, base_iri: str) -> None:
        """Stream a large, already validated document into the store: triples into ``graph``, quads into their graphs and ``graph``."""
        ...

    def dump_ntriples(self, graph: str) -> str:
        """Named graph ``graph`` as N-Triples text (blank node labels kept)."""
        ...

    def add_ntriples(self, graph: str, text: str) -> None:
        """Add N-Triples ``text`` to ``graph``, keeping blank node labels."""
        ...

    def size(self) -> int:
        """Number of quads in the dataset's graphs."""
        ...

    def graphs_containing(self, triple: ox.Triple) -> list[str]:
        """IRIs of the dataset's named graphs that hold ``triple``."""
        ...

    def graph_names(self) -> list[str]:
        """IRIs of the dataset's named graphs, sorted."""
        ...

    def count(self, graph: str) -> int:
        """Number of triples in named graph ``graph``."""
        ...

    def query(
        self,
        text: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        substitutions: Substitutions | None = None,
        base_iri: str | None = None,
    ) -> QueryAnswer:
        """Evaluate a SPARQL query on the store's own engine; ``SyntaxError`` (``error at L:C: ...``) if malformed."""
        ...

    def clear(self) -> None:
        """Remove every graph of the dataset (and the manifest)."""
        ...

    def read_manifest(self) -> Manifest | None:
        """What the store recorded about its content at the last :meth:`flush` (``None``: nothing recorded)."""
        ...

    def flush(self, manifest: Manifest) -> None:
        """Make every write so far durable, then record ``manifest`` as describing the content."""
        ...

    def optimize(self) -> None:
        """Reorganize the storage for reading after a bulk load (compaction on disk; nothing elsewhere)."""
        ...

    def close(self) -> None:
        """Release the store (the on-disk store's lock)."""
        ...
