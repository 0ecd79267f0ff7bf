"""HTTP benchmark: ``kg serve`` against rdflib-endpoint on the same files and the same query mix, in one run.

For each server and each concurrency (default 1 and 8) it sends the fixed query
mix for a fixed time from persistent connections and prints requests per
second, p50 and p99 latency and errors, then the ratios ours/theirs.  A second
table measures, without HTTP, what evaluating through the worker pool costs per
query compared with evaluating in the calling thread.

rdflib-endpoint is not a dependency of ipkg: give the Python of a separate
environment that has it (``python -m venv /tmp/re && /tmp/re/bin/pip install rdflib-endpoint``)::

    .venv/bin/python bench/http.py --rdflib-endpoint-python /tmp/re/bin/python

Figures are medians of noisy runs on a shared machine: quote ratios from one run.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This script is named like the standard library's ``http`` package, which it uses: keep its folder off the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from urllib.parse import quote  # noqa: E402

from tests.live_server import free_port, server_process  # noqa: E402

PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

#: The fixed mix: what a data engineer exploring a graph sends first (written for any RDF data).
QUERY_MIX = [
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label } LIMIT 20",
    "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n) LIMIT 10",
    "ASK { ?c a owl:Class }",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) LIMIT 20",
    "CONSTRUCT { ?p ?q ?o } WHERE { ?p a owl:ObjectProperty ; ?q ?o } LIMIT 100",
    "SELECT ?c ?super ?l WHERE { ?c rdfs:subClassOf ?super . ?super rdfs:label ?l FILTER(LANG(?l) = 'en') } LIMIT 50",
    "SELECT ?s ?o WHERE { ?s skos:broader ?o . OPTIONAL { ?o skos:prefLabel ?l } } LIMIT 50",
    "SELECT ?s WHERE { ?s ?p ?o FILTER(ISLITERAL(?o) && CONTAINS(LCASE(STR(?o)), 'property')) } LIMIT 10",
]


@dataclass
class Cell:
    """What one server did at one concurrency."""

    server: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else float("nan")


@contextmanager
def running(name: str, command: Sequence[str], port: int, endpoint: str, env: dict[str, str] | None = None) -> Iterator[None]:
    """Run a server (:func:`server_process`: clean environment, own session) until its endpoint answers; stop it after."""
    handle, log = tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".log")
    os.close(handle)
    with server_process(name, command, port, f"{endpoint}?query=" + quote("ASK {}"), Path(log), env=env,
                        headers={"Accept": "application/sparql-results+json"}, timeout=300, stop_seconds=20):
        yield


def load(name: str, port: int, endpoint: str, concurrency: int, seconds: float) -> Cell:
    """Send the mix from ``concurrency`` keep-alive connections for ``seconds``."""
    paths = [f"{endpoint}?query={quote(PREFIXES + text)}" for text in QUERY_MIX]
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        turn = index
        while time.monotonic() < stop:
            path = paths[turn % len(paths)]
            turn += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept": "application/sparql-results+json, text/turtle;q=0.9"})
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    errors[index] += 1
            except OSError:
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            latencies[index].append(time.perf_counter() - started)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    flat = [value for per_thread in latencies for value in per_thread]
    return Cell(name, concurrency, len(flat), sum(errors), elapsed, flat)


def warm(port: int, endpoint: str) -> None:
    for _ in range(3):
        load("warm-up", port, endpoint, 2, 1.0)


def evaluation_cost(files: Sequence[Path], rounds: int) -> tuple[float, float]:
    """Median microseconds per query of the mix: in the calling thread, and through a two-worker pool."""
    from kg.evaluation import InProcessEvaluator, QueryJob
    from kg.evaluation.pool import WorkerPool
    from kg.dataset import KnowledgeGraph, open_dataset
    from kg.settings import Settings
    from kg.sources import RdfSource

    settings = Settings(base_uri="http://localhost:8000/", workers=2)
    graph = open_dataset(settings, [RdfSource(path) for path in files])
    pool = WorkerPool(graph, settings)
    try:
        jobs = [QueryJob(PREFIXES + text) for text in QUERY_MIX]
        costs = []
        for evaluator in (InProcessEvaluator(graph, settings), pool):
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                for job in jobs:
                    assert evaluator.evaluate(job).ok
                samples.append((time.perf_counter() - started) / len(jobs) * 1e6)
            costs.append(statistics.median(samples))
        return costs[0], costs[1]
    finally:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rdflib-endpoint-python", required=True, help="Python of an environment with rdflib-endpoint installed")
    parser.add_argument("--data", type=Path, nargs="*", help="RDF files to serve (default: the shipped ontology and data)")
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each measurement (default 10)")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 8])
    parser.add_argument("--workers", type=int, default=2, help="kg serve query workers (default 2)")
    arguments = parser.parse_args()

    from kg.sources import shipped_sources

    files = arguments.data or [source.path for source in shipped_sources()]
    print(f"files: {', '.join(str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f) for f in files)}")
    print(f"mix: {len(QUERY_MIX)} queries, GET, JSON results (Turtle for CONSTRUCT); {arguments.seconds:g} s per cell\n")
    ours_port, theirs_port = free_port(), free_port()
    ours = [sys.executable, "-m", "kg.cli", "serve", "--port", str(ours_port), "--workers", str(arguments.workers)]
    for path in files:
        ours += ["--data", str(path)]
    theirs = [arguments.rdflib_endpoint_python, "-m", "rdflib_endpoint", "serve", "--host", "127.0.0.1", "--port", str(theirs_port),
              *map(str, files)]
    cells: list[Cell] = []
    servers = (("kg serve", ours, ours_port, "/sparql", {"KG_BASE_URI": "http://localhost:8000/"}),
               ("rdflib-endpoint", theirs, theirs_port, "/", None))  # rdflib-endpoint answers at its root
    for name, command, port, endpoint, env in servers:
        with running(name, command, port, endpoint, env):
            warm(port, endpoint)
            for concurrency in arguments.concurrency:
                cells.append(load(name, port, endpoint, concurrency, arguments.seconds))
    print(f"{'server':<16} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for cell in cells:
        print(f"{cell.server:<16} {cell.concurrency:>4} {cell.rate:>9.1f} {cell.percentile(0.5):>8.2f} "
              f"{cell.percentile(0.99):>8.2f} {cell.errors:>7}")
    print()
    for concurrency in arguments.concurrency:
        mine = next(c for c in cells if c.server == "kg serve" and c.concurrency == concurrency)
        other = next(c for c in cells if c.server == "rdflib-endpoint" and c.concurrency == concurrency)
        print(f"concurrency {concurrency}: throughput ours/rdflib-endpoint = {mine.rate / other.rate:.2f}x, "
              f"p99 ours/rdflib-endpoint = {mine.percentile(0.99) / other.percentile(0.99):.2f}")
    in_process, pooled = evaluation_cost(files, rounds=200)
    print(f"\nevaluation without HTTP, median per query of the mix: in-process {in_process:.0f} us, "
          f"worker pool {pooled:.0f} us (pool cost {pooled - in_process:+.0f} us per query)")


if __name__ == "__main__":
    main()
