"""The change log and the data agree after ``kill -9`` during concurrent writes: no entry without its change,
no change without its entry, no acknowledged write lost, no multi-step change half applied."""

from __future__ import annotations

import threading
import time
import urllib.parse
from pathlib import Path

from tests.conftest import BASE, FIXTURES
from tests.live_server import LiveServer, live_server
from tests.test_durability import EX, TOKEN, _env, _kill_group, _update

LOGGED = f"""
SELECT DISTINCT ?p ?c ?g WHERE {{ GRAPH <{BASE}graph/changes> {{
  ?entry <{BASE}ontology#added> ?st . ?st <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> ?p ;
      <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> <{EX}hasChild> ;
      <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> ?c ; <{BASE}ontology#graph> ?g }} }}
"""
STORED = (f"SELECT DISTINCT ?p ?c ?g WHERE {{ {{ GRAPH ?g {{ ?p <{EX}hasChild> ?c }} }} UNION "
          f"{{ ?p <{EX}hasChild> ?c BIND(<{BASE}graph/asserted> AS ?g) }} FILTER(STRSTARTS(STR(?p), '{EX}w')) }}")


def _rows(server: LiveServer, query: str) -> set[tuple[str, str, str]]:
    reply = server.request("POST", "/sparql", body=urllib.parse.urlencode({"query": query, "reasoning": "none"}),
                           headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv"})
    assert reply.status == 200, reply.text
    return {tuple(line.split(",")[:3]) for line in reply.text.strip().splitlines()[1:]}  # type: ignore[misc]


def _post_graph(server: LiveServer, number: int) -> int:
    body = f"<{EX}w{number}> <{EX}hasChild> <{EX}c{number}> .\n<{EX}w{number}> <{EX}hasChild> <{EX}d{number}> ."
    graph = urllib.parse.quote(f"{EX}g{number}")
    return server.request("POST", f"/store?graph={graph}", body=body, timeout=30, headers={
        "Content-Type": "application/n-triples", "Authorization": f"Bearer {TOKEN}"}).status


def _round(server: LiveServer, first: int, acknowledged: list[int]) -> None:
    lock = threading.Lock()
    start = len(acknowledged)

    def writer(begin: int) -> None:
        for number in range(begin, begin + 1000):
            try:
                if number % 2:  # two operations: two steps of one transaction
                    status = _update(server, f"INSERT DATA {{ <{EX}w{number}> <{EX}hasChild> <{EX}c{number}> }} ;\n"
                                             f"INSERT DATA {{ <{EX}w{number}> <{EX}hasChild> <{EX}d{number}> }}")
                else:
                    status = _post_graph(server, number)
            except OSError:
                return  # the server is gone
            if status in (200, 201):
                with lock:
                    acknowledged.append(number)

    threads = [threading.Thread(target=writer, args=(first + offset,)) for offset in (0, 10_000, 20_000)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) - start < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    _kill_group(server)
    for thread in threads:
        thread.join(30)


def test_the_log_and_the_data_agree_after_kill_9_rounds(tmp_path: Path) -> None:
    store = tmp_path / "store"
    acknowledged: list[int] = []
    for round_number in range(2):
        with live_server(tmp_path, FIXTURES / "family.ttl", env=_env(store)) as server:
            _round(server, round_number * 100_000, acknowledged)
    with live_server(tmp_path, FIXTURES / "family.ttl", env=_env(store)) as server:
        stored, logged = _rows(server, STORED), _rows(server, LOGGED)
    assert len(acknowledged) >= 60
    assert stored == logged  # 0 entries without their change, 0 changes without their entry
    writers = {p for p, _, _ in stored}
    assert {f"{EX}w{n}" for n in acknowledged} <= writers  # 0 acknowledged writes lost
    for p in writers:  # every change whole: both its triples or neither
        number = p.removeprefix(f"{EX}w")
        assert {(p, f"{EX}c{number}"), (p, f"{EX}d{number}")} <= {(s, c) for s, c, _ in stored}
