"""Real server processes on 127.0.0.1, for the tests and the benchmarks: ``kg serve`` (:func:`live_server`) or any
other HTTP server (:func:`server_process`), each in a clean environment and its own session, stopped with all it started.

The benchmarks import this module too (``from tests.live_server import ...``, with the repository root on ``sys.path``).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

STARTUP_SECONDS = 120
STOP_SECONDS = 15
BASE_URI = "http://localhost:8000/"
#: What a server gets from this process's environment (and ``LC_*``); everything else, every ``KG_*`` above all, it
#: gets only if the caller passes it.
BASIC_VARIABLES = frozenset({"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR"})


class ServerFailed(RuntimeError):
    """A server exited or did not answer in time; the message ends with its log."""


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
    """A running ``kg serve``: its endpoint URL, process, log and the base IRI it serves (``KG_BASE_URI``)."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    base_uri: str

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    def log(self) -> str:
        return _read(self.log_path)

    def log_holding(self, text: str, timeout: float = 5.0) -> str:
        """The log once it holds ``text`` (the server writes an information line up to 0.1 s late), or as it is
        after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while text not in (log := self.log()) and time.monotonic() < deadline:
            time.sleep(0.02)
        return log

    def request(self, method: str, path: str = "/sparql", body: bytes | str | None = None,
                headers: Mapping[str, str] | None = None, timeout: float = 60) -> Reply:
        """Send one raw HTTP request (nothing added but Host and Content-Length)."""
        return request(self.port, method, path, body, headers, timeout)

    def send_raw(self, data: bytes, timeout: float = 10, finish: bool = True) -> bytes:
        """Write ``data`` as is on a new connection (half-closed after it if ``finish``) and return the first bytes of
        the answer; empty if the server closed or reset the connection or said nothing within ``timeout``."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as connection:
            try:
                connection.sendall(data)
                if finish:
                    connection.shutdown(socket.SHUT_WR)
                return connection.recv(65536)
            except OSError:  # timed out, or the server closed the connection (reset, broken pipe, not connected)
                return b""

    def pss_mb(self) -> tuple[float, int]:
        """The PSS of every process of the server (its session) summed, in MB, and how many there are."""
        return session_pss_mb(self.process.pid)

    def worker_count(self) -> int:
        """Query worker processes alive now (named ``kg-query-worker`` by the worker template that forked them)."""
        return sum(_comm(pid) == "kg-query-worker" for pid in _descendants(self.process.pid, _children()))


def request(port: int, method: str, path: str, body: bytes | str | None = None,
            headers: Mapping[str, str] | None = None, timeout: float = 60) -> Reply:
    """One raw HTTP request to 127.0.0.1:``port`` on a new connection (nothing added but Host and Content-Length)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=dict(headers or {}))
        answer = connection.getresponse()
        return Reply(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
    finally:
        connection.close()


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The basics of this process's environment (:data:`BASIC_VARIABLES`, ``LC_*``), then ``env``."""
    basics = {name: value for name, value in os.environ.items() if name in BASIC_VARIABLES or name.startswith("LC_")}
    return {**basics, **(env or {})}


@contextmanager
def server_process(name: str, command: Sequence[str], port: int, ready_path: str, log_path: Path,
                   env: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
                   cwd: Path | None = None, timeout: float = STARTUP_SECONDS,
                   stop_seconds: float = STOP_SECONDS) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own session with :func:`clean_environment` of ``env``, its output in ``log_path``; yield
    it once ``GET ready_path`` on ``port`` answers 200 (:class:`ServerFailed` if it exits first or ``timeout`` passes),
    then :func:`stop` it."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT, env=clean_environment(env),
                                   cwd=cwd, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise ServerFailed(f"{name} exited with {process.returncode}; {log_path}:\n{_read(log_path)}")
            if _answers(port, ready_path, headers):
                break
            if time.monotonic() > deadline:
                raise ServerFailed(f"{name} did not answer within {timeout:g} s; {log_path}:\n{_read(log_path)}")
            time.sleep(0.1)
        yield process
    finally:
        stop(process, stop_seconds)


def stop(process: subprocess.Popen[bytes], seconds: float = STOP_SECONDS) -> None:
    """SIGTERM ``process`` if it still runs; after it ends or ``seconds`` pass, SIGKILL its whole session (what it
    started: for ``kg serve``, the worker template and query workers, and a forkserver), and reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(seconds)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def live_server(log_dir: Path, *data: Path, env: Mapping[str, str] | None = None, workers: int = 2,
                port: int | None = None, timeout: float = STARTUP_SECONDS) -> Iterator[LiveServer]:
    """Start ``kg serve --data ...`` on ``port`` (default: a free one), logging to ``log_dir/kg-serve-PORT.log``, with
    ``KG_BASE_URI`` :data:`BASE_URI` and ``env`` (no other ``KG_*``); yield it once ``GET <base path>sparql`` answers 200."""
    port = port or free_port()
    environment = {"KG_BASE_URI": BASE_URI, **(env or {})}
    command = [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", str(workers)]
    for path in data:
        command += ["--data", str(path)]
    log_path = log_dir / f"kg-serve-{port}.log"
    endpoint = urlsplit(environment["KG_BASE_URI"]).path + "sparql"  # the server answers under its base IRI's path
    with server_process("kg serve", command, port, endpoint, log_path, env=environment, timeout=timeout) as process:
        yield LiveServer(f"http://127.0.0.1:{port}{endpoint}", process, log_path, environment["KG_BASE_URI"])


def _answers(port: int, path: str, headers: Mapping[str, str] | None) -> bool:
    try:
        return request(port, "GET", path, headers=headers, timeout=5).status == 200
    except (OSError, http.client.HTTPException):
        return False


def _read(log_path: Path) -> str:
    return log_path.read_text(errors="replace")


def process_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, …) of each process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            yield int(entry.name), (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile


def session_pss_mb(session: int) -> tuple[float, int]:
    """The PSS (``/proc/PID/smaps_rollup``: shared pages divided among the processes sharing them) of every process
    of ``session`` summed, in MB, and how many processes there are."""
    total, count = 0, 0
    for pid, fields in process_stats():
        if int(fields[3]) != session or fields[0] == "Z":
            continue
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        count += 1
        total += sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total / 1024, count


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


def alive(pid: int) -> bool:
    """True while process ``pid`` runs (neither gone nor a zombie)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
