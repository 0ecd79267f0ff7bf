"""The Flask application factory."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from kg.evaluation import Evaluator, InProcessEvaluator
from kg.graph import KnowledgeGraph
from kg.settings import Settings


def create_app(
    settings: Settings | None = None, graph: KnowledgeGraph | None = None, evaluator: Evaluator | None = None
) -> Flask:
    """Build the web application over ``graph`` (loaded and reasoned from ``settings`` if not given).

    Queries are answered by ``evaluator`` (``kg serve`` passes its worker pool); by default in-process.
    """
    from kg.canned.catalogue import Catalogue
    from kg.settings import load_settings
    from kg.web import canned, errors, explain, linked_data, query_page, security, sparql

    settings = settings or load_settings()
    if graph is None:
        graph = KnowledgeGraph.load(settings)
        for mode in ("rdfs", "owlrl"):
            graph.ensure_reasoned(mode)
    app = Flask(__name__, static_folder="web/static", template_folder="web/templates")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions["kg.settings"] = settings
    app.extensions["kg.graph"] = graph
    app.extensions["kg.evaluator"] = evaluator or InProcessEvaluator(graph, settings)
    app.extensions["kg.catalogue"] = Catalogue.from_settings(settings)
    errors.install(app)
    security.install(app, settings.max_request_bytes)
    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(canned.blueprint)
    app.register_blueprint(query_page.blueprint)
    app.register_blueprint(linked_data.blueprint)
    app.register_blueprint(explain.blueprint)
    _log_requests(app)
    return app


def _log_requests(app: Flask) -> None:
    """One log line per request: method, path, status, milliseconds, result rows when known."""
    logger = logging.getLogger("kg.requests")

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        elapsed_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        rows = g.get("result_rows")
        logger.info(
            "%s %s %s %.1fms%s",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            elapsed_ms,
            f" rows={rows}" if rows is not None else "",
        )
        return response
