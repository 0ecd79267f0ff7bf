"""``kg serve`` as a process: what it prints at start-up, its worker processes, and a clean stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import FIXTURES
from tests.live_server import _children, _descendants, clean_environment, live_server


def test_startup_reports_where_and_how_long(tmp_path: Path) -> None:
    with live_server(tmp_path, FIXTURES / "family.ttl", workers=3) as server:
        log = server.log()
        assert f"listening on http://127.0.0.1:{server.port}/sparql" in log
        ready = re.search(r"ready in [\d.]+ s \(loading [\d.]+ s, reasoning \(owlrl\) and 3 query workers [\d.]+ s\)",
                          log)
        assert ready, log
        assert "loaded " in log and "family.ttl (16 triples" in log
        assert server.worker_count() == 3
        assert server.request("GET", "/sparql?query=ASK%7B%7D").status == 200


def test_no_kg_variable_of_the_shell_reaches_a_started_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_WRITE_TOKEN", "leak")
    monkeypatch.setenv("KG_STORE", f"oxigraph:{tmp_path / 'leaked-store'}")
    with live_server(tmp_path, FIXTURES / "family.ttl") as server:
        reply = server.request("POST", "/sparql", body="INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                               headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer leak"})
        environment = Path(f"/proc/{server.process.pid}/environ").read_bytes().split(b"\0")
    assert reply.status == 403, reply.text  # no write token configured: updates disabled, not "wrong token"
    assert "no write token" in reply.text
    assert not (tmp_path / "leaked-store").exists()
    assert sorted(entry for entry in environment if entry.startswith(b"KG_")) == [b"KG_BASE_URI=http://localhost:8000/"]


def test_a_server_environment_is_the_basics_and_what_the_caller_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_WRITE_TOKEN", "leak")
    monkeypatch.setenv("SOME_SECRET", "leak")
    environment = clean_environment({"KG_QUERY_TIMEOUT": "5"})
    assert environment["KG_QUERY_TIMEOUT"] == "5" and environment["PATH"] == os.environ["PATH"]
    assert "KG_WRITE_TOKEN" not in environment and "SOME_SECRET" not in environment


def test_sigterm_stops_the_server_and_its_workers(tmp_path: Path) -> None:
    with live_server(tmp_path, FIXTURES / "family.ttl") as server:
        family = _descendants(server.process.pid, _children())
        assert len(family) >= 4  # kg serve, the worker template and two query workers (and a forkserver)
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(20)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() and _alive(pid) for pid in family):
            time.sleep(0.1)
        assert not [pid for pid in family if Path(f"/proc/{pid}").exists() and _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_must_be_at_least_one() -> None:
    done = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--workers", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--workers" in done.stderr


def test_a_second_server_on_a_taken_port_says_so_and_stops(tmp_path: Path) -> None:
    """granian binds with SO_REUSEPORT: without the check, a second server would share the port with the first."""
    with live_server(tmp_path, FIXTURES / "family.ttl") as server:
        done = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--port", str(server.port)], capture_output=True,
                              text=True, timeout=60, env=clean_environment({}))
        assert server.request("GET", "/sparql?query=ASK%7B%7D").status == 200
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {server.port}: Address already in use" in done.stderr


def test_a_host_name_is_resolved_to_listen_on(tmp_path: Path) -> None:
    with live_server(tmp_path, FIXTURES / "family.ttl", env={"KG_HOST": "localhost"}) as server:
        assert server.request("GET", "/sparql?query=ASK%7B%7D").status == 200


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_the_query_workers_leave_the_first_cpu_to_the_http_process(tmp_path: Path) -> None:
    first, *others = sorted(os.sched_getaffinity(0))
    with live_server(tmp_path, FIXTURES / "family.ttl") as server:
        assert server.request("GET", "/sparql?query=ASK%7B%7D").status == 200
        workers = [pid for pid in _descendants(server.process.pid, _children())
                   if Path(f"/proc/{pid}/comm").read_text().strip() in ("kg-template", "kg-query-worker")]
        assert len(workers) >= 3  # the template and two workers
        assert all(os.sched_getaffinity(pid) == set(others) for pid in workers)
        assert os.sched_getaffinity(server.process.pid) == {first, *others}
    with live_server(tmp_path, FIXTURES / "family.ttl", env={"KG_SPLIT_CPUS": "false"}) as server:
        assert server.request("GET", "/sparql?query=ASK%7B%7D").status == 200
        workers = [pid for pid in _descendants(server.process.pid, _children()) if pid != server.process.pid]
        assert workers and all(os.sched_getaffinity(pid) == {first, *others} for pid in workers)


def test_a_query_stopped_at_the_time_limit_is_evaluated_once(tmp_path: Path) -> None:
    """The RSGI front evaluates it and hands the refusal to the app, which must not evaluate it again."""
    explosive = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r . ?s ?t ?u }"
    with live_server(tmp_path, FIXTURES / "family.ttl", env={"KG_QUERY_TIMEOUT": "1"}) as server:
        started = time.monotonic()
        reply = server.request("GET", "/sparql?reasoning=none&query=" + quote(explosive))
        elapsed = time.monotonic() - started
        time.sleep(0.2)
        log = server.log()
    assert reply.status == 503 and "1 s time limit" in reply.text
    assert elapsed < 1.8, elapsed
    assert log.count("stopped after the 1 s time limit") == 1, log
