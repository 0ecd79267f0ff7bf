"""Where the dataset lives.  ``open_store`` turns the ``KG_STORE`` setting into a store.

Every backend offers the same interface (:class:`kg.store.base.Store`): add and
remove quads, read a graph, list graphs, evaluate SPARQL with its own engine,
and, for the stores that outlive the process, record what they hold.
"""

from __future__ import annotations

from kg.settings import Settings, StoreConfigError, StoreSpec, parse_store_spec
from kg.store.base import Store, StoreError, StoreTimeout, StoreUnavailable
from kg.store.oxigraph import OxigraphStore
from kg.store.persistent import PersistentOxigraphStore
from kg.store.remote import RemoteStore

__all__ = [
    "OxigraphStore", "PersistentOxigraphStore", "RemoteStore", "Store", "StoreConfigError", "StoreError",
    "StoreSpec", "StoreTimeout", "StoreUnavailable", "open_store", "parse_store_spec",
]


def open_store(settings: Settings) -> Store:
    """Open the store named by ``settings.store``."""
    spec = parse_store_spec(settings.store)
    if spec.kind == "oxigraph":
        assert spec.path is not None
        return PersistentOxigraphStore(spec.path)
    if spec.kind == "sparql":
        assert spec.query_url is not None and spec.update_url is not None
        return RemoteStore(spec.query_url, spec.update_url, settings.base_uri, settings.query_timeout)
    return OxigraphStore.in_memory()
