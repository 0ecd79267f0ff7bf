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

With ``--restart``, per size, the same files on ``KG_STORE=oxigraph:PATH``: the
server is started (closure computed and saved beside the store), written to
once and stopped; then restarted three ways, each timed from the command to
ready and from the first one-triple write to its 2xx: after a clean stop
(the reasoner's state read back), after ``kill -9`` following one more write
(state read back, the write replayed from the change log), and with the
state file removed (the closure recomputed: what a restart cost before).
"""

from __future__ import annotations

import argparse
import gzip
import os
import signal
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

from tests.live_server import LiveServer, clean_environment, live_server, process_stats  # noqa: E402

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


@dataclass(frozen=True)
class Restart:
    """One way of restarting ``oxigraph:PATH``: seconds to ready, and the first write's seconds to its 2xx."""

    how: str
    ready: float
    first_write: float


def measure_restarts(lubm: Path, size: int, seed: int, log_dir: Path) -> list[Restart]:
    """Restart a persistent store of LUBM(``size``) after a clean stop, after ``kill -9``, and without its state file."""
    files = [lubm / "univ-bench.ttl", lubm / f"lubm{size}.nt.gz"]
    first, second, third, fourth = sample_triples(files[1], 4, seed + 1)
    store = log_dir / f"store-{size}"
    env = {"KG_WRITE_TOKEN": TOKEN, "KG_STORE": f"oxigraph:{store}"}
    started = time.perf_counter()
    with live_server(log_dir, *files, env=env, timeout=3600) as server:
        print(f"LUBM({size}) on oxigraph:PATH: built and reasoned in {time.perf_counter() - started:.2f} s", flush=True)
        update(server, f"DELETE DATA {{ {first} }}")
    gone(server.process.pid)
    results = []
    for how, triple in (("after a clean stop", second), ("after kill -9", fourth), ("state file removed", third)):
        if how == "state file removed":
            for path in store.glob("ipkg-reasoner-*.pickle"):
                path.unlink()
        started = time.perf_counter()
        with live_server(log_dir, *files, env=env, timeout=3600) as server:
            ready = time.perf_counter() - started
            first_write = update(server, f"DELETE DATA {{ {triple} }}")
            if how == "after a clean stop":  # one more write, then kill -9: the next start replays it from the log
                update(server, f"INSERT DATA {{ {triple} }}")
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait()
        gone(server.process.pid)
        results.append(Restart(how, ready, first_write))
        print(f"LUBM({size}) restart {how}: ready {ready:.2f} s, first write {first_write:.3f} s", flush=True)
    return results


def gone(group: int, seconds: float = 120.0) -> None:
    """Wait until every process of the stopped server's group has exited (the last one holds the store's lock);
    zombies do not count, they hold nothing."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(fields[0] != "Z" and int(fields[2]) == group for _, fields in process_stats()):
            return
        time.sleep(0.2)


def restart_table(rows: dict[int, list[Restart]]) -> str:
    """A Markdown table of the restarts of each size."""
    lines = ["| data | restart of `oxigraph:PATH` | ready after | first one-triple write |", "| --- | --- | --- | --- |"]
    for size, restarts in rows.items():
        lines += [f"| LUBM({size}) | {r.how} | {r.ready:.2f} s | {1000 * r.first_write:,.0f} ms |" for r in restarts]
    return "\n".join(lines)


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
    parser.add_argument("--restart", action="store_true", help="also time restarts of oxigraph:PATH and their first write")
    args = parser.parse_args()
    if not (args.lubm / "univ-bench.ttl").exists():
        parser.error(f"no univ-bench.ttl in {args.lubm}: give the LUBM folder with --lubm")
    rows = []
    restarts: dict[int, list[Restart]] = {}
    with tempfile.TemporaryDirectory(prefix="kg-bench-updates-") as log_dir:
        for size in args.sizes:
            rows.append(measure(args.lubm, size, args.requests, args.seed, Path(log_dir)))
            print(table(rows[-1:]), flush=True)
            if args.restart:
                restarts[size] = measure_restarts(args.lubm, size, args.seed, Path(log_dir))
    print()
    print(table(rows))
    if restarts:
        print()
        print(restart_table(restarts))


if __name__ == "__main__":
    main()
