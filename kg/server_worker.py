"""The HTTP worker of ``kg serve``: gunicorn's threaded worker, made to give up on clients too slow to talk to.

gunicorn's ``gthread`` worker reads a request in one of its threads, blocking,
as soon as the first bytes arrive, and waits without limit for the rest: 40
connections that sent half a header and then nothing (slowloris) held all 32
threads, and the server answered nobody, for good.  Here:

* the head of a request (request line and headers) is gathered by the worker's
  event loop, which holds any number of waiting connections at the cost of a
  socket each; only a complete head is handed to a thread, and a client that
  has not sent one within :data:`HEAD_SECONDS` is disconnected;
* each client connection is a :class:`PatientSocket`: the body must arrive
  within :data:`REQUEST_SECONDS` of the thread starting on the request, and a
  write of the answer may wait at most :data:`WRITE_SECONDS` for the client to
  read it; past that the connection is closed as if the client had reset it.

So a slow client holds a thread for a bounded time at most, and one that
trickles its headers holds none.

A thread that answered a kept-alive client waits :data:`NEXT_HEAD_SECONDS` for
its next request and answers it at once if its whole head came meanwhile, as
long as there are no more connections than threads: a client that sends
request after request then costs no trip through the event loop (two wake-ups
of its thread, a thread hand-off and poller changes per request).
"""

from __future__ import annotations

import errno
import functools
import io
import select
import selectors
import socket
import time
from collections import deque
from typing import Any

from gunicorn import http
from gunicorn.workers.gthread import ThreadWorker

from kg.web.errors import SlowClient

#: Seconds a client has to send the head of a request (its line and headers), from its connection or previous answer.
HEAD_SECONDS = 10.0
#: Largest request head gathered: past it, gunicorn refuses the request (its line and header limits are lower).
MAX_HEAD_BYTES = 2_000_000
#: Seconds a client has to send the body of a request, from when a thread starts on the request.
REQUEST_SECONDS = 20.0
#: Seconds one write of an answer may wait for a client that does not read it.
WRITE_SECONDS = 60.0
#: Seconds a thread that answered a kept-alive client waits for its next request head (while every connection can
#: have a thread) before handing the connection back to the event loop.
NEXT_HEAD_SECONDS = 0.005


class PatientSocket(socket.socket):
    """A client connection whose blocking reads share one deadline per request and whose writes time out."""

    _blocking = True
    _deadline: float | None = None

    @classmethod
    def adopt(cls, plain: socket.socket) -> PatientSocket:
        """The connection of ``plain`` (which is detached and must not be used any more) as a patient socket."""
        return cls(plain.family, plain.type, plain.proto, fileno=plain.detach())

    def setblocking(self, flag: bool) -> None:
        """gunicorn makes the socket blocking as it starts on a request: that starts the request's deadline."""
        self._blocking = flag
        self._deadline = None
        super().settimeout(WRITE_SECONDS if flag else 0.0)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if not self._blocking:
            return super().recv(bufsize, flags)
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + REQUEST_SECONDS
        try:
            super().settimeout(max(self._deadline - now, 0.001))
            return super().recv(bufsize, flags)
        except TimeoutError:
            raise SlowClient(errno.ECONNRESET, f"the client took more than {REQUEST_SECONDS:g} s to send its request") \
                from None
        finally:
            super().settimeout(WRITE_SECONDS)

    def sendall(self, data: Any, flags: int = 0) -> None:
        try:
            super().sendall(data, flags)
        except TimeoutError:
            raise SlowClient(errno.ECONNRESET, f"the client read nothing for {WRITE_SECONDS:g} s") from None


class PatientThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's ``gthread`` worker that gathers request heads in its event loop and uses :class:`PatientSocket` s."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gathering: deque[Any] = deque()  # connections whose request head is incomplete, oldest first

    def handle(self, conn: Any) -> Any:
        """Answer the request on ``conn``, then the ones after it whose heads come within :data:`NEXT_HEAD_SECONDS`."""
        while True:
            kept = super().handle(conn)
            if kept is not True or not self._next_head_came(conn):
                return kept

    def _next_head_came(self, conn: Any) -> bool:
        """True if the next request head on kept-alive ``conn`` came whole within :data:`NEXT_HEAD_SECONDS` (what did
        come of it stays in the parser's buffer, where the event loop takes it from)."""
        if (not self.alive or conn.is_http2 or self.nr_conns > self.cfg.threads
                or conn.parser.unreader.buf.getvalue()):
            return False
        poll = select.poll()
        poll.register(conn.sock, select.POLLIN)
        if not poll.poll(NEXT_HEAD_SECONDS * 1000):
            return False
        conn.sock.setblocking(False)
        try:
            data = conn.sock.recv(65536)
        except OSError:  # BlockingIOError included: the event loop finds out what became of the connection
            return False
        conn.parser.unreader.unread(data)
        return bool(data) and _ends_head(data)

    def enqueue_req(self, conn: Any) -> None:
        """Hand ``conn`` to a thread once a whole request head has arrived on it; until then, gather it here."""
        if not isinstance(conn.sock, PatientSocket):
            conn.sock = PatientSocket.adopt(conn.sock)
        if self.cfg.is_ssl or getattr(conn, "head_complete", False):
            conn.head_complete = False
            super().enqueue_req(conn)
            return
        conn.gathered = b""
        if conn.parser is not None:  # a kept-alive connection may hold the start of its next request already
            conn.gathered = conn.parser.unreader.buf.getvalue()
            conn.parser.unreader.buf = io.BytesIO()
        if _ends_head(conn.gathered):
            self._hand_over(conn)
            return
        conn.sock.setblocking(False)
        head = self._read_head(conn)  # a kept-alive connection comes from the poller: its next head is usually here
        if head is None:
            conn.gather_until = time.monotonic() + HEAD_SECONDS
            self._gathering.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ, functools.partial(self._on_head_bytes, conn))
        elif head:
            self._hand_over(conn)
        else:
            self._close(conn)

    def _on_head_bytes(self, conn: Any, _sock: Any) -> None:
        head = self._read_head(conn)
        if head is None:
            return
        self._stop_gathering(conn)
        if head:
            self._hand_over(conn)
        else:
            self._close(conn)

    def _read_head(self, conn: Any) -> bool | None:
        """Gather what has arrived of ``conn``'s request head: True once it is whole (or too large: gunicorn refuses
        it), False if the client left, None while more is to come."""
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            data = b""
        if not data:
            return False
        conn.gathered += data
        return True if _ends_head(conn.gathered) or len(conn.gathered) > MAX_HEAD_BYTES else None

    def _hand_over(self, conn: Any) -> None:
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(conn.gathered)
        conn.gathered = b""
        conn.data_ready = True
        conn.head_complete = True
        self.enqueue_req(conn)

    def _stop_gathering(self, conn: Any) -> None:
        self._gathering.remove(conn)
        try:
            self.poller.unregister(conn.sock)
        except (OSError, KeyError, ValueError):
            pass

    def _close(self, conn: Any) -> None:
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Also disconnect the clients that did not send a whole request head in time (all of them when stopping)."""
        super().murder_pending()
        now = time.monotonic()
        while self._gathering and (self._gathering[0].gather_until <= now or not self.alive):
            conn = self._gathering[0]
            self._stop_gathering(conn)
            self._close(conn)


def _ends_head(data: bytes) -> bool:
    """True if ``data`` holds the blank line that ends a request head."""
    return b"\r\n\r\n" in data or b"\n\n" in data
