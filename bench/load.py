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

Two modes: ``repeated`` sends the fixed texts of the mix, which a parsed-query
or result cache may serve; ``unique`` makes every request's text different, so
that no cache can help.  A unique text renames one variable of the query (``?o``
becomes ``?o_3_1207``: connection 3, its 1207th request) rather than adding a
comment, which a server could strip before looking in its cache; and rather than
changing a LIMIT or adding a FILTER on a fresh literal, which would change how
many rows are found or add work per row.  The renamed query has the same
solutions, found the same way, and differs from every other text the server saw.

The load generator is ``wrk`` (Debian package ``wrk``), compiled, with
``bench/load_mix.lua``: one connection per wrk thread, so that the script can
time each request itself and keep the light requests' latencies apart from the
explosive ones (wrk's own percentiles, over all requests, are printed for each
cell too).  The Lua script is a file of its own, to be read as Lua; the queries
it sends are written to a scratch file by this script for each cell, so that the
mix is defined once, here.  Every non-2xx answer and every socket error counts
as an error; an explosive request still running when the cell ends counts as
unanswered.  ``--client python`` is a fallback without wrk: Python threads,
which against a fast server use most of a core themselves (and wait for the
requests still running at the end).

Each cell also reports the CPU the server used (all processes of its session,
from /proc, reaped children included): in cores, per light request, and the
share of its busiest process — a server whose busiest process sits near one
core is bound by one thread of work (for a Python server, its GIL) — and the
CPU the load generator used, to show that it was not the limit.

The competitors are not ipkg dependencies: give the Python of a separate
environment that has them::

    apt-get install -y wrk
    python3 -m venv /tmp/competitors && /tmp/competitors/bin/pip install "rdflib-endpoint[cli]==0.6.3" oxigraph==0.5.13
    .venv/bin/python bench/load.py --competitors-python /tmp/competitors/bin/python

The table gives the medians of the rounds (``--repeat``); the ratios kg serve /
other are taken within each round, whose cells ran back to back, then the
median.  Figures come from a noisy, shared machine: quote ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a script named like the standard library's ``http``: keep that folder off the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from tests.live_server import free_port, process_stats, server_process  # noqa: E402

WRK_SCRIPT = ROOT / "bench" / "load_mix.lua"
WRK_MISSING = ("wrk is not installed: `sudo apt-get install -y wrk` (Debian, Ubuntu), or run with --client python "
               "(Python threads: against a fast server they are the bottleneck, and its figures a floor)")
PREFIXES = (
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
)
#: Written right after the variable a unique text renames; replaced by "" (repeated) or "_CONNECTION_TURN" (unique).
MARK = "\x1f"
#: A query no engine finishes: the count of a four-way cross product of every triple.
EXPLOSIVE = f"SELECT (COUNT(*) AS ?n{MARK}) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }}"
EXPLOSIVE_EVERY = 10
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"
#: Seconds past the time limit a client waits for an answer before it counts the request as unanswered.
CLIENT_TIMEOUT_GRACE = 20.0
MODES = ("repeated", "unique")


@dataclass(frozen=True)
class MixQuery:
    """One query of the mix: its text (with :data:`MARK` after the variable to rename), Accept header and kind."""

    text: str
    accept: str
    explosive: bool = False

    def path_pieces(self, endpoint: str) -> list[str]:
        """The GET path for this query, percent-encoded, split where the rename suffix goes."""
        first, *rest = [quote(piece, safe="") for piece in self.text.split(MARK)]
        return [f"{endpoint}?query={first}", *rest]


def light_mix(subject: str, klass: str, predicate: str) -> list[MixQuery]:
    """The light mix around a well-connected subject, a used class and a used property."""
    m = MARK
    queries = [
        (f"SELECT ?p ?o{m} WHERE {{ <{subject}> ?p ?o{m} }} LIMIT 50", SELECT_ACCEPT),
        (f"SELECT ?s ?label{m} WHERE {{ ?s rdfs:label ?label{m} }} LIMIT 20", SELECT_ACCEPT),
        (f"ASK {{ ?c{m} a owl:Class }}", SELECT_ACCEPT),
        (f"SELECT ?label{m} WHERE {{ <{subject}> rdfs:label ?label{m} }}", SELECT_ACCEPT),
        (f"CONSTRUCT {{ <{subject}> ?p ?o{m} }} WHERE {{ <{subject}> ?p ?o{m} }}", GRAPH_ACCEPT),
        (f"SELECT ?s{m} WHERE {{ ?s{m} a <{klass}> }} LIMIT 10", SELECT_ACCEPT),
        (f"SELECT ?s ?o{m} WHERE {{ ?s <{predicate}> ?o{m} }} LIMIT 10", SELECT_ACCEPT),
        (f"SELECT ?s{m} ?label WHERE {{ ?s{m} a <{klass}> ; rdfs:label ?label }} LIMIT 10", SELECT_ACCEPT),
    ]
    return [MixQuery(PREFIXES + text, accept) for text, accept in queries]


def unique_suffix(connection: int, turn: int) -> str:
    """What a unique text appends to the renamed variable (as ``bench/load_mix.lua`` does)."""
    return f"_{connection}_{turn}"


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

    from kg.dataset import open_dataset
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


# -- one cell ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What to send in one cell: the mix, the mode, from how many connections, for how long."""

    concurrency: int
    mix: str
    mode: str
    light: Sequence[MixQuery]
    seconds: float
    time_limit: float

    @property
    def explosive_every(self) -> int:
        """Every how many requests a connection sends the explosive query (0: never)."""
        return 0 if self.mix == "light" else EXPLOSIVE_EVERY

    @property
    def client_timeout(self) -> float:
        return self.time_limit + CLIENT_TIMEOUT_GRACE


@dataclass
class Cell:
    """What one server did in one (mix, mode, concurrency) cell."""

    server: str
    concurrency: int
    mix: str
    mode: str
    round: int = 1
    seconds: float = 0.0
    light_latencies: list[float] = field(default_factory=list)
    #: Light requests answered with a non-2xx status, by status; socket errors (of either kind) under "socket".
    errors: dict[str, int] = field(default_factory=dict)
    explosive_sent: int = 0
    explosive_cut_off: int = 0
    explosive_answered: int = 0
    explosive_unanswered: int = 0
    cut_off_seconds: list[float] = field(default_factory=list)
    server_cpu_seconds: float = 0.0
    busiest_process_cpu_seconds: float = 0.0
    generator_cpu_seconds: float = 0.0
    #: The generator's own count and percentiles over all requests, light and explosive (wrk only).
    generator_summary: str = ""

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

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

    def count_error(self, key: str, count: int = 1) -> None:
        self.errors[key] = self.errors.get(key, 0) + count


#: A load generator: sends ``plan`` to the server, fills the cell's latencies, outcomes, duration and its own CPU.
Client = Callable[[RunningServer, Plan, Cell, Path], None]


def run_cell(server: RunningServer, client: Client, plan: Plan, scratch: Path) -> Cell:
    """Send ``plan`` with ``client``; the cell with the server's CPU (all processes of its session) added."""
    cell = Cell(server.spec.name, plan.concurrency, plan.mix, plan.mode)
    cpu_before = session_cpu_seconds(server.process.pid)
    client(server, plan, cell, scratch)
    # A query worker killed at the time limit is reaped by a process of the session, whose children's time then holds
    # it (its whole life, a slight over-count); the busiest process is judged on its own time.
    cpu_after = session_cpu_seconds(server.process.pid)
    before = {pid: cpu_before.get(pid, (0.0, 0.0)) for pid in cpu_after}
    cell.server_cpu_seconds = sum(cpu_after[pid][1] - before[pid][1] for pid in cpu_after)
    cell.busiest_process_cpu_seconds = max((cpu_after[pid][0] - before[pid][0] for pid in cpu_after), default=0.0)
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


def cpu_seconds(who: int) -> float:
    """User and system CPU seconds of ``resource.RUSAGE_SELF`` or ``RUSAGE_CHILDREN`` (the reaped ones)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# -- the wrk client ----------------------------------------------------------------------------------------


def send_with_wrk(server: RunningServer, plan: Plan, cell: Cell, scratch: Path) -> None:
    """Send ``plan`` with wrk and ``bench/load_mix.lua``, one wrk thread per connection; read back its JSON line.

    The servers, started by this process, are reaped only after their cell: while wrk runs, the CPU of reaped
    children grows by wrk's alone.
    """
    mix_file = write_mix_file(scratch / f"mix-{server.port}.tsv", server.spec.endpoint, plan.light)
    connections = str(plan.concurrency)
    command = ["wrk", "--threads", connections, "--connections", connections,
               "--duration", f"{max(1, round(plan.seconds))}s", "--timeout", f"{plan.client_timeout:g}s",
               "--script", str(WRK_SCRIPT), f"http://127.0.0.1:{server.port}",
               "--", str(mix_file), plan.mode, str(plan.explosive_every)]
    before = cpu_seconds(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    cell.generator_cpu_seconds = cpu_seconds(resource.RUSAGE_CHILDREN) - before
    read_wrk_report(json.loads(finished.stdout.strip().splitlines()[-1]), cell)


def write_mix_file(path: Path, endpoint: str, light: Sequence[MixQuery]) -> Path:
    """The mix as ``bench/load_mix.lua`` reads it: kind, Accept and path pieces, tab-separated, a query a line."""
    queries = [*light, MixQuery(EXPLOSIVE, SELECT_ACCEPT, explosive=True)]
    lines = ["\t".join(["explosive" if q.explosive else "light", q.accept, *q.path_pieces(endpoint)]) for q in queries]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def read_wrk_report(report: dict, cell: Cell) -> None:
    """Fill ``cell`` from the line ``done()`` printed: per connection, then wrk's own counts over all requests.

    wrk does not tell which request a socket error hit: they all count as errors of the cell, and an explosive
    request without an answer (still running at the end, or lost) counts as unanswered.
    """
    cell.seconds = report["duration_us"] / 1e6
    for connection in report["connections"]:
        cell.light_latencies += [us / 1e6 for us in connection["light_us"]]
        for status in connection["light_error_statuses"]:
            cell.count_error(str(status))
        cut_off = [us / 1e6 for us in connection["cut_off_us"]]
        cell.cut_off_seconds += cut_off
        cell.explosive_sent += connection["explosive_sent"]
        cell.explosive_answered += connection["explosive_answered"]
        cell.explosive_cut_off += len(cut_off)
        cell.explosive_unanswered += connection["explosive_sent"] - connection["explosive_answered"] - len(cut_off)
    if report["socket_errors"]:
        cell.count_error("socket", report["socket_errors"])
    cell.generator_summary = (f"wrk, all requests: {report['requests']:.0f}, p50 {report['p50_us'] / 1000:.1f} ms, "
                              f"p99 {report['p99_us'] / 1000:.1f} ms")


# -- the Python client (fallback) --------------------------------------------------------------------------


def get_path(endpoint: str, query: str) -> str:
    """The path of a GET request for ``query``."""
    return f"{endpoint}?query={quote(query, safe='')}"


def get_request(path: str, accept: str) -> bytes:
    """One GET request for ``path`` (HTTP/1.1, keep-alive)."""
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
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


def send_with_threads(server: RunningServer, plan: Plan, cell: Cell, _scratch: Path) -> None:
    """Send ``plan`` from Python threads, one per connection; waits for requests still running at the end."""
    endpoint = server.spec.endpoint
    queries = [(q.path_pieces(endpoint), q.accept) for q in plan.light]
    explosive = MixQuery(EXPLOSIVE, SELECT_ACCEPT, explosive=True).path_pieces(endpoint)
    stop = time.monotonic() + plan.seconds
    lock = threading.Lock()

    def client(connection_number: int) -> None:
        turn = connection_number - 1
        connection: Connection | None = None
        while time.monotonic() < stop:
            is_explosive = plan.explosive_every > 0 and turn % plan.explosive_every == plan.explosive_every - 1
            pieces, accept = (explosive, SELECT_ACCEPT) if is_explosive else queries[turn % len(queries)]
            turn += 1
            suffix = unique_suffix(connection_number, turn) if plan.mode == "unique" else ""
            request = get_request(suffix.join(pieces), accept)
            started = time.perf_counter()
            status: int | None = None
            try:
                connection = connection or Connection(server.port, plan.client_timeout)
                status, _ = connection.exchange(request)
            except (OSError, ValueError, IndexError):
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.01)  # a server refusing connections must not turn the client into a busy loop
            with lock:
                record(cell, is_explosive, status, time.perf_counter() - started)
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=client, args=(i + 1,), daemon=True) for i in range(plan.concurrency)]
    cpu_before = cpu_seconds(resource.RUSAGE_SELF)
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, stop - time.monotonic()) + plan.client_timeout + 5)
    cell.seconds = time.monotonic() - began
    cell.generator_cpu_seconds = cpu_seconds(resource.RUSAGE_SELF) - cpu_before
    with lock:  # requests still hanging (a server without a time limit) are unanswered
        cell.explosive_unanswered += sum(thread.is_alive() for thread in threads)


def record(cell: Cell, explosive: bool, status: int | None, elapsed: float) -> None:
    """Count one request of the Python client (``status`` None: no answer)."""
    ok = status is not None and 200 <= status < 300
    if explosive:
        cell.explosive_sent += 1
        if status is None:
            cell.explosive_unanswered += 1
        elif ok:
            cell.explosive_answered += 1
        else:
            cell.explosive_cut_off += 1
            cell.cut_off_seconds.append(elapsed)
    elif ok:
        cell.light_latencies.append(elapsed)
    else:
        cell.count_error(str(status) if status is not None else "socket")


CLIENTS: dict[str, Client] = {"wrk": send_with_wrk, "python": send_with_threads}


# -- the report --------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def groups(cells: Sequence[Cell]) -> dict[tuple[str, str, int], dict[str, list[Cell]]]:
    """The cells by (mix, mode, concurrency), then by server, in the order they were given."""
    grouped: dict[tuple[str, str, int], dict[str, list[Cell]]] = {}
    for cell in cells:
        grouped.setdefault((cell.mix, cell.mode, cell.concurrency), {}).setdefault(cell.server, []).append(cell)
    return grouped


def print_table(cells: Sequence[Cell]) -> None:
    """One row per mix × mode × concurrency × server: medians of the rounds, errors and explosive outcomes summed."""
    print(f"\n{'mix':<16} {'mode':<8} {'conc':>4} {'server':<16} {'rounds':>6} {'light req/s':>11} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'CPU ms/req':>10} {'errors':>8} {'server cores':>12} {'busiest proc':>12} "
          f"{'gen cores':>9} {'gen ms/req':>10}  {'explosive sent/cut/answered/unanswered':<38} {'cut-off s':>9}")
    for (mix, mode, concurrency), servers in groups(cells).items():
        for server, rounds in servers.items():
            def mid(value: Callable[[Cell], float], rounds: list[Cell] = rounds) -> float:
                return median([value(c) for c in rounds])

            explosive, cut = "-", "-"
            if mix != "light":
                explosive = "/".join(str(sum(getattr(c, f"explosive_{kind}") for c in rounds))
                                     for kind in ("sent", "cut_off", "answered", "unanswered"))
                cut_offs = [s for c in rounds for s in c.cut_off_seconds]
                cut = f"{median(cut_offs):.2f}" if cut_offs else "-"
            generator_ms = mid(lambda c: 1000 * c.generator_cpu_seconds / max(1, len(c.light_latencies)))
            print(f"{mix:<16} {mode:<8} {concurrency:>4} {server:<16} {len(rounds):>6} {mid(lambda c: c.rate):>11.1f} "
                  f"{mid(lambda c: c.percentile(0.5)):>8.2f} {mid(lambda c: c.percentile(0.99)):>8.2f} "
                  f"{mid(lambda c: c.cpu_ms_per_light_request):>10.3f} {sum(c.error_count for c in rounds):>8} "
                  f"{mid(lambda c: c.cores(c.server_cpu_seconds)):>12.2f} "
                  f"{mid(lambda c: c.cores(c.busiest_process_cpu_seconds)):>12.2f} "
                  f"{mid(lambda c: c.cores(c.generator_cpu_seconds)):>9.2f} {generator_ms:>10.3f}  "
                  f"{explosive:<38} {cut:>9}")
    print("light req/s, p50, p99 and CPU ms/req are of light requests answered 2xx; errors: light non-2xx and socket "
          "errors; gen: the load generator's own CPU; unanswered: no answer when the cell ended")


def print_ratios(cells: Sequence[Cell]) -> None:
    """kg serve over each other server, round by round (cells of one round ran back to back); the median."""
    print("\nratios kg serve / other server, same round (median of rounds): "
          "light throughput, p99, CPU per light request")
    for (mix, mode, concurrency), servers in groups(cells).items():
        ours = {c.round: c for c in servers.get("kg serve", [])}
        parts = []
        for other in ("rdflib-endpoint", "oxigraph serve"):
            pairs = [(ours[c.round], c) for c in servers.get(other, []) if c.round in ours]
            if not pairs:
                continue
            rates = [a.rate / b.rate if b.rate else float("inf") for a, b in pairs]
            answered = [(a, b) for a, b in pairs if a.light_latencies and b.light_latencies]
            p99s = [a.percentile(0.99) / b.percentile(0.99) for a, b in answered]
            cpus = [a.cpu_ms_per_light_request / b.cpu_ms_per_light_request for a, b in answered]
            spread = f" (rounds {', '.join(f'{r:.2f}' for r in rates)})" if len(rates) > 1 else ""
            parts.append(f"vs {other}: {median(rates):.2f}x{spread}, p99 {median(p99s):.2f}, "
                         f"CPU/req {median(cpus):.2f}")
        if parts:
            print(f"  {mix:<16} {mode:<8} c{concurrency:<3} " + "; ".join(parts))


def progress(cell: Cell) -> str:
    """One line as a cell ends."""
    line = (f"  {cell.mix} {cell.mode} c{cell.concurrency} round {cell.round} {cell.server}: "
            f"{cell.rate:.0f} light req/s, "
            f"p99 {cell.percentile(0.99):.1f} ms, CPU {cell.cpu_ms_per_light_request:.3f} ms/req, "
            f"errors {cell.errors or 0}; server {cell.cores(cell.server_cpu_seconds):.2f} cores (busiest process "
            f"{cell.cores(cell.busiest_process_cpu_seconds):.2f}), "
            f"generator {cell.cores(cell.generator_cpu_seconds):.2f} cores")
    if cell.mix != "light":
        line += f"; explosive {cell.explosive_sent} sent / {cell.explosive_cut_off} cut off"
    return line + (f"; {cell.generator_summary}" if cell.generator_summary else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--competitors-python", type=Path, required=True,
                        help="Python of an environment with rdflib-endpoint and oxigraph installed")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="duration of each cell (default 60; whole seconds with wrk)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--mixes", nargs="+", default=["light", "light+explosive"], choices=["light", "light+explosive"])
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES,
                        help="repeated: the fixed texts of the mix; unique: every request's text different")
    parser.add_argument("--servers", nargs="+", default=["kg serve", "rdflib-endpoint", "oxigraph serve"])
    parser.add_argument("--client", default="wrk", choices=sorted(CLIENTS),
                        help="load generator: wrk (default) or python (threads; a floor against a fast server)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="query time limit given to the servers (default 10 s)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every cell (servers in a new random order each round); the table gives medians")
    arguments = parser.parse_args()
    if arguments.client == "wrk" and shutil.which("wrk") is None:
        sys.exit(WRK_MISSING)
    client = CLIENTS[arguments.client]
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
        print(f"explosive: 1 request in {EXPLOSIVE_EVERY} per connection is {EXPLOSIVE.replace(MARK, '')!r}")
        print(f"unique mode renames one variable per request, e.g. "
              f"{light[0].text.replace(MARK, unique_suffix(3, 1207)).splitlines()[-1]!r}")
        print(f"client {arguments.client}; time limit {arguments.time_limit:g} s (oxigraph serve: --timeout-s in the "
              f"explosive mix only); {arguments.seconds:g} s per cell; a fresh server per cell; logs in {directory}",
              flush=True)
        cells: list[Cell] = []
        for mix in arguments.mixes:
            specs = [s for s in server_specs(dataset, arguments.competitors_python, oxigraph_dir, arguments.time_limit,
                                             explosive=mix != "light") if s.name in arguments.servers]
            for concurrency in arguments.concurrency:
                for number in range(1, arguments.repeat + 1):
                    for mode in arguments.modes:
                        plan = Plan(concurrency, mix, mode, light, arguments.seconds, arguments.time_limit)
                        warm_up = Plan(2, "light", "repeated", light, 2.0, arguments.time_limit)
                        for spec in random.sample(specs, len(specs)):  # no server always first on a warming machine
                            with running(spec, directory) as server:
                                run_cell(server, client, warm_up, directory)
                                cell = run_cell(server, client, plan, directory)
                            cell.round = number
                            cells.append(cell)
                            print(progress(cell), flush=True)
        cells.sort(key=lambda c: (arguments.mixes.index(c.mix), arguments.modes.index(c.mode), c.concurrency,
                                  arguments.servers.index(c.server), c.round))
        print_table(cells)
        print_ratios(cells)


if __name__ == "__main__":
    main()
