"""What dereferencing an IRI costs, per kind of thing and per flavour, against a bare SPARQL ``DESCRIBE`` in one process.

Over the shipped data, through the Flask test client (no HTTP), it times
``GET <iri>`` with each ``Accept`` for a person, an organisation, an event, a
treaty, a statement, the ontology, a passage graph and the VoID description,
and, as the baseline, ``DESCRIBE <iri>`` evaluated in-process by the same
engine (what a bare SPARQL server would answer: outgoing triples only, no
labels, no provenance, not serialized).  Prints median milliseconds and the
ratio to the baseline::

    .venv/bin/python bench/linked_data.py [--runs 30]

Figures are medians of noisy runs on a shared machine: quote the ratios.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py is named like the standard library's http package: keep this folder off the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from kg.app import create_app  # noqa: E402
from kg.dataset import KnowledgeGraph, open_dataset  # noqa: E402
from kg.settings import Settings  # noqa: E402

BASE = "http://localhost:8000/"
ACCEPTS = ("text/turtle", "application/ld+json", "application/trig", "text/html")
KINDS = ("person", "organization", "event", "treaty", "statement")


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm caches and compiled templates
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    settings = Settings(base_uri=BASE)
    graph = open_dataset(settings)
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    client = create_app(settings, graph).test_client()
    targets: list[tuple[str, str]] = []
    for kind in KINDS:
        rows = graph.select(
            f'SELECT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE}id/{kind}/")) }} ORDER BY ?s LIMIT 1', "none"
        )
        targets.append((kind, str(rows[0]["s"])))
    targets += [
        ("ontology", BASE + "ontology"),
        ("passage graph", BASE + "graph/source/p01"),
        ("VoID", BASE + ".well-known/void"),
    ]
    print(f"median ms over {runs} runs; ratio = flavour / bare DESCRIBE of the same IRI")
    print(f"{'IRI':24} {'DESCRIBE':>9} " + " ".join(f"{a.split('/')[-1]:>16}" for a in ACCEPTS))
    for kind, iri in targets:
        path = "/" + iri[len(BASE) :]
        baseline = median_ms(lambda iri=iri: list(graph.query(f"DESCRIBE <{iri}>")), runs)
        cells = []
        for accept in ACCEPTS:
            took = median_ms(lambda path=path, accept=accept: client.get(path, headers={"Accept": accept}), runs)
            cells.append(f"{took:7.1f} ({took / baseline:5.0f}×)")
        print(f"{kind:24} {baseline:9.2f} " + " ".join(cells))


if __name__ == "__main__":
    main()
