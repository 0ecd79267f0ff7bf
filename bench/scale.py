"""Serving at scale: ``kg serve`` (memory and ``oxigraph:PATH``) beside ``oxigraph serve`` on LUBM(N), in one run.

For each size and server: the time until the first 200 to ``GET /sparql?query=ASK{}`` (from the start of the
process), the PSS of the whole process tree (its session) when ready and after ``--seconds`` of the light mix
(LUBM q1 q3 q4 q5 q7 q10 q11 q12 q13) at ``--concurrency`` (one keep-alive connection per client process),
requests per second, p50 and p99 latency, every non-200 counted, and the latency of a one-triple ``INSERT DATA``
and ``DELETE DATA``.  The load starts the moment the server answers.

``kg serve`` on ``oxigraph:PATH`` is started twice: once on an empty directory (it loads and reasons) and once
more on the same directory (a restart: the row measured under load).  ``oxigraph serve`` gets the triples
``kg serve`` answers from (asserted + OWL 2 RL closure), loaded by ``oxigraph load`` (timed apart).  It is not an
ipkg dependency: give its CLI, from a separate environment::

    python3 -m venv /tmp/oxcli && /tmp/oxcli/bin/pip install oxigraph==0.5.13
    .venv/bin/python bench/scale.py --sizes 1 5 --oxigraph /tmp/oxcli/bin/oxigraph
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a script named like the standard library's ``http``: keep that folder off the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.load import Connection, get_path, get_request  # noqa: E402
from tests.live_server import free_port, request, server_process, session_pss_mb  # noqa: E402

LUBM = Path("/work/shared/bench/lubm")
LIGHT = ("q01", "q03", "q04", "q05", "q07", "q10", "q11", "q12", "q13")
ACCEPT = "application/sparql-results+json"
TOKEN = "scale-bench-token"
TRIPLE = "<urn:scale:s> <urn:scale:p> \"one triple\""
SERVERS = ("memory", "oxigraph-path", "oxigraph")
"""``kg serve`` on ``memory`` and on ``oxigraph:PATH``, ``oxigraph serve``."""


@dataclass
class Row:
    """What one server did on one size."""

    size: int
    server: str
    ready_seconds: float = float("nan")
    load_seconds: float | None = None
    pss_ready_mb: float = 0.0
    pss_after_mb: float = 0.0
    processes_ready: int = 0
    processes_after: int = 0
    answered: int = 0
    seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    insert_ms: float = float("nan")
    delete_ms: float = float("nan")

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else float("nan")


def client(port: int, requests: list[bytes], index: int, seconds: float, results: multiprocessing.Queue) -> None:
    """One client process: send the mix on one keep-alive connection for ``seconds``; put (latencies, errors)."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop = time.monotonic() + seconds
    turn = index
    connection: Connection | None = None
    while time.monotonic() < stop:
        started = time.perf_counter()
        status: int | None = None
        try:
            connection = connection or Connection(port, 60)
            status, _ = connection.exchange(requests[turn % len(requests)])
        except (OSError, ValueError, IndexError):
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.01)
        turn += 1
        if status == 200:
            latencies.append(time.perf_counter() - started)
        else:
            errors[str(status or "no answer")] = errors.get(str(status or "no answer"), 0) + 1
    results.put((latencies, errors))


def light_load(row: Row, port: int, endpoint: str, seconds: float, concurrency: int) -> None:
    """The light mix from ``concurrency`` client processes for ``seconds``, into ``row``."""
    texts = [(LUBM / "queries" / f"{name}.rq").read_text() for name in LIGHT]
    requests = [get_request(get_path(endpoint, text), ACCEPT) for text in texts]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    clients = [context.Process(target=client, args=(port, requests, i, seconds, results)) for i in range(concurrency)]
    began = time.monotonic()
    for process in clients:
        process.start()
    for _ in clients:
        latencies, errors = results.get()
        row.latencies += latencies
        for status, count in errors.items():
            row.errors[status] = row.errors.get(status, 0) + count
    for process in clients:
        process.join()
    row.seconds = time.monotonic() - began
    row.answered = len(row.latencies)


def one_triple_changes(row: Row, port: int, path: str, headers: dict[str, str]) -> None:
    """Median latency of up to three one-triple INSERT DATA and DELETE DATA (each must answer 2xx; no new pair once
    30 s have gone)."""
    timings: dict[str, list[float]] = {"INSERT": [], "DELETE": []}
    began = time.monotonic()
    while len(timings["DELETE"]) < 3 and (not timings["DELETE"] or time.monotonic() - began < 30):
        for verb in ("INSERT", "DELETE"):
            started = time.perf_counter()
            reply = request(port, "POST", path, f"{verb} DATA {{ {TRIPLE} }}",
                            {"Content-Type": "application/sparql-update", **headers}, timeout=300)
            timings[verb].append(time.perf_counter() - started)
            if reply.status // 100 != 2:
                row.errors[f"{verb} {reply.status}"] = row.errors.get(f"{verb} {reply.status}", 0) + 1
    row.insert_ms = statistics.median(timings["INSERT"]) * 1000
    row.delete_ms = statistics.median(timings["DELETE"]) * 1000


def measure(row: Row, name: str, command: list[str], env: dict[str, str], endpoint: str, update_path: str,
            update_headers: dict[str, str], log_dir: Path, seconds: float, concurrency: int, *, load: bool = True) -> None:
    """Start a server, time it to its first 200 to ASK {}, then (with ``load``) measure it under the light mix."""
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    started = time.monotonic()
    ready_path = f"{endpoint}?query={quote('ASK {}', safe='')}"
    log = log_dir / f"{name.replace(' ', '-').replace(':', '')}-{row.size}-{port}.log"
    with server_process(name, command, port, ready_path, log, env=env, headers={"Accept": ACCEPT}, cwd=ROOT,
                        timeout=1800) as process:
        row.ready_seconds = time.monotonic() - started
        if not load:
            return
        row.pss_ready_mb, row.processes_ready = session_pss_mb(process.pid)
        light_load(row, port, endpoint, seconds, concurrency)
        row.pss_after_mb, row.processes_after = session_pss_mb(process.pid)
        one_triple_changes(row, port, update_path, update_headers)


def dump_served(size: int, directory: Path) -> tuple[Path, int]:
    """The triples ``kg serve`` answers from (asserted + OWL 2 RL closure) as N-Triples, written by a child process."""
    path = directory / f"served-{size}.nt"
    script = (
        "import sys, pyoxigraph as ox\n"
        "from kg.dataset import open_dataset\nfrom kg.settings import Settings\nfrom kg.sources import RdfSource\n"
        "s = Settings(base_uri='http://localhost:8000/')\n"
        "g = open_dataset(s, [RdfSource(__import__('pathlib').Path(p)) for p in sys.argv[2:]])\n"
        "g.ensure_reasoned('owlrl')\n"
        "with open(sys.argv[1], 'wb') as out:\n"
        "    for name in g.default_graph('owlrl'):\n"
        "        out.write(g.store.dump_ntriples(name).encode())\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path), *map(str, data_files(size))], check=True, cwd=ROOT)
    with path.open("rb") as triples:
        return path, sum(1 for _ in triples)


def data_files(size: int) -> list[Path]:
    return [LUBM / "univ-bench.ttl", LUBM / f"lubm{size}.nt.gz"]


def kg_command(size: int) -> list[str]:
    command = [sys.executable, "-m", "kg.cli", "serve", "--port", "{port}", "--workers", "2"]
    for path in data_files(size):
        command += ["--data", str(path)]
    return command


def run_size(size: int, args: argparse.Namespace, work: Path) -> list[Row]:
    """Every server on LUBM(``size``)."""
    rows = []
    env = {"KG_BASE_URI": "http://localhost:8000/", "KG_WRITE_TOKEN": TOKEN}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    common = (args.seconds, args.concurrency)
    if "memory" in args.servers:
        row = Row(size, "kg serve, memory")
        measure(row, "kg serve", kg_command(size), {**env, "KG_STORE": "memory"}, "/sparql", "/sparql", auth, work,
                *common)
        rows.append(row)
    if "oxigraph-path" in args.servers:
        rows += on_disk(size, args, work, env, auth)
    if "oxigraph" in args.servers and args.oxigraph:
        served, count = dump_served(size, work)
        location = work / f"oxigraph-{size}"
        row = Row(size, f"oxigraph serve ({count:,} triples)")
        started = time.monotonic()
        subprocess.run([args.oxigraph, "load", "--location", str(location), "--file", str(served)], check=True,
                       capture_output=True)
        row.load_seconds = time.monotonic() - started
        measure(row, "oxigraph serve", [args.oxigraph, "serve", "--location", str(location), "--bind", "127.0.0.1:{port}"],
                {}, "/query", "/update", {}, work, *common)
        rows.append(row)
    return rows


def on_disk(size: int, args: argparse.Namespace, work: Path, env: dict[str, str], auth: dict[str, str]) -> list[Row]:
    """``kg serve`` on ``oxigraph:PATH``: a first start on an empty directory, then a restart, measured under load."""
    rows = []
    common = (args.seconds, args.concurrency)
    store = work / f"store-{size}"
    first = Row(size, "kg serve, oxigraph:PATH (first start)")
    measure(first, "kg serve", kg_command(size), {**env, "KG_STORE": f"oxigraph:{store}"}, "/sparql", "/sparql", auth,
            work, *common, load=False)
    rows.append(first)
    row = Row(size, "kg serve, oxigraph:PATH (restart)")
    measure(row, "kg serve", kg_command(size), {**env, "KG_STORE": f"oxigraph:{store}"}, "/sparql", "/sparql", auth,
            work, *common)
    rows.append(row)
    return rows


def print_table(rows: list[Row], seconds: float, concurrency: int) -> None:
    print(f"\n| LUBM | server | ready s | PSS ready → after {seconds:g} s MB | processes | req/s c{concurrency} | "
          "p50 / p99 ms | non-200 | INSERT / DELETE one triple ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        ready = f"{row.ready_seconds:.1f}" + (f" (+{row.load_seconds:.1f} load)" if row.load_seconds is not None else "")
        if not row.seconds:
            print(f"| {row.size} | {row.server} | {ready} | | | | | | |")
            continue
        errors = sum(row.errors.values())
        detail = f" ({', '.join(f'{k}: {v}' for k, v in sorted(row.errors.items()))})" if errors else ""
        print(f"| {row.size} | {row.server} | {ready} | {row.pss_ready_mb:,.0f} → {row.pss_after_mb:,.0f} | "
              f"{row.processes_ready} → {row.processes_after} | {row.answered / row.seconds:,.0f} | "
              f"{row.percentile(0.5):.1f} / {row.percentile(0.99):.1f} | {errors}{detail} | "
              f"{row.insert_ms:,.0f} / {row.delete_ms:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--oxigraph", help="the oxigraph CLI (pip install oxigraph, in another environment)")
    parser.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    parser.add_argument("--keep", type=Path, help="keep the servers' logs and stores in this folder")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="kg-scale-") as folder:
        work = args.keep or Path(folder)
        work.mkdir(parents=True, exist_ok=True)
        for size in args.sizes:
            rows += run_size(size, args, work)
            print_table(rows, args.seconds, args.concurrency)  # so far, in case a later size fails
    print(f"\ncommand: {' '.join(sys.argv)}")


if __name__ == "__main__":
    main()
