"""Front ends: how little CPU a Python HTTP server can spend on a light SPARQL query, beside ``oxigraph serve``.

The question is the floor under any Python front end: the app (``bench/frontend_app.py``) is the thinnest there is,
a WSGI callable that runs ``store.query(text)`` on an in-memory pyoxigraph store and serializes the result with
pyoxigraph, with no framework, and it is served by gunicorn (``gthread``) and by granian (a Rust HTTP server that
calls the WSGI app from its own threads).  Two granian configurations hand each request to query processes over a
socketpair instead, to price that hand-off.  The yardsticks are ``oxigraph serve-read-only`` on a RocksDB store
(``bench/load.py``'s baseline) and ``oxigraph serve`` in memory (as the Python app's store is).

Configurations: ``oxigraph-rocksdb``, ``oxigraph-memory``, ``gunicorn-WxT`` and ``granian-WxT`` (W worker processes
of T threads each: gunicorn ``--threads``, granian ``--blocking-threads``), ``granian-WxT+Nproc`` (N query processes
per worker, each with its own store).

Everything else is ``bench/load.py``'s, imported: the data (the triples ``kg serve`` answers from, closure
included, dumped to N-Triples; loaded into RocksDB with ``oxigraph load`` as it does), its light mix in unique mode
(every request's text differs, so no cache helps), sent by wrk with ``bench/load_mix.lua`` from ``--concurrency``
keep-alive connections, a fresh server per cell after a 2 s warm-up, and the CPU accounting: every process of the
server's session, and the busiest process alone (near 1 core: bound by one thread, for Python its GIL).  Each round
runs every configuration once, in a new random order; the ratios to the baselines are taken within a round, then
the median.  Figures come from a noisy, shared machine: quote ratios from one run.

The servers are not ipkg dependencies: give a venv that has granian and gunicorn, and the oxigraph CLI::

    apt-get install -y wrk
    python3 -m venv /tmp/frontends && /tmp/frontends/bin/pip install granian gunicorn pyoxigraph==0.5.13
    python3 -m venv /tmp/oxcli && /tmp/oxcli/bin/pip install oxigraph==0.5.13
    .venv/bin/python bench/frontends.py --granian-venv /tmp/frontends --oxigraph /tmp/oxcli/bin/oxigraph

(``--competitors-python /tmp/competitors/bin/python`` instead of ``--oxigraph``: the oxigraph beside it, as
``bench/load.py`` takes it.)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

# bench/http.py is named like the standard library's http package: keep this folder off the path.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from tests.live_server import request  # noqa: E402

APP = "bench.frontend_app:wsgi"
ROCKSDB, MEMORY = "oxigraph-rocksdb", "oxigraph-memory"
TIME_LIMIT = 10.0
WARM_UP_SECONDS = 2.0


def configurations(venv: Path, oxigraph: Path, dataset: load.Dataset, rocksdb: Path) -> dict[str, load.ServerSpec]:
    """Every configuration by name, each a command template with ``{port}``."""
    # bench/load.py's baseline as it runs it (serve-read-only on RocksDB; no time limit in the light mix), with this
    # CLI as its program (server_specs takes the oxigraph beside competitors_python: this one, whatever its name)
    baseline = next(spec for spec in load.server_specs(dataset, competitors_python=oxigraph, oxigraph_dir=rocksdb,
                                                       time_limit=TIME_LIMIT, explosive=False)
                    if spec.name == "oxigraph serve")
    app_env = {"PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "FRONTEND_DATA": str(dataset.path)}

    def gunicorn(workers: int, threads: int) -> list[str]:
        return [str(venv / "bin" / "gunicorn"), "-k", "gthread", "-w", str(workers), "--threads", str(threads),
                "-b", "127.0.0.1:{port}", "--log-level", "warning", APP]

    def granian(workers: int, threads: int, query_processes: int = 0) -> load.ServerSpec:
        name = f"granian-{workers}x{threads}" + (f"+{query_processes}proc" if query_processes else "")
        command = [str(venv / "bin" / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", "{port}",
                   "--workers", str(workers), "--blocking-threads", str(threads), "--no-ws", "--log-level", "warning",
                   APP]
        return load.ServerSpec(name, "/sparql", command, {**app_env, "FRONTEND_QUERY_PROCESSES": str(query_processes)})

    specs = [
        dataclasses.replace(baseline, name=ROCKSDB, command=[str(oxigraph), *baseline.command[1:]]),
        load.ServerSpec(MEMORY, "/query", [str(oxigraph), "serve", "--bind", "127.0.0.1:{port}"]),
        load.ServerSpec("gunicorn-1x8", "/sparql", gunicorn(1, 8), app_env),
        load.ServerSpec("gunicorn-2x1", "/sparql", gunicorn(2, 1), app_env),
        granian(1, 1),
        granian(2, 1),
        granian(1, 2, query_processes=2),
        granian(2, 1, query_processes=1),
    ]
    return {spec.name: spec for spec in specs}


def measure(spec: load.ServerSpec, plan: load.Plan, dataset: load.Dataset, scratch: Path) -> load.Cell:
    """One cell: start ``spec`` (the in-memory oxigraph then gets the triples over HTTP), warm it up, send ``plan``."""
    with load.running(spec, scratch) as server:
        if spec.name == MEMORY:
            reply = request(server.port, "POST", "/store?default", dataset.path.read_bytes(),
                            {"Content-Type": "application/n-triples"}, timeout=300)
            if reply.status // 100 != 2:
                raise RuntimeError(f"{MEMORY} refused the triples: {reply.status} {reply.text}")
        warm_up = load.Plan(2, "light", "repeated", plan.light, WARM_UP_SECONDS, TIME_LIMIT)
        load.run_cell(server, load.send_with_wrk, warm_up, scratch)
        return load.run_cell(server, load.send_with_wrk, plan, scratch)


#: The table's columns of medians: header, decimals, value of one cell.
COLUMNS: list[tuple[str, int, Callable[[load.Cell], float]]] = [
    ("req/s", 0, lambda c: c.rate),
    ("p50 ms", 2, lambda c: c.percentile(0.5)),
    ("p99 ms", 2, lambda c: c.percentile(0.99)),
    ("CPU ms/req", 3, lambda c: c.cpu_ms_per_light_request),
    ("server cores", 2, lambda c: c.cores(c.server_cpu_seconds)),
    ("busiest proc", 2, lambda c: c.cores(c.busiest_process_cpu_seconds)),
    ("gen cores", 2, lambda c: c.cores(c.generator_cpu_seconds)),
    ("gen ms/req", 3, lambda c: 1000 * c.generator_cpu_seconds / max(1, len(c.light_latencies))),
]
#: The ratio columns: this configuration over a baseline in the same round, of the rate and of the CPU per request.
RATIOS: list[tuple[str, str, Callable[[load.Cell], float]]] = [
    (f"{kind}/{baseline.split('-')[1]}", baseline, value)
    for baseline in (ROCKSDB, MEMORY)
    for kind, value in (("rate", lambda c: c.rate), ("CPU", lambda c: c.cpu_ms_per_light_request))
]


def print_table(cells: list[load.Cell], names: list[str]) -> None:
    """Per configuration: the medians of its rounds, its errors summed, and the median of its same-round ratios."""
    headers = [header for header, _, _ in COLUMNS] + [header for header, _, _ in RATIOS]
    print(f"\n{'configuration':<18} {'rounds':>6} {'errors':>6} " + " ".join(f"{h:>7}" for h in headers))
    by_round = {name: {c.round: c for c in cells if c.server == name} for name in (ROCKSDB, MEMORY)}
    for name in names:
        rounds = [c for c in cells if c.server == name]
        figures = [f"{load.median([value(c) for c in rounds]):>{max(7, len(header))}.{decimals}f}"
                   for header, decimals, value in COLUMNS]
        for header, baseline, value in RATIOS:
            ratios = [value(c) / value(by_round[baseline][c.round]) for c in rounds if c.round in by_round[baseline]]
            figures.append(f"{load.median(ratios):>{max(7, len(header))}.2f}")
        print(f"{name:<18} {len(rounds):>6} {sum(c.error_count for c in rounds):>6} " + " ".join(figures))
    print("req/s, p50, p99, CPU ms/req: of light requests answered 2xx; errors: non-2xx and socket errors; server "
          "cores: its whole session; busiest proc: its busiest process alone; gen: wrk's own CPU; rate/… and CPU/…: "
          "over that oxigraph baseline in the same round")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--granian-venv", type=Path, required=True, help="a venv with granian, gunicorn and pyoxigraph")
    oxigraph = parser.add_mutually_exclusive_group(required=True)
    oxigraph.add_argument("--oxigraph", type=Path, help="the oxigraph CLI (pip install oxigraph, in another venv)")
    oxigraph.add_argument("--competitors-python", type=Path,
                          help="the Python of an environment with the oxigraph CLI (as bench/load.py takes it)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every configuration (default 3)")
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of each cell (default 15; whole seconds)")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections (default 8)")
    parser.add_argument("--configs", nargs="+", help="names of the configurations to run, as the table gives them "
                                                     "(default all; the two oxigraph baselines always run)")
    arguments = parser.parse_args()
    venv = arguments.granian_venv.absolute()
    oxigraph_cli = (arguments.oxigraph or arguments.competitors_python.parent / "oxigraph").absolute()
    missing = [str(path) for path in (venv / "bin" / "granian", venv / "bin" / "gunicorn", oxigraph_cli)
               if not path.exists()]
    if missing:
        sys.exit(f"missing: {', '.join(missing)} (see how to install them: {Path(__file__).name} --help)")
    if shutil.which("wrk") is None:
        sys.exit(load.WRK_MISSING)

    with tempfile.TemporaryDirectory(prefix="kg-frontends-") as scratch:
        directory = Path(scratch)
        dataset = load.dump_served_triples(directory)
        rocksdb = directory / "oxigraph"
        table = configurations(venv, oxigraph_cli, dataset, rocksdb)
        unknown = set(arguments.configs or []) - set(table)
        if unknown:
            sys.exit(f"unknown configurations: {', '.join(sorted(unknown))}; known: {', '.join(table)}")
        names = [name for name in table if name in (ROCKSDB, MEMORY) or name in (arguments.configs or table)]
        subprocess.run([str(oxigraph_cli), "load", "--location", str(rocksdb), "--file", str(dataset.path)],
                       check=True, capture_output=True)
        light = load.light_mix(dataset.subject, dataset.klass, dataset.predicate)
        plan = load.Plan(arguments.concurrency, "light", "unique", light, arguments.seconds, TIME_LIMIT)
        print(f"data: {dataset.triples:,} triples (what kg serve answers from, closure included)")
        print(f"light mix, unique texts, c{arguments.concurrency}, {arguments.seconds:g} s per cell after a "
              f"{WARM_UP_SECONDS:g} s warm-up, a fresh server per cell; {arguments.rounds} round(s); "
              f"logs in {directory}")
        cells: list[load.Cell] = []
        for number in range(1, arguments.rounds + 1):
            print(f"round {number}: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
            for name in random.sample(names, len(names)):
                cell = measure(table[name], plan, dataset, directory)
                cell.round = number
                cells.append(cell)
                print(load.progress(cell), flush=True)
        print_table(cells, names)
    print(f"\ncommand: {' '.join(sys.argv)}")


if __name__ == "__main__":
    main()
