"""Finding and parsing RDF source files: formats by extension, gzip, base resolution, errors with positions."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.formats import GRAPH, formats_for
from kg.settings import PROJECT_ROOT

#: File extension -> RDF format, from the format registry (``.ttl``, ``.owl``, ``.jsonld``…).
FORMATS_BY_EXTENSION: dict[str, ox.RdfFormat] = {
    f".{extension}": fmt.engine for fmt in formats_for(GRAPH) for extension in fmt.extensions
    if isinstance(fmt.engine, ox.RdfFormat)
}

#: Files of the shipped ontology folder that are not part of the reasoned dataset.
NOT_LOADED = frozenset({"shapes.ttl"})


class SourceError(ValueError):
    """An RDF source could not be read; the message names the file and the position."""


@dataclass(frozen=True)
class RdfSource:
    """One RDF file to load."""

    path: Path

    @property
    def format(self) -> ox.RdfFormat:
        """The file's RDF format, from its extension (``.gz`` looked through)."""
        suffixes = [s.lower() for s in self.path.suffixes]
        if suffixes and suffixes[-1] == ".gz":
            suffixes = suffixes[:-1]
        if not suffixes or suffixes[-1] not in FORMATS_BY_EXTENSION:
            known = ", ".join(sorted(FORMATS_BY_EXTENSION))
            raise SourceError(f"{self.path}: unknown RDF format (extensions: {known}, optionally .gz)")
        return FORMATS_BY_EXTENSION[suffixes[-1]]

    def open(self) -> IO[bytes]:
        """The file's bytes, decompressed if it ends in ``.gz``."""
        if self.path.suffix.lower() == ".gz":
            return gzip.open(self.path, "rb")
        return self.path.open("rb")

    def quads(self, base_iri: str) -> Iterator[ox.Quad]:
        """Stream the file's quads, resolving relative IRIs against ``base_iri``."""
        try:
            with self.open() as stream:
                # Each document's blank nodes are its own: the same label in two files names two nodes.
                yield from ox.parse(stream, format=self.format, base_iri=base_iri, rename_blank_nodes=True)
        except SyntaxError as error:
            raise SourceError(f"{self.path}: {describe_syntax_error(error)}") from None
        except (OSError, EOFError) as error:
            raise SourceError(f"{self.path}: {error}") from None


def describe_syntax_error(error: SyntaxError) -> str:
    """A one-line message for a pyoxigraph syntax error, with line and column when known."""
    message = error.msg if error.msg else str(error)
    if error.lineno and "line" not in message:
        return f"line {error.lineno}, column {error.offset}: {message}"
    return message


def shipped_sources(root: Path = PROJECT_ROOT) -> list[RdfSource]:
    """The shipped ontology and data files, in a stable order."""
    found: list[RdfSource] = []
    for folder in ("ontology", "data"):
        for path in sorted((root / folder).iterdir()):
            if path.name in NOT_LOADED or path.name.startswith("."):
                continue
            if path.suffix.lower() in (".ttl", ".trig"):
                found.append(RdfSource(path))
    return found


def shapes_source(root: Path = PROJECT_ROOT) -> RdfSource:
    """The SHACL shapes file."""
    return RdfSource(root / "ontology" / "shapes.ttl")
