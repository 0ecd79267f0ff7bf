"""A real Virtuoso for the tests and benchmarks: the one ``.ci/run`` started, or a throwaway one started here.

``.ci/run`` starts Virtuoso and exports ``VIRTUOSO_SPARQL_URL`` (queries) and
``VIRTUOSO_UPDATE_URL`` (updates, with the dba credentials).  Without them,
:func:`virtuoso` starts its own from Debian's ``virtuoso-t`` if installed (the
same configuration, ``.ci/virtuoso.ini.in``), in a temporary directory, on free
ports, and stops it after.  Outside CI, tests skip when neither is possible.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent
CONFIG_TEMPLATE = ROOT / ".ci" / "virtuoso.ini.in"
STARTUP_SECONDS = 120


class VirtuosoMissing(RuntimeError):
    """No Virtuoso was started for us and ``virtuoso-t`` is not installed."""


@dataclass(frozen=True)
class Virtuoso:
    """Where a running Virtuoso answers."""

    query_url: str
    update_url: str

    def store_setting(self) -> str:
        """The ``KG_STORE`` value for it."""
        return f"sparql:{self.query_url};{self.update_url}"


@contextmanager
def virtuoso() -> Iterator[Virtuoso]:
    """The Virtuoso exported by ``.ci/run``, or one started (and stopped) here."""
    query_url, update_url = os.environ.get("VIRTUOSO_SPARQL_URL"), os.environ.get("VIRTUOSO_UPDATE_URL")
    if query_url and update_url:
        yield Virtuoso(query_url, update_url)
        return
    binary = shutil.which("virtuoso-t")
    if binary is None:
        raise VirtuosoMissing("no Virtuoso: set VIRTUOSO_SPARQL_URL/VIRTUOSO_UPDATE_URL or install virtuoso-opensource")
    with _throwaway(binary) as server:
        yield server


@contextmanager
def _throwaway(binary: str) -> Iterator[Virtuoso]:
    directory = Path(tempfile.mkdtemp(prefix="kg-virtuoso-"))
    http_port, sql_port = free_port(), free_port()
    config = CONFIG_TEMPLATE.read_text().replace("@DIR@", str(directory))
    config = config.replace("@SQL_PORT@", str(sql_port)).replace("@HTTP_PORT@", str(http_port))
    (directory / "virtuoso.ini").write_text(config)
    with (directory / "stdout.log").open("wb") as log:
        process = subprocess.Popen([binary, "+foreground", "+configfile", str(directory / "virtuoso.ini")],
                                   cwd=directory, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Virtuoso(f"http://127.0.0.1:{http_port}/sparql", f"http://dba:dba@127.0.0.1:{http_port}/sparql-auth")
    try:
        wait_until_ready(server.query_url, process)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def wait_until_ready(query_url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    """Return once ``query_url`` answers an ASK (Virtuoso creates its database on first start: a few seconds)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{query_url}?query=ASK%7B%7D", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"Virtuoso did not answer at {query_url} within {STARTUP_SECONDS} s")
        time.sleep(0.25)
