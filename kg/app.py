"""The Flask application factory."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from kg.graph import KnowledgeGraph
from kg.settings import Settings


def create_app(settings: Settings | None = None, graph: KnowledgeGraph | None = None) -> Flask:
    """Build the web application over ``graph`` (loaded and reasoned from ``settings`` if not given)."""
    from kg.settings import load_settings
    from kg.web import sparql

    settings = settings or load_settings()
    if graph is None:
        graph = KnowledgeGraph.load(settings)
        for mode in ("rdfs", "owlrl"):
            graph.ensure_reasoned(mode)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions["kg.settings"] = settings
    app.extensions["kg.graph"] = graph
    app.register_blueprint(sparql.blueprint)
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
