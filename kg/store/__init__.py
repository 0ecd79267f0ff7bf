"""Where the dataset lives.  ``open_store`` turns the ``KG_STORE`` setting into a store.

Every backend offers the same small interface (:class:`kg.store.oxigraph.OxigraphStore`
is the model): add and remove quads, read a graph, list graphs, and evaluate
SPARQL with its own engine.
"""

from __future__ import annotations

from kg.settings import Settings
from kg.store.oxigraph import OxigraphStore


class StoreConfigError(ValueError):
    """``KG_STORE`` names a store kind that does not exist or is malformed."""


def open_store(settings: Settings) -> OxigraphStore:
    """Open the store named by ``settings.store``."""
    kind, _, _argument = settings.store.partition(":")
    if kind == "memory":
        return OxigraphStore.in_memory()
    raise StoreConfigError(f"unknown KG_STORE {settings.store!r}; known: memory")
