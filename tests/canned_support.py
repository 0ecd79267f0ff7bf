"""What the canned-query tests share: the fixture catalogue and data, and apps built over them."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from kg.app import create_app
from kg.canned.catalogue import Catalogue
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES

CANNED = FIXTURES / "canned"
EX = "http://example.org/canned#"
TOKEN = "test-write-token"


def fixture_graph() -> KnowledgeGraph:
    """The fixture data, loaded and reasoned (OWL 2 RL)."""
    graph = open_dataset(Settings(base_uri=BASE), [RdfSource(CANNED / "data.ttl")])
    graph.ensure_reasoned("owlrl")
    return graph


def fixture_settings(queries_dir: Path, token: str | None = TOKEN) -> Settings:
    """Settings with saved queries in ``queries_dir`` and (by default) a write token."""
    return Settings(base_uri=BASE, queries_dir=queries_dir, write_token=token)


def fixture_catalogue(queries_dir: Path) -> Catalogue:
    """The fixture queries as the shipped ones, and ``queries_dir`` for saved ones."""
    return Catalogue.from_settings(fixture_settings(queries_dir), shipped_dir=CANNED)


def fixture_app(graph: KnowledgeGraph, queries_dir: Path, token: str | None = TOKEN) -> Flask:
    """The app over ``graph``, with the fixture queries as its shipped catalogue."""
    settings = fixture_settings(queries_dir, token)
    app = create_app(settings, graph)
    app.config["TESTING"] = True
    app.extensions["kg.catalogue"] = Catalogue.from_settings(settings, shipped_dir=CANNED)
    return app


def rq(title: str, body: str, header: str = "") -> str:
    """A ``.rq`` text with a title, extra header lines and ``body``."""
    return f"#+ title: {title}\n{header}{body}"
