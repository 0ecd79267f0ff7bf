"""LUBM: files to the 14 answers, per engine, each run in its own process (peak memory = its max RSS).

    .venv/bin/python bench/lubm.py                 # LUBM(1) and LUBM(5)
    .venv/bin/python bench/lubm.py --sizes 1 5 10  # and LUBM(10)

Runs, per size:
* ``fast``   — our engine: files into the store, materialized, queried by pyoxigraph (the default pipeline);
* ``owlrl``  — the reference engine in the same pipeline (owlrl closure, pyoxigraph queries);
* ``rdflib`` — the issue's baseline, LUBM(1) only: rdflib parses, owlrl closes, rdflib's SPARQL evaluator answers.
A run that exceeds ``--budget`` seconds is stopped and reported as such; every query already
answered is kept.  Counts are compared with each other and, for LUBM(1), with the reference answers.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, where bench/http.py would shadow the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
DEFAULT_LUBM = ROOT.parent / "shared" / "bench" / "lubm"
QUERIES = range(1, 15)
REFERENCE_LUBM1 = {1: 4, 2: 0, 3: 6, 4: 34, 5: 719, 6: 7790, 7: 67, 8: 7790, 9: 208, 10: 4, 11: 224, 12: 15, 13: 1, 14: 5916}


def emit(**record: object) -> None:
    print(json.dumps(record), flush=True)


def run_pipeline(lubm: Path, size: int, reasoner: str) -> None:
    """Child: our KnowledgeGraph over the files with ``reasoner``; one JSON line per step."""
    sys.path.insert(0, str(ROOT))
    from kg.dataset import KnowledgeGraph, open_dataset
    from kg.settings import Settings
    from kg.sources import RdfSource

    started = time.perf_counter()
    graph = open_dataset(Settings(reasoner=reasoner), [RdfSource(lubm / "univ-bench.ttl"), RdfSource(lubm / f"lubm{size}.nt.gz")])
    loaded = time.perf_counter()
    report = graph.reason("owlrl")
    reasoned = time.perf_counter()
    emit(step="closure", load=loaded - started, reason=reasoned - loaded, asserted=report.asserted, inferred=report.inferred)
    for n in QUERIES:
        text = (lubm / "queries" / f"q{n:02d}.rq").read_text()
        begun = time.perf_counter()
        count = sum(1 for _ in graph.query(text, "owlrl"))
        emit(step="query", n=n, count=count, seconds=time.perf_counter() - begun)
    emit(step="done", total=time.perf_counter() - started, maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_rdflib(lubm: Path, size: int) -> None:
    """Child: rdflib parse, owlrl closure, rdflib's own SPARQL evaluator."""
    import owlrl
    import rdflib

    started = time.perf_counter()
    graph = rdflib.Graph()
    graph.parse(lubm / "univ-bench.ttl", format="turtle")
    with gzip.open(lubm / f"lubm{size}.nt.gz") as data:
        graph.parse(data, format="nt")
    loaded = time.perf_counter()
    asserted = len(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    reasoned = time.perf_counter()
    emit(step="closure", load=loaded - started, reason=reasoned - loaded, asserted=asserted, inferred=len(graph) - asserted)
    for n in QUERIES:
        begun = time.perf_counter()
        count = len(list(graph.query((lubm / "queries" / f"q{n:02d}.rq").read_text())))
        emit(step="query", n=n, count=count, seconds=time.perf_counter() - begun)
    emit(step="done", total=time.perf_counter() - started, maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def measure(engine: str, size: int, lubm: Path, budget: float) -> dict:
    """Run one engine on one size in a child process, reading its JSON lines until it ends or the budget is spent."""
    command = [sys.executable, __file__, "--child", engine, str(size), "--lubm", str(lubm)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    result: dict = {"queries": {}, "over_budget": False}
    deadline = time.monotonic() + budget
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(timeout=remaining):
            child.kill()
            result["over_budget"] = True
            break
        line = child.stdout.readline()  # type: ignore[union-attr]
        if not line:
            break
        record = json.loads(line)
        if record["step"] == "query":
            result["queries"][record["n"]] = (record["count"], record["seconds"])
        else:
            result.update(record)
    if child.wait() != 0 and not result["over_budget"]:
        result["failed"] = f"exit status {child.returncode}"
    return result


def report(size: int, results: dict[str, dict], budget: float) -> None:
    engines = list(results)
    print(f"\n## LUBM({size})\n")
    print("| query | " + " | ".join(f"{e} count | {e} ms" for e in engines) + " |")
    print("|---|" + "---|---|" * len(engines))
    for n in QUERIES:
        cells = []
        for e in engines:
            found = results[e]["queries"].get(n)
            cells += [str(found[0]), f"{found[1] * 1000:.1f}"] if found else ["—", "over budget" if results[e]["over_budget"] else "—"]
        print(f"| q{n} | " + " | ".join(cells) + " |")
    print()
    for e in engines:
        r = results[e]
        if r.get("failed"):
            print(f"- {e}: FAILED ({r['failed']})")
            continue
        if "reason" not in r:
            print(f"- {e}: closure not reached within the {budget:.0f} s budget (stopped)")
            continue
        total = f"{r['total']:.1f} s" if "total" in r else f"over the {budget:.0f} s budget"
        memory = f"{r['maxrss_mb']:.0f} MB" if "maxrss_mb" in r else "n/a (stopped)"
        print(f"- {e}: load {r['load']:.2f} s, closure {r['reason']:.2f} s ({r['inferred']:,} inferred from {r['asserted']:,}), "
              f"files to closure {r['load'] + r['reason']:.2f} s, files to all answers {total}, peak RSS {memory}")
    fast = results.get("fast")
    if fast and "reason" in fast:
        for e in engines:
            other = results[e]
            if e != "fast" and "reason" in other:
                ratio = (other["load"] + other["reason"]) / (fast["load"] + fast["reason"])
                print(f"- files to queryable closure: {e} / fast = {ratio:.1f}x")
            elif e != "fast":
                print(f"- files to queryable closure: {e} / fast > {budget / (fast['load'] + fast['reason']):.0f}x (stopped at the budget)")
        answered = {e: r["queries"] for e, r in results.items()}
        for e, answers in answered.items():
            differing = [n for n, (count, _) in answers.items() if fast["queries"].get(n, (None,))[0] != count]
            print(f"- answers {e} vs fast: " + ("identical on all answered queries" if not differing else f"differ on {differing}")
                  + f" ({len(answers)}/14 answered)")
        if size == 1:
            wrong = {n: c for n, (c, _) in fast["queries"].items() if REFERENCE_LUBM1[n] != c}
            print("- fast vs the LUBM(1) reference answers: " + ("all 14 match" if not wrong and len(fast["queries"]) == 14 else f"differ: {wrong}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5], help="LUBM sizes (1, 5, 10)")
    parser.add_argument("--engines", nargs="+", default=["fast", "owlrl", "rdflib"], help="fast, owlrl, rdflib")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds each run may take before it is stopped")
    parser.add_argument("--lubm", type=Path, default=DEFAULT_LUBM, help="folder with univ-bench.ttl, lubmN.nt.gz, queries/")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, size = args.child[0], int(args.child[1])
        if engine == "rdflib":
            run_rdflib(args.lubm, size)
        else:
            run_pipeline(args.lubm, size, engine)
        return
    print(f"LUBM from {args.lubm}; budget {args.budget:.0f} s per run; each run in its own process")
    for size in args.sizes:
        results = {}
        for engine in args.engines:
            if engine == "rdflib" and size != 1:
                continue
            print(f"running {engine} on LUBM({size}) ...", file=sys.stderr, flush=True)
            results[engine] = measure(engine, size, args.lubm, args.budget)
        report(size, results, args.budget)


if __name__ == "__main__":
    main()
