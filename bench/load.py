"""Load benchmark: ``kg serve``, rdflib-endpoint and ``oxigraph serve`` under the same query mix, in one run.

The three servers get the same data: the triples ``kg serve`` answers from by
default (the shipped ontology and data with their OWL 2 RL closure), dumped to
one N-Triples file for the other two.  Each cell starts its server afresh (a
hung or still-burning server must not slow the next cell), sends the mix from
``concurrency`` keep-alive connections for ``--seconds``, and stops it.

Two mixes: ``light`` (lookups a crawler or a client library sends) and
``light+explosive``, where every connection sends one request in ten as a query
that would run for hours (a four-way cross product), to see whether light
queries are still answered, and fast, while explosive ones are cut off at the
time limit (``KG_QUERY_TIMEOUT`` and ``oxigraph serve --timeout-s``;
rdflib-endpoint has none).

Each cell also reports the CPU the server used (all processes of its session,
from /proc, reaped children included): in cores, per light request, and the
share of its busiest process — a server whose busiest process sits near one
core is bound by one thread of work (for a Python server, its GIL).

The competitors are not ipkg dependencies: give the Python of a separate
environment that has them::

    python3 -m venv /tmp/competitors && /tmp/competitors/bin/pip install "rdflib-endpoint[cli]==0.6.3" oxigraph==0.5.13
    .venv/bin/python bench/load.py --competitors-python /tmp/competitors/bin/python

Figures are medians of noisy runs on a shared machine: quote ratios from one run.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a script named like the standard library's ``http``: keep that folder off the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from tests.live_server import free_port, process_stats, server_process  # noqa: E402

PREFIXES = (
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
)
#: A query no engine finishes: the count of a four-way cross product of every triple.
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
EXPLOSIVE_EVERY = 10
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"
#: Seconds a client waits for an answer before it gives up on the request (counted as unanswered).
CLIENT_TIMEOUT_GRACE = 20.0


def light_mix(subject: str, klass: str, predicate: str) -> list[tuple[str, str]]:
    """The light mix, as (query, Accept) pairs, around a well-connected subject, a used class and a used property."""
    queries = [
        (f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }} LIMIT 50", SELECT_ACCEPT),
        ("SELECT ?s ?label WHERE { ?s rdfs:label ?label } LIMIT 20", SELECT_ACCEPT),
        ("ASK { ?c a owl:Class }", SELECT_ACCEPT),
        (f"SELECT ?label WHERE {{ <{subject}> rdfs:label ?label }}", SELECT_ACCEPT),
        (f"CONSTRUCT {{ <{subject}> ?p ?o }} WHERE {{ <{subject}> ?p ?o }}", GRAPH_ACCEPT),
        (f"SELECT ?s WHERE {{ ?s a <{klass}> }} LIMIT 10", SELECT_ACCEPT),
        (f"SELECT ?s ?o WHERE {{ ?s <{predicate}> ?o }} LIMIT 10", SELECT_ACCEPT),
        (f"SELECT ?s ?label WHERE {{ ?s a <{klass}> ; rdfs:label ?label }} LIMIT 10", SELECT_ACCEPT),
    ]
    return [(PREFIXES + text, accept) for text, accept in queries]


# -- the data ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """The dumped triples and the terms the light mix is written around."""

    path: Path
    triples: int
    subject: str
    klass: str
    predicate: str


def dump_served_triples(directory: Path) -> Dataset:
    """The default graph ``kg serve`` answers from (asserted + OWL 2 RL closure) as N-Triples, and mix terms from it."""
    from collections import Counter

    import pyoxigraph as ox

    from kg.dataset import KnowledgeGraph, open_dataset
    from kg.settings import Settings

    graph = open_dataset(Settings())
    graph.ensure_reasoned("owlrl")
    triples = {t for name in graph.default_graph("owlrl") for t in graph.store.triples(name)}
    path = directory / "served.nt"
    ox.serialize(sorted(triples, key=str), path, format=ox.RdfFormat.N_TRIPLES)
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    subjects = Counter(t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode))
    classes = Counter(t.object.value for t in triples if t.predicate == rdf_type and isinstance(t.object, ox.NamedNode))
    predicates = Counter(t.predicate.value for t in triples if t.predicate != rdf_type)
    return Dataset(path, len(triples), subjects.most_common(1)[0][0], classes.most_common(5)[-1][0],
                   predicates.most_common(5)[-1][0])


# -- the servers -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server on a port, and where its SPARQL endpoint is."""

    name: str
    endpoint: str
    command: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)


def server_specs(dataset: Dataset, competitors_python: Path, oxigraph_dir: Path, time_limit: float,
                 explosive: bool) -> list[ServerSpec]:
    """The three servers, each as a command template with ``{port}``.

    ``oxigraph serve`` gets ``--timeout-s`` only for the mix with explosive queries: with it, every query keeps a
    thread for the whole time limit and the server fails after some thousands of light queries (it answers 500s,
    then dies), which would measure that failure rather than its throughput.
    """
    bin_dir = competitors_python.parent
    timeout = ["--timeout-s", f"{time_limit:g}"] if explosive else []
    return [
        ServerSpec("kg serve", "/sparql", [sys.executable, "-m", "kg.cli", "serve", "--port", "{port}"],
                   {"KG_QUERY_TIMEOUT": f"{time_limit:g}", "KG_BASE_URI": "http://localhost:8000/"}),
        ServerSpec("rdflib-endpoint", "/", [str(bin_dir / "rdflib-endpoint"), "serve", "--host", "127.0.0.1", "--port", "{port}",
                                            str(dataset.path)]),
        ServerSpec("oxigraph serve", "/query", [str(bin_dir / "oxigraph"), "serve-read-only", "--location", str(oxigraph_dir),
                                                "--bind", "127.0.0.1:{port}", *timeout]),
    ]


@dataclass
class RunningServer:
    spec: ServerSpec
    port: int
    process: subprocess.Popen[bytes]


@contextmanager
def running(spec: ServerSpec, log_dir: Path) -> Iterator[RunningServer]:
    """Run ``spec`` (:func:`server_process`: clean environment, own session) until it answers, then stop it."""
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in spec.command]
    log = log_dir / f"{spec.name.replace(' ', '-')}-{port}.log"
    with server_process(spec.name, command, port, get_path(spec.endpoint, "ASK {}"), log, env=spec.env,
                        headers={"Accept": SELECT_ACCEPT}, cwd=ROOT, timeout=300, stop_seconds=10) as process:
        yield RunningServer(spec, port, process)
    time.sleep(0.5)  # let killed query processes leave the CPU before the next cell


# -- the client --------------------------------------------------------------------------------------------


def get_path(endpoint: str, query: str) -> str:
    """The path of a GET request for ``query``."""
    return f"{endpoint}?query={quote(query, safe='')}"


def get_request(endpoint: str, query: str, accept: str) -> bytes:
    """One GET request for ``query`` (HTTP/1.1, keep-alive)."""
    return (f"GET {get_path(endpoint, query)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Accept: {accept}\r\nConnection: keep-alive\r\n\r\n").encode("ascii")


class Connection:
    """A minimal keep-alive HTTP/1.1 client: the load client must cost the server's CPU as little as possible."""

    def __init__(self, port: int, timeout: float) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def close(self) -> None:
        self.socket.close()

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send ``request``; the status and body of the answer (``OSError`` if the connection fails)."""
        self.socket.sendall(request)
        head = self._until(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"content-length" in headers:
            body = self._exactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                size = int(self._until(b"\r\n").split(b";")[0], 16)
                parts.append(self._exactly(size))
                self._exactly(2)
                if size == 0:
                    break
            body = b"".join(parts)
        else:
            body = self._rest()
        if headers.get(b"connection", b"").lower() == b"close":
            raise ConnectionResetError("server closed the connection")  # answer read; caller reconnects
        return status, body

    def _fill(self) -> None:
        data = self.socket.recv(65536)
        if not data:
            raise ConnectionResetError("connection closed by the server")
        self.buffer += data

    def _until(self, marker: bytes) -> bytes:
        while (index := self.buffer.find(marker)) < 0:
            self._fill()
        found, self.buffer = self.buffer[:index], self.buffer[index + len(marker):]
        return found

    def _exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._fill()
        found, self.buffer = self.buffer[:count], self.buffer[count:]
        return found

    def _rest(self) -> bytes:
        try:
            while True:
                self._fill()
        except ConnectionResetError:
            found, self.buffer = self.buffer, b""
            return found


@dataclass
class Cell:
    """What one server did in one (concurrency, mix) cell."""

    server: str
    concurrency: int
    mix: str
    round: int = 1
    seconds: float = 0.0
    light_latencies: list[float] = field(default_factory=list)
    light_errors: int = 0
    light_error_statuses: dict[str, int] = field(default_factory=dict)
    explosive_sent: int = 0
    explosive_cut_off: int = 0
    explosive_answered: int = 0
    explosive_unanswered: int = 0
    cut_off_seconds: list[float] = field(default_factory=list)
    server_cpu_seconds: float = 0.0
    busiest_process_cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.light_latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_light_request(self) -> float:
        return 1000 * self.server_cpu_seconds / len(self.light_latencies) if self.light_latencies else float("nan")

    def cores(self, cpu_seconds: float) -> float:
        return cpu_seconds / self.seconds if self.seconds else float("nan")

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.light_latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else float("nan")


def run_cell(server: RunningServer, concurrency: int, mix: str, light: list[tuple[str, str]], seconds: float,
             time_limit: float) -> Cell:
    """Send the mix from ``concurrency`` connections for ``seconds``; light latencies and explosive outcomes."""
    cell = Cell(server.spec.name, concurrency, mix)
    requests = [get_request(server.spec.endpoint, text, accept) for text, accept in light]
    explosive = get_request(server.spec.endpoint, EXPLOSIVE, SELECT_ACCEPT)
    client_timeout = time_limit + CLIENT_TIMEOUT_GRACE
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client(index: int) -> None:
        turn = index
        connection: Connection | None = None
        while time.monotonic() < stop:
            is_explosive = mix != "light" and turn % EXPLOSIVE_EVERY == EXPLOSIVE_EVERY - 1
            request = explosive if is_explosive else requests[turn % len(requests)]
            turn += 1
            started = time.perf_counter()
            status: int | None = None
            try:
                connection = connection or Connection(server.port, client_timeout)
                status, _ = connection.exchange(request)
            except (OSError, ValueError, IndexError):
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.01)  # a server refusing connections must not turn the client into a busy loop
            elapsed = time.perf_counter() - started
            with lock:
                if is_explosive:
                    cell.explosive_sent += 1
                    if status is None:
                        cell.explosive_unanswered += 1
                    elif status == 200:
                        cell.explosive_answered += 1
                    else:
                        cell.explosive_cut_off += 1
                        cell.cut_off_seconds.append(elapsed)
                elif status == 200:
                    cell.light_latencies.append(elapsed)
                else:
                    cell.light_errors += 1
                    key = str(status) if status is not None else "no answer"
                    cell.light_error_statuses[key] = cell.light_error_statuses.get(key, 0) + 1
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    cpu_before = session_cpu_seconds(server.process.pid)
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, stop - time.monotonic()) + client_timeout + 5)
    cell.seconds = time.monotonic() - began
    # A query worker killed at the time limit is reaped by a process of the session, whose children's time then holds
    # it (its whole life, a slight over-count); the busiest process is judged on its own time.
    cpu_after = session_cpu_seconds(server.process.pid)
    before = {pid: cpu_before.get(pid, (0.0, 0.0)) for pid in cpu_after}
    cell.server_cpu_seconds = sum(cpu_after[pid][1] - before[pid][1] for pid in cpu_after)
    cell.busiest_process_cpu_seconds = max((cpu_after[pid][0] - before[pid][0] for pid in cpu_after), default=0.0)
    with lock:  # requests still hanging (a server without a time limit) are unanswered
        cell.explosive_unanswered += sum(thread.is_alive() for thread in threads)
    return cell


def session_cpu_seconds(session: int) -> dict[int, tuple[float, float]]:
    """For each live process of the session ``session``: (its own CPU seconds, those and its reaped children's)."""
    ticks = os.sysconf("SC_CLK_TCK")
    usage: dict[int, tuple[float, float]] = {}
    for pid, fields in process_stats():
        if int(fields[3]) == session:
            own = int(fields[11]) + int(fields[12])  # utime, stime
            usage[pid] = (own / ticks, (own + int(fields[13]) + int(fields[14])) / ticks)  # + cutime, cstime
    return usage


# -- the report --------------------------------------------------------------------------------------------


def print_table(cells: Sequence[Cell]) -> None:
    print(f"\n{'mix':<16} {'conc':>4} {'server':<16} {'round':>5} {'light req/s':>11} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'light err':>9} {'explosive sent/cut off/answered/unanswered':>44} {'cut-off s (median)':>18} "
          f"{'server cores':>12} {'busiest process':>15} {'CPU ms/light req':>16}")
    for cell in cells:
        explosive = "-"
        median_cut = "-"
        if cell.mix != "light":
            explosive = f"{cell.explosive_sent}/{cell.explosive_cut_off}/{cell.explosive_answered}/{cell.explosive_unanswered}"
            if cell.cut_off_seconds:
                median_cut = f"{sorted(cell.cut_off_seconds)[len(cell.cut_off_seconds) // 2]:.2f}"
        errors = str(cell.light_errors) + (f" {cell.light_error_statuses}" if cell.light_errors else "")
        print(f"{cell.mix:<16} {cell.concurrency:>4} {cell.server:<16} {cell.round:>5} {cell.rate:>11.1f} "
              f"{cell.percentile(0.5):>8.2f} {cell.percentile(0.99):>8.2f} {errors:>9} {explosive:>44} {median_cut:>18} "
              f"{cell.cores(cell.server_cpu_seconds):>12.2f} {cell.cores(cell.busiest_process_cpu_seconds):>15.2f} "
              f"{cell.cpu_ms_per_light_request:>16.2f}")


def print_ratios(cells: Sequence[Cell]) -> None:
    """kg serve over each other server, round by round (cells of one round ran back to back); the median if several."""
    print("\nratios, kg serve / other server (throughput of light queries; p99 of light queries), median of rounds:")
    for mix in dict.fromkeys(c.mix for c in cells):
        for concurrency in dict.fromkeys(c.concurrency for c in cells):
            parts = []
            for other in ("rdflib-endpoint", "oxigraph serve"):
                rates, p99s = [], []
                for number in sorted({c.round for c in cells}):
                    row = {c.server: c for c in cells if c.mix == mix and c.concurrency == concurrency and c.round == number}
                    ours, theirs = row.get("kg serve"), row.get(other)
                    if ours is None or theirs is None:
                        continue
                    rates.append(ours.rate / theirs.rate if theirs.rate else float("inf"))
                    if theirs.light_latencies and ours.light_latencies:
                        p99s.append(ours.percentile(0.99) / theirs.percentile(0.99))
                if rates:
                    rate = "inf (they answered none)" if _median(rates) == float("inf") else f"{_median(rates):.2f}x"
                    spread = f" (rounds: {', '.join(f'{r:.2f}' for r in rates)})" if len(rates) > 1 else ""
                    p99 = f"{_median(p99s):.2f}" if p99s else "-"
                    parts.append(f"vs {other}: throughput {rate}{spread}, p99 {p99}")
            if parts:
                print(f"  {mix:<16} c{concurrency:<3} " + "; ".join(parts))


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--competitors-python", type=Path, required=True,
                        help="Python of an environment with rdflib-endpoint and oxigraph installed")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each cell (default 60)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--mixes", nargs="+", default=["light", "light+explosive"], choices=["light", "light+explosive"])
    parser.add_argument("--servers", nargs="+", default=["kg serve", "rdflib-endpoint", "oxigraph serve"])
    parser.add_argument("--time-limit", type=float, default=10.0, help="query time limit given to the servers (default 10 s)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every cell (servers in a new random order each round); ratios are medians of rounds")
    arguments = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    with tempfile.TemporaryDirectory(prefix="kg-load-") as scratch:
        directory = Path(scratch)
        dataset = dump_served_triples(directory)
        oxigraph_dir = directory / "oxigraph"
        bin_dir = arguments.competitors_python.parent
        if "oxigraph serve" in arguments.servers:
            subprocess.run([str(bin_dir / "oxigraph"), "load", "--location", str(oxigraph_dir), "--file", str(dataset.path)],
                           check=True, capture_output=True)
        light = light_mix(dataset.subject, dataset.klass, dataset.predicate)
        print(f"data: {dataset.triples:,} triples (what kg serve answers from, closure included), dumped to N-Triples")
        print(f"light mix: {len(light)} queries around <{dataset.subject}>, <{dataset.klass}>, <{dataset.predicate}>")
        print(f"explosive: 1 request in {EXPLOSIVE_EVERY} per connection is {EXPLOSIVE!r}")
        print(f"time limit {arguments.time_limit:g} s (oxigraph serve: --timeout-s in the explosive mix only); "
              f"{arguments.seconds:g} s per cell; a fresh server per cell; "
              f"logs in {directory}", flush=True)
        cells: list[Cell] = []
        for mix in arguments.mixes:
            specs = [s for s in server_specs(dataset, arguments.competitors_python, oxigraph_dir, arguments.time_limit,
                                             explosive=mix != "light") if s.name in arguments.servers]
            for concurrency in arguments.concurrency:
                for number in range(1, arguments.repeat + 1):
                    for spec in random.sample(specs, len(specs)):  # no server always first on a warming machine
                        with running(spec, directory) as server:
                            run_cell(server, 2, "light", light, 2.0, arguments.time_limit)  # warm-up
                            cell = run_cell(server, concurrency, mix, light, arguments.seconds, arguments.time_limit)
                        cell.round = number
                        cells.append(cell)
                        print(f"  {mix} c{concurrency} round {number} {spec.name}: {cell.rate:.0f} light req/s, "
                              f"p99 {cell.percentile(0.99):.1f} ms, {cell.light_errors} light errors, explosive "
                              f"{cell.explosive_sent} sent / {cell.explosive_cut_off} cut off; server CPU "
                              f"{cell.cores(cell.server_cpu_seconds):.2f} cores, busiest process "
                              f"{cell.cores(cell.busiest_process_cpu_seconds):.2f}", flush=True)
        cells.sort(key=lambda c: (arguments.mixes.index(c.mix), c.concurrency, arguments.servers.index(c.server), c.round))
        print_table(cells)
        print_ratios(cells)


if __name__ == "__main__":
    main()
