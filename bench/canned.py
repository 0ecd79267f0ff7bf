"""What running a canned query costs over sending the same SPARQL to ``/sparql``, in one process.

For a few shipped queries, it times ``GET /api/queries/NAME/run`` (parameters
checked — an IRI's class with an ASK — and bound into the parsed query) against
``GET /sparql`` with the same query text and the values in a ``VALUES`` block
at the top of its ``WHERE`` (what a client would send by hand), through the
Flask test client over the shipped data (in-process evaluation, no HTTP), and
prints the median milliseconds of each and their ratio::

    .venv/bin/python bench/canned.py [--runs 200]

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
import tempfile  # noqa: E402
import time  # noqa: E402

from kg.app import create_app  # noqa: E402
from kg.dataset import KnowledgeGraph, open_dataset  # noqa: E402
from kg.settings import load_settings  # noqa: E402
from kg.sparql.lexer import tokens  # noqa: E402

#: (canned query, its parameters, the same values as SPARQL terms)
CASES = (
    ("participants-by-sector", {"sector": "academia"},
     {"sector": "sector:academia", "event": "event:high-level-roundtable-2021-01-13"}),
    ("statements-by-speaker", {"speaker": "li-baodong"}, {"speaker": "person:li-baodong"}),
    ("laws-entering-into-force", {"from": "2021-01-01"},
     {"from": '"2021-01-01"^^xsd:date', "to": '"2021-12-31"^^xsd:date'}),
)


def with_values(text: str, terms: dict[str, str]) -> str:
    """``text`` with ``VALUES (?a ?b) { (x y) }`` opening its WHERE clause."""
    where = next(token for token in tokens(text) if token.text == "{")
    names = " ".join(f"?{name}" for name in terms)
    values = " ".join(terms.values())
    cut = where.offset + 1
    return f"{text[:cut]} VALUES ({names}) {{ ({values}) }} {text[cut:]}"


def median_ms(call, runs: int) -> float:
    call()  # warm up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    settings = load_settings({"queries_dir": tempfile.mkdtemp(prefix="bench-canned-")})
    graph = open_dataset(settings)
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    client = create_app(settings, graph).test_client()
    print(f"{'query':28} {'canned ms':>10} {'/sparql ms':>11} {'ratio':>6}")
    for name, params, constants in CASES:
        document = client.get(f"/api/queries/{name}").json
        text = with_values(document["sparql"], constants)
        reasoning = document["reasoning"] or settings.default_reasoning
        run_path = f"/api/queries/{name}/run"
        canned = median_ms(lambda path=run_path, query=params: client.get(path, query_string=query), args.runs)
        sparql = {"query": text, "reasoning": reasoning}
        plain = median_ms(lambda query=sparql: client.get("/sparql", query_string=query), args.runs)
        print(f"{name:28} {canned:10.2f} {plain:11.2f} {canned / plain:6.2f}")


if __name__ == "__main__":
    main()
