"""The stores side by side on LUBM: load time and the LUBM 14 queries, against pyoxigraph used directly (the floor).

    .venv/bin/python bench/stores.py                   # LUBM(1)
    .venv/bin/python bench/stores.py --sizes 1 5       # and LUBM(5)
    .venv/bin/python bench/stores.py --repeat 7        # more runs per query

The data are materialized once (our reasoner, OWL 2 RL over univ-bench.ttl and
the LUBM data), then the asserted triples and the closure are loaded, as the
named graphs ``asserted`` and ``inferred``, into each store:

* ``pyoxigraph``      — floor: a plain ``pyoxigraph.Store()`` in memory, every triple in its default graph;
* ``memory``          — ``KG_STORE=memory``: our KnowledgeGraph over an in-memory replica built as
  ``kg serve``'s query workers build theirs (the default mode's graphs merged into one);
* ``pyoxigraph disk`` — floor on disk: a plain ``pyoxigraph.Store(path)``;
* ``oxigraph:PATH``   — ``KG_STORE=oxigraph:PATH``: our KnowledgeGraph over the on-disk store;
* ``sparql:``         — ``KG_STORE=sparql:…`` on Virtuoso (the one .ci/run exports, or a throwaway one
  started from Debian's virtuoso-t); skipped if there is none.

The on-disk stores are flushed and compacted after loading (as ``kg load`` leaves one).
Our stores answer through ``KnowledgeGraph.query(text, "owlrl")``: default graph
asserted + inferred, the dataset passed to the engine, the predeclared prefixes.
Each query runs ``--repeat`` times after one warm-up; the figure is the median,
and the "query mix" is the sum of the 14 medians.  Every store's answer counts
are checked against the floor's.  Everything runs in this one process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, where bench/http.py would shadow the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from kg.dataset import KnowledgeGraph, Replica, open_dataset  # noqa: E402
from kg.settings import Settings  # noqa: E402
from kg.sources import RdfSource  # noqa: E402
from kg.store import OxigraphStore, PersistentOxigraphStore, RemoteStore, Store  # noqa: E402

DEFAULT_LUBM = ROOT.parent / "shared" / "bench" / "lubm"
QUERIES = range(1, 15)
BASE = "http://localhost:8000/"


@dataclass
class Run:
    """One store's figures."""

    name: str
    load_seconds: float = 0.0
    medians: dict[int, float] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    note: str = ""

    @property
    def mix(self) -> float:
        return sum(self.medians.values())


@dataclass(frozen=True)
class Materialized:
    """The data every store gets: asserted triples and their OWL 2 RL closure."""

    nquads: bytes
    """As our stores hold them: named graphs ``asserted`` and ``inferred``."""
    ntriples: bytes
    """As the floor holds them: all in the default graph."""
    asserted: int
    inferred: int


def materialize(lubm: Path, size: int) -> Materialized:
    """Run our reasoner (fast engine, OWL 2 RL) once over univ-bench.ttl and the LUBM data."""
    graph = open_dataset(Settings(base_uri=BASE), [RdfSource(lubm / "univ-bench.ttl"), RdfSource(lubm / f"lubm{size}.nt.gz")])
    report = graph.reason("owlrl")
    names = (graph.graph_iri("asserted"), graph.graph_iri("inferred"))
    quads = [ox.Quad(*t, ox.NamedNode(name)) for name in names for t in graph.store.triples(name)]
    return Materialized(ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
                        ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES), report.asserted, report.inferred)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run_queries(run: Run, answer: Callable[[str], int], texts: dict[int, str], repeat: int) -> Run:
    for n, text in texts.items():
        run.counts[n] = answer(text)  # warm-up, and the count
        run.medians[n] = statistics.median(timed(lambda: answer(text)) for _ in range(repeat))
    return run


def floor(name: str, store: ox.Store, data: Materialized, texts: dict[int, str], repeat: int) -> Run:
    """pyoxigraph used directly: every triple in the default graph, the query text as it is."""
    run = Run(name)

    def load() -> None:
        store.load(data.ntriples, format=ox.RdfFormat.N_TRIPLES)
        store.flush()  # on disk like ours (a no-op in memory), then compacted as `kg load` leaves a store
        store.optimize()

    run.load_seconds = timed(load)
    return run_queries(run, lambda text: len(list(store.query(text))), texts, repeat)  # type: ignore[arg-type]


def ours(name: str, store: Store, data: Materialized, texts: dict[int, str], repeat: int, merged: bool = False) -> Run:
    """Our KnowledgeGraph over ``store``: the materialized quads written through the store interface.

    ``merged``: build the replica as ``kg serve``'s query workers do (default graph merged in memory).
    """
    run = Run(name)
    settings = Settings(base_uri=BASE)
    graph = Replica(settings, store, ("owlrl",), 0)

    def load() -> None:
        nonlocal graph
        store.add(ox.parse(data.nquads, format=ox.RdfFormat.N_QUADS))
        store.flush(graph.record.manifest)
        store.optimize()
        if merged:
            graph = Replica(settings, store, ("owlrl",), 0, merged_default=True)

    run.load_seconds = timed(load)

    def answer(text: str) -> int:
        result = graph.query(text, "owlrl")
        return int(bool(result)) if isinstance(result, ox.QueryBoolean) else len(list(result))  # type: ignore[arg-type]

    return run_queries(run, answer, texts, repeat)


def print_table(size: int, asserted: int, inferred: int, runs: list[Run]) -> None:
    reference = {run.name: run for run in runs}
    floors = {"memory": "pyoxigraph", "oxigraph:PATH": "pyoxigraph disk", "sparql: (Virtuoso)": "pyoxigraph"}
    print(f"\n## LUBM({size}): {asserted:,} asserted + {inferred:,} inferred triples\n")
    print("| store | load s | query mix (sum of 14 medians) ms | ratio to its floor | floor |")
    print("|---|---:|---:|---:|---|")
    for run in runs:
        base = reference.get(floors.get(run.name, ""))
        ratio = f"{run.mix / base.mix:.2f}x" if base else "—"
        print(f"| {run.name} | {run.load_seconds:.2f} | {run.mix * 1000:.1f} | {ratio} | {base.name if base else '(floor)'} |")
    print("\n| query | answers | " + " | ".join(f"{run.name} ms" for run in runs) + " |")
    print("|---|---:|" + "---:|" * len(runs))
    first = runs[0]
    for n in QUERIES:
        cells = [f"{run.medians[n] * 1000:.2f}" if n in run.medians else "—" for run in runs]
        print(f"| q{n:02d} | {first.counts.get(n, '—')} | " + " | ".join(cells) + " |")
    print()
    for run in runs[1:]:
        differing = [n for n in QUERIES if run.counts.get(n) != first.counts.get(n)]
        print(f"- {run.name}: " + ("same answer counts as the floor on all 14 queries" if not differing
                                  else f"answer counts differ on {differing}") + (f"; {run.note}" if run.note else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1], help="LUBM sizes (1, 5, 10)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (the median is reported)")
    parser.add_argument("--lubm", type=Path, default=DEFAULT_LUBM, help="folder with univ-bench.ttl, lubmN.nt.gz, queries/")
    parser.add_argument("--no-virtuoso", action="store_true", help="leave out the sparql: column")
    args = parser.parse_args()
    texts = {n: (args.lubm / "queries" / f"q{n:02d}.rq").read_text() for n in QUERIES}
    with ExitStack() as stack:
        server = None
        if not args.no_virtuoso:
            from tests.virtuoso import VirtuosoMissing, virtuoso

            try:
                server = stack.enter_context(virtuoso())
            except VirtuosoMissing as missing:
                print(f"(no sparql: column: {missing})", file=sys.stderr)
        for size in args.sizes:
            print(f"materializing LUBM({size}) ...", file=sys.stderr, flush=True)
            data = materialize(args.lubm, size)
            runs = [floor("pyoxigraph", ox.Store(), data, texts, args.repeat)]
            runs.append(ours("memory", OxigraphStore.in_memory(), data, texts, args.repeat, merged=True))
            with tempfile.TemporaryDirectory(prefix="kg-bench-") as folder:
                runs.append(floor("pyoxigraph disk", ox.Store(str(Path(folder) / "direct")), data, texts, args.repeat))
                disk = PersistentOxigraphStore(Path(folder) / "ours")
                runs.append(ours("oxigraph:PATH", disk, data, texts, args.repeat))
                disk.close()
            if server is not None:
                remote = RemoteStore(server.query_url, server.update_url, BASE, query_timeout=600)
                remote.clear()
                run = ours("sparql: (Virtuoso)", remote, data, texts, args.repeat)
                run.note = "load = INSERT DATA requests of 1,000 triples over HTTP"
                runs.append(run)
                remote.clear()
            print_table(size, data.asserted, data.inferred, runs)


if __name__ == "__main__":
    main()
