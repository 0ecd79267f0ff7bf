"""Shared fixtures: real settings, a real loaded and reasoned graph, a real app."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.app import create_app
from kg.graph import KnowledgeGraph
from kg.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "http://localhost:8000/"


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Default settings with the base spelled out (tests must not depend on the environment)."""
    return Settings(base_uri=BASE)


@pytest.fixture(scope="session")
def knowledge_graph(settings: Settings) -> KnowledgeGraph:
    """The shipped ontology and data, loaded and reasoned in every mode."""
    graph = KnowledgeGraph.load(settings)
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    return graph


@pytest.fixture(scope="session")
def app(settings: Settings, knowledge_graph: KnowledgeGraph) -> Flask:
    """The web application over the shipped graph."""
    application = create_app(settings, knowledge_graph)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the shipped app."""
    return app.test_client()
