"""The W3C SPARQL 1.0/1.1 query-evaluation tests three ways: pyoxigraph alone, ``kg query`` and ``/sparql``.

For every runnable test (see ``tests/w3c_sparql.py``) it prints pass or fail for the engine alone (a
``pyoxigraph.Store`` over the test's N-Quads), for our CLI path and for our ``/sparql`` path, then the totals,
the tests whose outcome differs between the engine and our paths, and the seconds each path took::

    .venv/bin/python bench/w3c_sparql.py [--verbose] [--only SUBSTRING]

The suites are looked for at ``../shared/conformance/sparql`` from the repository root (or ``$W3C_SPARQL_SUITES``).
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py is named like the standard library's http package: keep this folder off the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import logging  # noqa: E402
import time  # noqa: E402

from tests import w3c_sparql  # noqa: E402

RUNNERS = ("pyoxigraph", "cli", "sparql")


def main() -> int:
    """Run every runnable test with each runner and print the outcomes and totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print why each failing test fails")
    parser.add_argument("--only", default="", help="run only the tests whose id contains this")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    tests = [t for t in w3c_sparql.runnable_tests() if args.only in t.id]
    print(f"{len(w3c_sparql.all_tests())} query-evaluation tests, {len(w3c_sparql.runnable_tests())} runnable, "
          f"running {len(tests)}")
    seconds = dict.fromkeys(RUNNERS, 0.0)
    passed = dict.fromkeys(RUNNERS, 0)
    differing: list[tuple[str, dict[str, str | None]]] = []
    for test in tests:
        w3c_sparql.dataset_file(test)
        results: dict[str, str | None] = {}
        for runner in RUNNERS:
            started = time.perf_counter()
            results[runner] = w3c_sparql.outcome(test, runner)
            seconds[runner] += time.perf_counter() - started
            passed[runner] += results[runner] is None
        marks = "  ".join(f"{runner}={'pass' if results[runner] is None else 'FAIL'}" for runner in RUNNERS)
        print(f"{test.id:60} {marks}")
        if args.verbose:
            for runner in RUNNERS:
                if results[runner] is not None:
                    print(f"    {runner}: " + str(results[runner]).replace("\n", "\n    "))
        if len({results[r] is None for r in RUNNERS}) > 1:
            differing.append((test.id, results))
    print()
    print(f"{'path':12} {'pass':>5} {'fail':>5} {'seconds':>8}")
    for runner in RUNNERS:
        print(f"{runner:12} {passed[runner]:5} {len(tests) - passed[runner]:5} {seconds[runner]:8.1f}")
    if differing:
        print("\noutcomes differing between paths:")
        for test_id, results in differing:
            print(f"  {test_id}: " + ", ".join(f"{r}={'pass' if results[r] is None else 'fail'}" for r in RUNNERS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
