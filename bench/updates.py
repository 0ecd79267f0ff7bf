"""Update benchmark: one-triple ``DELETE DATA`` and ``INSERT DATA`` through ``kg serve``, next to ``kg reason``.

    .venv/bin/python bench/updates.py                       # LUBM(1), 100 deletions and insertions
    .venv/bin/python bench/updates.py --sizes 1 5 10 -n 100

Per size: ``kg reason`` on the files (its process's wall time and the time it
reports for the closure), then ``kg serve --data univ-bench.ttl --data
lubmN.nt.gz`` (memory store, default settings, OWL 2 RL closure computed
before the first timed request).  ``-n`` asserted triples drawn at random
from the data are each deleted then inserted again, one request each, timed
to the 2xx answer; after each answer an ``ASK`` (no reasoning) checks that
the change is visible to the next query.  The table gives medians (and the
90th percentile) and the median deletion as a fraction of the closure's time.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a script named like the standard library's ``http``: keep that folder off the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from tests.live_server import LiveServer, clean_environment, live_server  # noqa: E402

DEFAULT_LUBM = ROOT.parent / "shared" / "bench" / "lubm"
TOKEN = "bench-updates-token"
#: the first query under OWL 2 RL, answered once the closure is computed
WARM_UP = "ASK { ?x a <http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#Person> }"


@dataclass(frozen=True)
class Row:
    """One size's figures."""

    size: int
    asserted: int
    inferred: int
    reason_wall: float
    reason_closure: float
    deletes: list[float]
    inserts: list[float]
    unseen: int
    """Changes an ``ASK`` right after the 2xx did not see (should be 0)."""


def kg_reason(files: list[Path]) -> tuple[float, float, int, int]:
    """``kg reason`` on ``files``: wall seconds, the closure's seconds it reports, asserted and inferred counts."""
    command = [sys.executable, "-m", "kg.cli", "reason"]
    for path in files:
        command += ["--data", str(path)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT, env=clean_environment())
    wall = time.perf_counter() - started
    closure = float(re.search(r"reasoning \(owlrl, fast\): ([\d.]+) s", done.stdout).group(1))  # type: ignore[union-attr]
    asserted = int(re.search(r"asserted: (\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    inferred = int(re.search(r"inferred: (\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    return wall, closure, asserted, inferred


def sample_triples(data: Path, count: int, seed: int) -> list[str]:
    """``count`` distinct N-Triples lines of ``data`` (gzipped N-Triples), drawn with ``seed``."""
    with gzip.open(data, "rt", encoding="utf-8") as lines:
        triples = sorted({line.strip().removesuffix(".").strip() for line in lines if line.strip()})
    return random.Random(seed).sample(triples, count)


def update(server: LiveServer, text: str) -> float:
    """Seconds until the 2xx answer to the update ``text``."""
    started = time.perf_counter()
    reply = server.request("POST", "/sparql", text, {"Content-Type": "application/sparql-update",
                                                     "Authorization": f"Bearer {TOKEN}"}, timeout=600)
    seconds = time.perf_counter() - started
    if not 200 <= reply.status < 300:
        raise RuntimeError(f"{reply.status} for {text!r}: {reply.text}")
    return seconds


def ask(server: LiveServer, query: str, reasoning: str) -> bool:
    """The boolean answer of an ``ASK`` under ``reasoning``."""
    reply = server.request("GET", "/sparql?" + urlencode({"query": query, "reasoning": reasoning}),
                           headers={"Accept": "application/sparql-results+json"}, timeout=600)
    if reply.status != 200:
        raise RuntimeError(f"{reply.status} for {query!r}: {reply.text}")
    return '"boolean":true' in reply.text.replace(" ", "")


def measure(lubm: Path, size: int, count: int, seed: int, log_dir: Path) -> Row:
    """``kg reason``, then ``count`` deletions and insertions through ``kg serve``, on LUBM(``size``)."""
    files = [lubm / "univ-bench.ttl", lubm / f"lubm{size}.nt.gz"]
    reason_wall, reason_closure, asserted, inferred = kg_reason(files)
    print(f"LUBM({size}): kg reason {reason_wall:.2f} s (closure {reason_closure:.2f} s)", flush=True)
    triples = sample_triples(files[1], count, seed)
    deletes: list[float] = []
    inserts: list[float] = []
    unseen = 0
    with live_server(log_dir, *files, env={"KG_WRITE_TOKEN": TOKEN}, timeout=3600) as server:
        started = time.perf_counter()
        ask(server, WARM_UP, "owlrl")
        print(f"LUBM({size}): server ready, closure computed in {time.perf_counter() - started:.2f} s", flush=True)
        for triple in triples:
            deletes.append(update(server, f"DELETE DATA {{ {triple} }}"))
            unseen += ask(server, f"ASK {{ {triple} }}", "none")
            inserts.append(update(server, f"INSERT DATA {{ {triple} }}"))
            unseen += not ask(server, f"ASK {{ {triple} }}", "none")
    return Row(size, asserted, inferred, reason_wall, reason_closure, deletes, inserts, unseen)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def table(rows: list[Row]) -> str:
    """A Markdown table of ``rows``."""
    lines = ["| data | asserted + inferred | `kg reason` wall (closure) | DELETE DATA median (p90) | INSERT DATA median (p90) "
             "| median DELETE / closure | changes not seen |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        delete, insert = statistics.median(row.deletes), statistics.median(row.inserts)
        lines.append(
            f"| LUBM({row.size}) | {row.asserted:,} + {row.inferred:,} | {row.reason_wall:.2f} s ({row.reason_closure:.2f} s) "
            f"| {1000 * delete:.1f} ms ({1000 * p90(row.deletes):.1f} ms) | {1000 * insert:.1f} ms ({1000 * p90(row.inserts):.1f} ms) "
            f"| 1/{row.reason_closure / delete:,.0f} | {row.unseen} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1], help="LUBM sizes (files lubmN.nt.gz)")
    parser.add_argument("-n", "--requests", type=int, default=100, help="triples deleted and inserted again, per size")
    parser.add_argument("--lubm", type=Path, default=DEFAULT_LUBM, help="folder with univ-bench.ttl and lubmN.nt.gz")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    if not (args.lubm / "univ-bench.ttl").exists():
        parser.error(f"no univ-bench.ttl in {args.lubm}: give the LUBM folder with --lubm")
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-bench-updates-") as log_dir:
        for size in args.sizes:
            rows.append(measure(args.lubm, size, args.requests, args.seed, Path(log_dir)))
            print(table(rows[-1:]), flush=True)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
