"""Shared fixtures: real settings, a real loaded and reasoned graph, a real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.app import create_app
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings

if TYPE_CHECKING:
    from tests.live_server import LiveServer
    from tests.virtuoso import Virtuoso

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "http://localhost:8000/"


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Default settings with the base spelled out (tests must not depend on the environment)."""
    return Settings(base_uri=BASE)


@pytest.fixture(scope="session")
def knowledge_graph(settings: Settings) -> KnowledgeGraph:
    """The shipped ontology and data, loaded and reasoned in every mode."""
    graph = open_dataset(settings)
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


@pytest.fixture(scope="session")
def shipped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real ``kg serve`` on the shipped data, with ``KG_BASE_URI=http://127.0.0.1:PORT/`` (stopped after the run)."""
    from tests.live_server import free_port, live_server

    port = free_port()
    env = {"KG_BASE_URI": f"http://127.0.0.1:{port}/"}
    with live_server(tmp_path_factory.mktemp("serve"), env=env, port=port, timeout=300) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[Virtuoso]:
    """A real Virtuoso: the one ``.ci/run`` started, or a throwaway one; skipped outside CI when neither can be had."""
    import os

    from tests.virtuoso import VirtuosoMissing, virtuoso

    try:
        with virtuoso() as server:
            yield server
    except VirtuosoMissing as missing:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(missing))
