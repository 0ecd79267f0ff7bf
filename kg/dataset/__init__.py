"""The dataset: its graphs' layout, opening and loading it, changes, closures kept current, queries over it.

One job a module: :mod:`~kg.dataset.layout` (which graph is which),
:mod:`~kg.dataset.record` (the store's manifest), :mod:`~kg.dataset.closures`
(closure orchestration), :mod:`~kg.dataset.changes` (transactions and deltas),
:mod:`~kg.dataset.graph` (the running dataset and its query API),
:mod:`~kg.dataset.opening` and :mod:`~kg.dataset.bulk_load` (getting data in),
:mod:`~kg.dataset.replica` (a worker's copy), :mod:`~kg.dataset.explain` and
:mod:`~kg.dataset.validation` (why a fact holds; whether the data meets its shapes).
"""

from kg.dataset.changes import GraphChange, StoreDelta
from kg.dataset.closures import ReasoningReport
from kg.dataset.graph import KnowledgeGraph
from kg.dataset.layout import DatasetLayout
from kg.dataset.opening import open_dataset
from kg.dataset.replica import Replica

__all__ = ["DatasetLayout", "GraphChange", "KnowledgeGraph", "ReasoningReport", "Replica", "StoreDelta", "open_dataset"]
