"""What the linked-data tests share: the fixture graph and app, and a real ``kg serve`` on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from kg.app import create_app
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES

LD_FIXTURES = FIXTURES / "linked_data"
FIXTURE_FILES = (LD_FIXTURES / "ontology.ttl", LD_FIXTURES / "data.trig")
KG = Path(sys.executable).with_name("kg")


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


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running ``kg serve``: its base IRI (which is also its address)."""

    base: str
    log: Path


@contextmanager
def serve(data: Sequence[Path] = (), log_dir: Path | None = None, timeout: float = 300) -> Iterator[Server]:
    """Run ``kg serve`` with ``KG_BASE_URI=http://127.0.0.1:PORT/`` on a free port until the block ends."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "KG_BASE_URI": base}
    args = [str(KG), "serve", "--host", "127.0.0.1", "--port", str(port)]
    for path in data:
        args += ["--data", str(path)]
    log = (log_dir or Path("/tmp")) / f"kg-serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(args, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"kg serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(base, timeout=5):
                    break
            except urllib.error.HTTPError:
                break  # answering, if not with a page
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"kg serve did not answer within {timeout} s:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield Server(base, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
