"""``kg serve`` as a real process on 127.0.0.1, for tests that talk to it the way clients do."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

STARTUP_SECONDS = 120


@dataclass
class Reply:
    """An HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class LiveServer:
    """A running ``kg serve``: its endpoint URL, process and log."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(self, method: str, path: str = "/sparql", body: bytes | str | None = None,
                headers: Mapping[str, str] | None = None, timeout: float = 60) -> Reply:
        """Send one raw HTTP request (nothing added but Host and Content-Length)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=dict(headers or {}))
            answer = connection.getresponse()
            return Reply(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
        finally:
            connection.close()

    def send_raw(self, data: bytes, timeout: float = 10, finish: bool = True) -> bytes:
        """Write ``data`` as is on a new connection (half-closed after it if ``finish``) and return the first bytes of
        the answer; empty if the server closed or reset the connection or said nothing within ``timeout``."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as connection:
            try:
                connection.sendall(data)
                if finish:
                    connection.shutdown(socket.SHUT_WR)
                return connection.recv(65536)
            except (TimeoutError, ConnectionResetError, BrokenPipeError):
                return b""

    def worker_count(self) -> int:
        """Query worker processes alive now: those forked by the worker template, the forkserver's child."""
        children = _children()
        forkservers = {pid for pid in _descendants(self.process.pid, children) if b"forkserver" in _cmdline(pid)}
        templates = [pid for pid in forkservers if _parent(pid) in forkservers]
        return sum(len(children.get(pid, [])) for pid in templates if _parent(pid) not in templates)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(tmp_path: Path, *data: Path, env: Mapping[str, str] | None = None, workers: int = 2) -> Iterator[LiveServer]:
    """Start ``kg serve --data ...`` on a free port, wait until it answers, stop it (and its workers) after."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    environment.update({"KG_BASE_URI": "http://localhost:8000/", **(env or {})})
    log_path = tmp_path / f"kg-serve-{port}.log"
    arguments = [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", str(workers)]
    for path in data:
        arguments += ["--data", str(path)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}/sparql", process, log_path)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"kg serve exited with {process.returncode}:\n{server.log()}")
            try:
                if server.request("GET", "/sparql", timeout=5).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"kg serve did not answer within {STARTUP_SECONDS} s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                process.wait(15)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the session we started: gunicorn, its worker, forkserver, query workers
        process.wait()


def process_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, …) of each process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            yield int(entry.name), (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for pid, fields in process_stats():
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(pid)
    return children


def _descendants(pid: int, children: dict[int, list[int]]) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack += children.get(current, [])
    return found


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
