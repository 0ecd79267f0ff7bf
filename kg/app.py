"""The Flask application factory."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

import rdflib
from flask import Flask, Response, abort, g, request

from kg.evaluation import Evaluator, InProcessEvaluator
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.web import OUTSIDE_PREFIX


def create_app(
    settings: Settings | None = None, graph: KnowledgeGraph | None = None, evaluator: Evaluator | None = None
) -> Flask:
    """Build the web application over ``graph`` (loaded and reasoned from ``settings`` if not given).

    Queries are answered by ``evaluator`` (``kg serve`` passes its worker pool); by default in-process.
    The routes are served under the path of ``KG_BASE_URI`` (``/sparql``, or ``/kg/sparql`` for ``…/kg/``).
    """
    from kg.canned.catalogue import Catalogue
    from kg.settings import load_settings
    from kg.web import (auth, canned, changes, errors, explain, graph_store, inconsistencies, linked_data, query_page,
                        security, sparql)
    from kg.web.query_path import QueryPath

    settings = settings or load_settings()
    if graph is None:
        graph = open_dataset(settings)
        for mode in ("rdfs", "owlrl"):
            graph.ensure_reasoned(mode)
    guard_writes(graph, settings)
    app = Flask(__name__, static_folder="web/static", template_folder="web/templates")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions["kg.settings"] = settings
    app.extensions["kg.graph"] = graph
    evaluator = evaluator or InProcessEvaluator(graph, settings)
    app.extensions["kg.evaluator"] = evaluator
    app.extensions["kg.catalogue"] = Catalogue.from_settings(settings)
    errors.install(app)
    security.install(app, settings.max_request_bytes)
    app.wsgi_app = QueryPath(app.wsgi_app, settings, evaluator)  # type: ignore[method-assign]
    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(canned.blueprint)
    app.register_blueprint(query_page.blueprint)
    app.register_blueprint(linked_data.blueprint)
    app.register_blueprint(explain.blueprint)
    app.register_blueprint(graph_store.blueprint)
    app.register_blueprint(inconsistencies.blueprint)
    app.register_blueprint(changes.blueprint)
    _log_requests(app)
    _serve_under(app, settings.base_path)
    auth.install(app)
    return app


class PathPrefix:
    """WSGI middleware serving an application under ``prefix`` (such as ``/kg``), as a reverse proxy forwards it.

    It moves the prefix from ``PATH_INFO`` to ``SCRIPT_NAME``, so routes match and ``url_for`` links carry
    the prefix; a request outside it is marked with :data:`OUTSIDE_PREFIX` for the application to refuse.
    A server that sets ``SCRIPT_NAME`` to the prefix itself is left alone.
    """

    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        mount(environ, self.prefix)
        return self.app(environ, start_response)


def mount(environ: dict[str, Any], prefix: str) -> None:
    """Move ``prefix`` from the ``PATH_INFO`` of ``environ`` to its ``SCRIPT_NAME``, or mark the request as outside
    it (:data:`OUTSIDE_PREFIX`); leave alone a request whose ``SCRIPT_NAME`` is the prefix already."""
    script_name, path = environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", "")
    if script_name.rstrip("/") != prefix:
        if path == prefix or path.startswith(prefix + "/"):
            environ["SCRIPT_NAME"], environ["PATH_INFO"] = script_name + prefix, path[len(prefix):]
        else:
            environ[OUTSIDE_PREFIX] = True


def served_prefix(base_path: str) -> str:
    """The path prefix the app is served under for the base path ``base_path`` (``/kg/`` gives ``/kg``, ``/`` none),
    as WSGI gives ``PATH_INFO``."""
    return unquote_to_bytes(base_path.rstrip("/")).decode("latin-1")


def guard_writes(graph: KnowledgeGraph, settings: Settings) -> None:
    """Check every write of ``graph`` against the shipped SHACL shapes as ``KG_SHACL`` says (once per graph)."""
    from kg.dataset.shacl_guard import ShaclGuard, install_guard
    from kg.sources import shapes_source
    from kg.terms import triple_to_rdflib

    graph.checks[:] = [check for check in graph.checks if not isinstance(check, ShaclGuard)]
    source = shapes_source()
    if settings.shacl == "off" or not source.path.is_file():
        return
    shapes = rdflib.Graph()
    for quad in source.quads(settings.base_uri):
        shapes.add(triple_to_rdflib(quad.triple))
    install_guard(graph, shapes, settings.shacl)


def _serve_under(app: Flask, base_path: str) -> None:
    """Serve ``app`` under ``base_path`` (``/kg/``) when it is not ``/``; every other path is 404."""
    prefix = served_prefix(base_path)
    if not prefix:
        return
    app.wsgi_app = PathPrefix(app.wsgi_app, prefix)  # type: ignore[method-assign]

    @app.before_request
    def refuse_outside_prefix() -> None:
        if request.environ.get(OUTSIDE_PREFIX):
            abort(404, f"nothing is served outside {base_path} (the path of KG_BASE_URI); try {base_path}")


def _log_requests(app: Flask) -> None:
    """One log line per request (:func:`kg.web.request_log.log_request`), never with the caller's token."""
    from kg.web.request_log import log_request

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_answer(response: Response) -> Response:
        elapsed_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        caller = g.get("caller")
        log_request(request.method, request.full_path.rstrip("?"), response.status_code, elapsed_ms,
                    g.get("result_rows"), caller.name if caller is not None and not caller.anonymous else None)
        return response
