"""What checking writes against the SHACL shapes costs (``KG_SHACL=enforce`` against ``off``), in one process.

Two figures, through the Flask test client over the shipped roundtable data (change log on, as always):

* a one-triple SPARQL Update (a new English ``rdfs:label`` of a person: a triple the shapes read, on a node
  they target): the median milliseconds of ``--runs`` updates with each mode, and the difference;
* a Graph Store PUT of 10,000 triples (1,000 new, conforming people, into a source graph, so that they are
  asserted in the default graph): the write's own time (``off``) and the validation's time (``enforce``, the
  guard timed alone), median of ``--puts`` PUTs each replacing the last::

    .venv/bin/python bench/writes.py [--runs 200] [--puts 3]

Targets (issue 17): the update's difference at most 20 ms; the PUT's validation at most 2x the write's time.
Figures are medians of noisy runs on a shared machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py is named like the standard library's http package: keep this folder off the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import itertools  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from urllib.parse import quote  # noqa: E402

from flask import Flask  # noqa: E402

from kg.app import create_app  # noqa: E402
from kg.dataset.shacl_guard import ShaclGuard  # noqa: E402
from kg.settings import load_settings  # noqa: E402

TOKEN = "bench-writes-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
PEOPLE = 1_000  # ten triples each


def _app(mode: str, queries: Path) -> Flask:
    settings = load_settings({"write_token": TOKEN, "shacl": mode, "queries_dir": queries,
                              "max_request_bytes": 10_000_000})
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


def _median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def one_triple_updates(app: Flask, runs: int) -> float:
    """Median milliseconds of a one-triple update that the shapes check."""
    base = app.extensions["kg.settings"].base_uri
    client = app.test_client()
    counter = itertools.count()
    timings = []
    for _ in range(runs):
        text = (f'INSERT DATA {{ <{base}id/person/li-baodong> <http://www.w3.org/2000/01/rdf-schema#label> '
                f'"Li Baodong {next(counter)}"@en }}')
        started = time.perf_counter()
        reply = client.post("/sparql", data=text, content_type="application/sparql-update", headers=HEADERS)
        timings.append(time.perf_counter() - started)
        assert reply.status_code == 200, reply.get_data(as_text=True)
    return _median_ms(timings)


def _people(base: str, round_number: int) -> str:
    kg = f"<{base}ontology#"
    lines = []
    for n in range(PEOPLE):
        person = f"<{base}id/person/bench-{round_number}-{n}>"
        lines += [f"{person} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> {kg}Person> .", f'{person} {kg}name> "Bench {n}"@en .',
                  f'{person} <http://www.w3.org/2000/01/rdf-schema#label> "Bench {n}"@en .',
                  f"{person} {kg}affiliatedWith> <{base}id/organization/wipo> .",
                  f'{person} {kg}givenName> "B{n}"@en .', f'{person} {kg}familyName> "Bench"@en .',
                  f'{person} {kg}honorificPrefix> "Ms."@en .', f"{person} {kg}source> <{base}id/passage/p24> .",
                  f'{person} {kg}name> "Bench {n} (again)"@en .', f'{person} {kg}name> "Banc {n}"@fr .']
    return "\n".join(lines)


def puts(app: Flask, count: int) -> tuple[float, float]:
    """Median milliseconds of a 10,000-triple PUT into a source graph, and of its validation alone."""
    base = app.extensions["kg.settings"].base_uri
    graph_iri = f"{base}graph/source/bench"
    client = app.test_client()
    declare = f"INSERT DATA {{ <{graph_iri}> a <{base}ontology#SourceGraph> }}"
    assert client.post("/sparql", data=declare, content_type="application/sparql-update", headers=HEADERS).status_code == 200
    graph = app.extensions["kg.graph"]
    validating: list[float] = []
    for index, check in enumerate(graph.checks):
        if isinstance(check, ShaclGuard):
            graph.checks[index] = _timed(check, validating)
    timings = []
    for round_number in range(count):
        body = _people(base, round_number)
        started = time.perf_counter()
        reply = client.put(f"/store?graph={quote(graph_iri)}", data=body, content_type="application/n-triples",
                           headers=HEADERS)
        timings.append(time.perf_counter() - started)
        assert reply.status_code in (200, 201), reply.get_data(as_text=True)[:2000]
    return _median_ms(timings), _median_ms(validating) if validating else 0.0


def _timed(check: ShaclGuard, into: list[float]) -> Callable[..., None]:
    def timed(*args: object) -> None:
        started = time.perf_counter()
        try:
            check(*args)  # type: ignore[arg-type]
        finally:
            into.append(time.perf_counter() - started)
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--puts", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as queries:
        medians = {mode: one_triple_updates(_app(mode, Path(queries)), args.runs) for mode in ("off", "enforce")}
        print(f"one-triple update, median of {args.runs}: off {medians['off']:.2f} ms, enforce "
              f"{medians['enforce']:.2f} ms, difference {medians['enforce'] - medians['off']:.2f} ms (target <= 20 ms)")
        write_off, _ = puts(_app("off", Path(queries)), args.puts)
        write_enforce, validation = puts(_app("enforce", Path(queries)), args.puts)
        print(f"10,000-triple PUT, median of {args.puts}: off {write_off:.0f} ms, enforce {write_enforce:.0f} ms, "
              f"of which validation {validation:.0f} ms = {validation / write_off:.2f}x the write's time (target <= 2x)")


if __name__ == "__main__":
    main()
