"""Running the app under a production WSGI server (gunicorn, threaded worker)."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask
from gunicorn.app.base import BaseApplication

from kg.settings import Settings


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn configured from our settings, building the app once in its worker."""

    def __init__(self, settings: Settings, build: Callable[[], Flask]) -> None:
        self._settings = settings
        self._build = build
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", f"{self._settings.host}:{self._settings.port}")
        # One HTTP process serves every request from the one loaded dataset, with threads.
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", self._settings.threads)
        self.cfg.set("timeout", 0)
        self.cfg.set("graceful_timeout", 30)
        self.cfg.set("accesslog", None)
        self.cfg.set("loglevel", "info")

    def load(self) -> Flask:
        return self._build()


def serve(settings: Settings, build: Callable[[], Flask], echo: Callable[[str], None]) -> None:
    """Serve the app built by ``build`` on ``settings.host:settings.port`` until interrupted."""
    started = time.perf_counter()

    def build_and_report() -> Flask:
        app = build()
        echo(f"ready in {time.perf_counter() - started:.2f} s: http://{settings.host}:{settings.port}/sparql")
        return app

    _Gunicorn(settings, build_and_report).run()
