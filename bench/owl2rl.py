"""The W3C OWL 2 test cases selected for OWL 2 RL, with the fast engine and owlrl side by side.

For every check of the selection (see ``tests/owl2rl.py``) it prints pass or fail for each engine, then the
pass counts per tier (``rl``: the RL-tagged tests an OWL 2 RL/RDF rule can reach; ``rl-beyond``: the RL-tagged
ones no rule can; ``rdfbased``: the informational tier), the checks on which the engines differ, and the
seconds each engine took (owlrl is slow, which is why this is not in the suite)::

    .venv/bin/python bench/owl2rl.py [--verbose] [--only SUBSTRING] [--engines fast,owlrl] [--axiomatic-triples]

``--axiomatic-triples`` runs them as ``KG_AXIOMATIC_TRIPLES`` serves (:mod:`kg.reasoning.axioms`).

The selection is looked for at ``../shared/conformance/owl2rl`` from the repository root (or ``$OWL2RL_TESTS``).
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py is named like the standard library's http package: keep this folder off the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse
import time
from collections import Counter

from tests import owl2rl


def tier(check: owl2rl.Check) -> str:
    """The tier a check counts in."""
    return "rl-beyond" if check.beyond_rules else check.tier


def main() -> int:
    """Run every check with each engine and print the outcomes and the totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print why each failing check fails")
    parser.add_argument("--only", default="", help="run only the checks whose name contains this")
    parser.add_argument("--engines", default=",".join(owl2rl.ENGINES), help="comma-separated engines to run")
    parser.add_argument("--axiomatic-triples", action="store_true",
                        help="with the triples that follow from no premise (KG_AXIOMATIC_TRIPLES)")
    args = parser.parse_args()
    if not owl2rl.available():
        print(f"no OWL 2 RL selection at {owl2rl.SUITE} (set OWL2RL_TESTS)")
        return 2
    engines = args.engines.split(",")
    checks = [c for c in owl2rl.checks() if args.only in c.name]
    seconds = dict.fromkeys(engines, 0.0)
    passed: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter(tier(c) for c in checks)
    differing: list[str] = []
    for check in checks:
        results: dict[str, str | None] = {}
        for engine in engines:
            started = time.perf_counter()
            results[engine] = owl2rl.failure(check, engine, args.axiomatic_triples)
            seconds[engine] += time.perf_counter() - started
            passed[engine, tier(check)] += results[engine] is None
        marks = "  ".join(f"{engine}={'pass' if results[engine] is None else 'FAIL'}" for engine in engines)
        print(f"{check.name[:70]:72} {tier(check):10} {marks}")
        if args.verbose:
            for engine in engines:
                if results[engine] is not None:
                    print(f"    {engine}: {results[engine]}")
        if len({results[e] is None for e in engines}) > 1:
            differing.append(f"{check.name}: " + ", ".join(
                f"{e} {'passes' if results[e] is None else 'fails'}" for e in engines))
    print()
    for name in sorted(totals):
        print(f"{name:10} " + "  ".join(f"{e} {passed[e, name]}/{totals[name]}" for e in engines))
    print(f"{'all':10} " + "  ".join(
        f"{e} {sum(passed[e, t] for t in totals)}/{sum(totals.values())}" for e in engines))
    print("\ndiffering:" if differing else "\nno check on which the engines differ")
    for line in differing:
        print("  " + line)
    print("\nseconds: " + ", ".join(f"{e} {seconds[e]:.1f}" for e in engines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
