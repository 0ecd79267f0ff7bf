"""What the linked-data tests share: the fixture graph and app."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flask import Flask

from kg.app import create_app
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES

LD_FIXTURES = FIXTURES / "linked_data"
FIXTURE_FILES = (LD_FIXTURES / "ontology.ttl", LD_FIXTURES / "data.trig")


def fixture_graph(extra: Sequence[Path] = ()) -> KnowledgeGraph:
    """The linked-data fixture ontology and data (plus ``extra`` files), reasoned in every mode."""
    graph = open_dataset(Settings(base_uri=BASE), [RdfSource(p) for p in (*FIXTURE_FILES, *extra)])
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    return graph


def fixture_app(graph: KnowledgeGraph) -> Flask:
    """The app over ``graph``."""
    app = create_app(Settings(base_uri=BASE), graph)
    app.config["TESTING"] = True
    return app
