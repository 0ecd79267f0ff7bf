"""The log output of ``kg serve``: one line per record, written in batches rather than one system call per line.

``sys.stderr`` is line-buffered, so the request log cost each answered request a ``write`` call (and, on the
server's event loop, a release of the GIL to granian's thread).  :class:`BatchingHandler` writes into a buffer
that a thread of its own flushes :data:`FLUSH_AFTER` seconds after the first line it holds, or at once for a
warning or an error, and when logging shuts down.  A reader of the log sees each line at most that late.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import TextIO

#: Seconds a line may wait in the buffer before it is written.
FLUSH_AFTER = 0.1
#: Bytes the buffer holds before it is written whatever the time.
BUFFER_BYTES = 64 * 1024


class BatchingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler over ``stream``'s file descriptor that writes its lines in batches (see the module)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(_buffered(stream))
        self._waiting = False  # a line is in the buffer and the flushing thread has been woken for it
        self._wake = threading.Event()
        self._closed = False
        self._flusher: threading.Thread | None = None  # started with the first line it flushes, not before: a
        # process that forks a long-lived child must not run threads yet (see kg.evaluation.processes.single_threaded)
        self._batching = True
        handler = weakref.ref(self)  # the hooks stay registered for the process's life; the handler need not
        os.register_at_fork(before=lambda: _if_alive(handler, BatchingHandler.flush),
                            after_in_child=lambda: _if_alive(handler, BatchingHandler._write_through))

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record``'s line; flush it now if it is a warning or worse, else soon."""
        try:
            self.stream.write(self.format(record) + self.terminator)
        except RecursionError:
            raise
        except Exception:  # as logging.StreamHandler does: the handler reports it, the caller goes on
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING or not self._batching:
            self.flush()
        elif not self._waiting:
            self._waiting = True
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_when_woken, name="kg-log-flush", daemon=True)
                self._flusher.start()
            self._wake.set()

    def flush(self) -> None:
        """Write what the buffer holds (the flushing thread waits for the next line)."""
        with self.lock:  # type: ignore[union-attr]
            self._waiting = False
            self._wake.clear()
            super().flush()

    def close(self) -> None:
        """Flush, and stop the flushing thread; a line logged through the handler after this is written at once
        (``logging.config.dictConfig`` closes the handlers it replaces, and a logger may still hold this one)."""
        self._batching = False
        self.flush()
        self._closed = True
        self._wake.set()
        super().close()

    def _write_through(self) -> None:
        """In a forked child, which has no flushing thread: flush every line."""
        self._batching = False
        self._flusher = None

    def _flush_when_woken(self) -> None:
        while True:
            self._wake.wait()
            if self._closed:
                return
            time.sleep(FLUSH_AFTER)  # the lines logged meanwhile go in the same write
            self.flush()


def _if_alive(handler: weakref.ref[BatchingHandler], method: Callable[[BatchingHandler], None]) -> None:
    alive = handler()
    if alive is not None:
        method(alive)


def _buffered(stream: TextIO) -> TextIO:
    """A block-buffered text stream writing to ``stream``'s file descriptor (``stream`` itself if it has none)."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
        return stream
    return io.open(descriptor, "w", buffering=BUFFER_BYTES, encoding=getattr(stream, "encoding", None) or "utf-8",
                   errors="backslashreplace", closefd=False)
