"""Writes survive ``kill -9``: a real ``kg serve`` on ``oxigraph:PATH``, killed with its process group right after writes."""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.parse
from pathlib import Path

from tests.conftest import FIXTURES
from tests.live_server import LiveServer, live_server

TOKEN = "durability-token"
EX = "http://example.org/family#"


def _env(store: Path) -> dict[str, str]:
    return {"KG_STORE": f"oxigraph:{store}", "KG_WRITE_TOKEN": TOKEN}


def _update(server: LiveServer, text: str) -> int:
    return server.request("POST", "/sparql", body=text, timeout=30,
                          headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}).status


def _ask(server: LiveServer, text: str, reasoning: str = "owlrl") -> bool:
    query = urllib.parse.urlencode({"query": text, "reasoning": reasoning})
    reply = server.request("GET", f"/sparql?{query}", headers={"Accept": "text/csv"})
    assert reply.status == 200, reply.text
    return reply.text.strip().splitlines()[-1] == "true"


def _kill_group(server: LiveServer) -> None:
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(10)


def test_an_acknowledged_update_survives_kill_9_with_its_inferences(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with live_server(tmp_path, FIXTURES / "family.ttl", env=_env(store)) as server:
        assert _update(server, f"INSERT DATA {{ <{EX}eve> <{EX}hasChild> <{EX}fay> }}") == 200
        _kill_group(server)
    with live_server(tmp_path, FIXTURES / "family.ttl", env=_env(store)) as server:
        assert _ask(server, f"ASK {{ <{EX}eve> <{EX}hasChild> <{EX}fay> }}", "none")
        assert _ask(server, f"ASK {{ <{EX}fay> <{EX}hasParent> <{EX}eve> . <{EX}eve> a <https://schema.org/Person> }}")
        log = server.log()
    assert "sources unchanged" in log and "loaded " not in log, log


def test_no_acknowledged_write_is_lost_when_killed_during_concurrent_writes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    acknowledged: list[int] = []
    lock = threading.Lock()
    with live_server(tmp_path, FIXTURES / "family.ttl", env=_env(store)) as server:
        def writer(first: int) -> None:
            for number in range(first, first + 1000):
                try:
                    status = _update(server, f"INSERT DATA {{ <{EX}w{number}> <{EX}hasChild> <{EX}c{number}> }}")
                except OSError:
                    return  # the server is gone
                if status == 200:
                    with lock:
                        acknowledged.append(number)

        threads = [threading.Thread(target=writer, args=(start,)) for start in (0, 10_000, 20_000, 30_000)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        _kill_group(server)
        for thread in threads:
            thread.join(30)
    assert len(acknowledged) >= 40
    with live_server(tmp_path, FIXTURES / "family.ttl", env=_env(store)) as server:
        values = " ".join(f"<{EX}w{n}>" for n in acknowledged)
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?p {{ {values} }} ?p <{EX}hasChild> ?c }}"
        reply = server.request("POST", "/sparql", body=urllib.parse.urlencode({"query": query, "reasoning": "none"}),
                               headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"})
        assert reply.status == 200, reply.text
        assert int(reply.text.strip().splitlines()[-1]) == len(acknowledged)
        # and the closure of what was kept is whole: every kept child has its parent by the inverse property
        assert not _ask(server, f"ASK {{ ?p <{EX}hasChild> ?c FILTER NOT EXISTS {{ ?c <{EX}hasParent> ?p }} }}")
