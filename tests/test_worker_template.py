"""The worker template over the in-memory store: the first one is forked from the server's process (it shares the
loaded dataset instead of reading a copy) and keeps none of the server's sockets; one that dies is replaced by a
template loading a snapshot, with every change committed before and after."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pyoxigraph as ox

from kg.dataset import open_dataset
from kg.evaluation.job import QueryJob
from kg.evaluation.pool import WorkerPool
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import FIXTURES
from tests.live_server import _children, _descendants, alive, live_server, process_stats

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PERSON = ox.NamedNode("http://example.org/family#Person")


def templates() -> dict[int, int]:
    """pid → parent pid of every running worker template."""
    found = {}
    for pid, fields in process_stats():
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name == "kg-template" and fields[0] != "Z":
            found[pid] = int(fields[1])
    return found


def count(pool: WorkerPool) -> int:
    outcome = pool.evaluate(QueryJob(COUNT))
    assert outcome.ok, outcome.message
    return int(json.loads(outcome.body)["results"]["bindings"][0]["n"]["value"])


def newcomer(number: int) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"http://example.org/newcomer{number}"), RDF_TYPE, PERSON, ox.DefaultGraph())


def test_a_template_that_dies_is_replaced_from_a_snapshot_holding_every_change() -> None:
    before = set(templates())
    settings = Settings(workers=1, max_workers=1)
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    pool = WorkerPool(graph, settings)
    try:
        first = {pid: parent for pid, parent in templates().items() if pid not in before}
        assert len(first) == 1  # forked from this process if it runs one thread (pytest may run others)
        start = count(pool)
        graph.apply_changes([newcomer(1)], [])
        assert count(pool) == start + 2  # the triple, and its class's superclass
        doomed = [pid for pid, fields in process_stats() if int(fields[1]) in first] + list(first)
        os.kill(next(iter(first)), signal.SIGKILL)  # its worker goes with it (PR_SET_PDEATHSIG)
        while any(alive(pid) for pid in doomed):
            time.sleep(0.01)
        graph.apply_changes([newcomer(2)], [])
        deadline = time.monotonic() + 30
        answered = None
        while time.monotonic() < deadline:
            outcome = pool.evaluate(QueryJob(COUNT))
            if outcome.ok:
                answered = int(json.loads(outcome.body)["results"]["bindings"][0]["n"]["value"])
                break
            time.sleep(0.1)  # the dead worker's query is answered 400 (it crashed); the next one gets a new worker
        assert answered == start + 4
        second = {pid: parent for pid, parent in templates().items() if pid not in before}
        assert len(second) == 1 and set(second) != set(first) and os.getpid() not in second.values()
        graph.apply_changes([], [newcomer(1), newcomer(2)])
        assert count(pool) == start
    finally:
        pool.close()


def listening_inodes(port: int) -> set[str]:
    """Inodes of the sockets listening on 127.0.0.1:``port`` (``/proc/net/tcp``)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
            found.add(fields[9])
    return found


def test_a_forked_template_keeps_none_of_the_servers_sockets(tmp_path: Path) -> None:
    data = tmp_path / "small.nt"
    data.write_text('<http://example.org/s> <http://example.org/p> "o" .\n')
    with live_server(tmp_path, data, workers=1, env={"KG_STORE": "memory"}) as server:
        assert "forked from this process" in server.log()
        ours = _descendants(server.process.pid, _children())
        forked = [pid for pid in templates() if pid in ours]
        listening = {f"socket:[{inode}]" for inode in listening_inodes(server.port)}
        assert len(forked) == 1 and listening
        held = {os.readlink(f"/proc/{forked[0]}/fd/{fd}") for fd in os.listdir(f"/proc/{forked[0]}/fd")}
        assert any(link.startswith("socket:") for link in held)  # its pipe to the server
        assert not listening & held

