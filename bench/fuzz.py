"""Fuzz benchmark: thousands of hostile and malformed requests against a real ``kg serve`` on the shipped data.

The requests are those of ``tests/test_hardening_fuzz.py`` (:func:`hostile_request`,
seeded, so a run can be repeated: deep nesting, huge VALUES blocks, long
queries, odd literals, regex bombs, explosive queries, bodies in the wrong
encoding or compression, junk methods, headers and paths), sent in batches from
concurrent connections, plus after every batch the raw malformed HTTP of that
test (CONNECT, TLS and HTTP/2 prefaces, bad framing…) and requests of 2 MB;
through every batch, more connections than the server has threads hold half a
request head (slowloris).  After each batch the server must be alive and answer
a known query correctly, and the slow connections must have been dropped.  It
prints the count of each status, the answers that break the rules (a 5xx other
than a 503 for the time limit, a traceback in a body), and the memory of the
server's processes (the HTTP process and all its query workers) before and after::

    .venv/bin/python bench/fuzz.py --requests 12000
"""

from __future__ import annotations

import argparse
import io
import os
import random
import socket
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a script named like the standard library's ``http``: keep that folder off the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from rdflib.query import Result  # noqa: E402

from kg.evaluation.pool import IDLE_EXTRA_SECONDS  # noqa: E402
from kg.server import HEAD_SECONDS  # noqa: E402
from tests.live_server import LiveServer, _children, _descendants, live_server  # noqa: E402
from tests.test_hardening_fuzz import LABELLED, RAW_REQUESTS, TOKEN, acceptable, hostile_request, send  # noqa: E402

CHECK = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }"


def memory_mb(server: LiveServer) -> tuple[float, float, int]:
    """Memory (MB) of the HTTP process (``kg serve`` itself, resident) and of the whole server (proportional set size:
    pages the forked query workers share with their template are counted once), and the number of processes."""
    family = _descendants(server.process.pid, _children())
    resident, proportional = {}, {}
    for pid in family:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        resident[pid] = int(status.split("VmRSS:")[1].split()[0]) / 1024 if "VmRSS:" in status else 0.0
        proportional[pid] = int(rollup.split("Pss:")[1].split()[0]) / 1024 if "Pss:" in rollup else 0.0
    return resident.get(server.process.pid, 0.0), sum(proportional.values()), len(proportional)


def expected_count(server: LiveServer) -> str:
    reply = server.request("GET", f"/sparql?query={quote(CHECK)}", headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200, reply.text
    return str(next(iter(Result.parse(io.BytesIO(reply.body), format="json")))[0])


#: Seconds between the light queries that keep the server in use while it settles.
SETTLE_POLL_SECONDS = 2.0


def settle(server: LiveServer, processes: int) -> tuple[float, float, int, float]:
    """Memory (as :func:`memory_mb`) once the query workers started under the fuzz load have stopped, and the seconds
    that took: a pool trims idle workers as it serves queries, so a light query is sent every few seconds meanwhile."""
    started = time.monotonic()
    deadline = started + IDLE_EXTRA_SECONDS + 30
    while True:
        expected_count(server)
        app, total, count = memory_mb(server)
        if count <= processes or time.monotonic() > deadline:
            return app, total, count, time.monotonic() - started
        time.sleep(SETTLE_POLL_SECONDS)


def raw_round(server: LiveServer) -> list[str]:
    problems = []
    for data in RAW_REQUESTS:
        reply = server.send_raw(data)
        if reply.startswith(b"HTTP/1.1 5") or b"Traceback" in reply:
            problems.append(f"raw {data[:40]!r}: {reply[:120]!r}")
    return problems


#: Requests of about 2 MB: a query of repeated triple patterns (it killed ``oxigraph serve``), in a body and in a URL.
_BIG_QUERY = "SELECT * WHERE { " + "?s <http://example.org/p> ?o . " * 66_000 + "}"
BIG_REQUESTS = [
    (f"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: {len(_BIG_QUERY)}\r\n"
     "Connection: close\r\n\r\n" + _BIG_QUERY).encode(),
    (f"GET /sparql?query={quote(_BIG_QUERY)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").encode(),
]


def big_round(server: LiveServer) -> list[str]:
    """The 2 MB requests: refused with a 4xx (or the connection closed), never a 5xx."""
    problems = []
    for data in BIG_REQUESTS:
        reply = server.send_raw(data, timeout=30, finish=False)
        if not reply.startswith(b"HTTP/1.1 4") and reply:
            problems.append(f"2 MB request {data[:30]!r}: {reply[:120]!r}")
    return problems


class Slowloris:
    """``count`` connections that send half a request head and then nothing, held open while a batch runs."""

    def __init__(self, server: LiveServer, count: int) -> None:
        self.connections = []
        for _ in range(count):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            connection.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Slow: a")
            self.connections.append(connection)

    def dropped(self) -> int:
        """How many of them the server has closed so far."""
        closed = 0
        for connection in self.connections:
            connection.setblocking(False)
            try:
                closed += connection.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        return closed

    def wait_until_dropped(self, seconds: float) -> int:
        """Poll for ``seconds`` at most until the server has closed them all (each gets its head time limit)."""
        deadline = time.monotonic() + seconds
        while (closed := self.dropped()) < len(self.connections) and time.monotonic() < deadline:
            time.sleep(0.5)
        return closed

    def close(self) -> None:
        for connection in self.connections:
            connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=12_000, help="hostile requests to send (default 12,000)")
    parser.add_argument("--batch", type=int, default=1_000, help="requests between health checks (default 1,000)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0, help="first seed (request i uses seed + i)")
    parser.add_argument("--time-limit", type=float, default=2.0, help="KG_QUERY_TIMEOUT of the server (default 2 s)")
    parser.add_argument("--slow-clients", type=int, default=100,
                        help="connections sending half a request head, held open through each batch (default 100)")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kg-fuzz-") as scratch:
        directory = Path(scratch)
        labelled = directory / "labelled.ttl"
        labelled.write_text(LABELLED, encoding="utf-8")
        from kg.sources import shipped_sources

        data = [source.path for source in shipped_sources()] + [labelled]
        env = {"KG_QUERY_TIMEOUT": f"{arguments.time_limit:g}", "KG_WRITE_TOKEN": TOKEN,
               "KG_QUERIES_DIR": str(directory / "queries"), "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
        with live_server(directory, *data, env=env) as server:
            truth = expected_count(server)
            app_before, total_before, processes_before = memory_mb(server)
            print(f"kg serve on the shipped data; time limit {arguments.time_limit:g} s; {arguments.requests:,} requests "
                  f"from {arguments.concurrency} connections, seeds {arguments.seed}..{arguments.seed + arguments.requests - 1}")
            print(f"memory before: HTTP process {app_before:.0f} MB, all {processes_before} processes {total_before:.0f} MB",
                  flush=True)
            statuses: Counter[int] = Counter()
            problems: list[str] = []
            started = time.monotonic()
            with ThreadPoolExecutor(arguments.concurrency) as pool:
                for first in range(0, arguments.requests, arguments.batch):
                    seeds = range(arguments.seed + first, arguments.seed + min(first + arguments.batch, arguments.requests))
                    requests = [hostile_request(random.Random(seed)) for seed in seeds]
                    slow = Slowloris(server, arguments.slow_clients)  # more than KG_THREADS, held through the batch
                    batch_started = time.monotonic()
                    for request, (status, body) in zip(requests, pool.map(lambda r: send(server, r), requests), strict=True):
                        statuses[status] += 1
                        if (why := acceptable(status, body)) is not None:
                            problems.append(f"{request.method} {request.path[:100]}: {why}")
                    problems += raw_round(server) + big_round(server)
                    statuses[-1] += len(RAW_REQUESTS) + len(BIG_REQUESTS)
                    slow_dropped = slow.wait_until_dropped(HEAD_SECONDS + 10)
                    slow_held = time.monotonic() - batch_started
                    slow.close()
                    statuses[-2] += arguments.slow_clients
                    alive = server.process.poll() is None
                    correct = alive and expected_count(server) == truth
                    app_now, total_now, processes_now = memory_mb(server)
                    print(f"  after {first + len(requests):>6,}: alive {alive}, correct {correct}, HTTP process {app_now:.0f} MB, "
                          f"all {processes_now} processes {total_now:.0f} MB, {len(problems)} problems, {time.monotonic() - started:.0f} s; "
                          f"{slow_dropped} of {arguments.slow_clients} slowloris connections dropped within {slow_held:.0f} s",
                          flush=True)
                    if slow_dropped < arguments.slow_clients:
                        problems.append(f"{arguments.slow_clients - slow_dropped} slowloris connections still held")
                    if not correct:
                        problems.append("the server was not alive and correct after a batch")
                        break
            app_after, total_after, processes_after = memory_mb(server)
            app_settled, total_settled, processes_settled, settle_seconds = settle(server, processes_before)
            tracebacks_in_log = server.log().count("Traceback")
        print("\nstatus counts (0 = connection closed by the server, -1 = raw malformed HTTP and 2 MB requests, "
              "-2 = slowloris connections):")
        for status, count in sorted(statuses.items()):
            print(f"  {status:>4}: {count:,}")
        print(f"requests: {sum(statuses.values()):,}; problems (5xx other than a time-limit 503, tracebacks in bodies, "
              f"slow connections not dropped, server not alive and correct): {len(problems)}")
        for problem in problems[:20]:
            print("   ", problem)
        print(f"memory growth: HTTP process {app_after - app_before:+.0f} MB (resident); all processes "
              f"{total_after - total_before:+.0f} MB (proportional set size; {processes_before} processes before, "
              f"{processes_after} after: query workers come and go with the load)")
        print(f"memory growth once the extra query workers stopped ({settle_seconds:.0f} s of one light query every "
              f"{SETTLE_POLL_SECONDS:g} s): HTTP process {app_settled - app_before:+.0f} MB; all processes "
              f"{total_settled - total_before:+.0f} MB ({processes_settled} processes)")
        print(f"tracebacks in the server log (logged defects, never sent): {tracebacks_in_log}")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
