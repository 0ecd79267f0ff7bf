"""Messages on the pipes between the pool and its processes, framed as ``multiprocessing.Connection`` frames them.

A worker and the pool talk over a :class:`Channel`: two pipes, one each way.  A Unix socket pair, what
``multiprocessing.Pipe`` makes, wakes the writer's side on every read (to say there is room again); with the
writer asleep waiting for its next job, each answer read cost the server's process about 5 us more on this
project's 2-CPU virtual machine.  :func:`send` and :func:`receive` work on a ``Channel`` and on a
``multiprocessing.Connection`` (the template's control pipe) alike, and cost less per light query than
``Connection.send`` and ``recv``: :func:`send` pickles without multiprocessing's reducers (our messages hold no
handles), and :func:`receive` reads an answer in one system call when it fits (``recv`` makes two: the header,
then the message).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import struct
from typing import Any, Protocol

_SIZE, _LARGE_SIZE = struct.Struct("!i"), struct.Struct("!Q")
_LARGE = _SIZE.pack(-1)  # the header of a message of 2 GiB or more, whose size follows in 8 bytes
#: Bytes asked for by the first read: a light query's answer, header included, in one system call.  (``os.read``
#: allocates what it asks for: past glibc's 128 KB the buffer is mapped and unmapped on every call.)
_READ = 64 * 1024
#: Bytes a channel's pipe may hold (Linux; what ``/proc/sys/fs/pipe-max-size`` allows, else the default 64 KB):
#: an answer of that size is written in one call, without waiting for the reader.  Pages are taken as it fills.
PIPE_BYTES = 1024 * 1024


class Endpoint(Protocol):
    """What :func:`send` and :func:`receive` need of one end of a channel."""

    def fileno(self) -> int: ...

    def send_bytes(self, data: bytes) -> None: ...

    def recv_bytes(self) -> bytes: ...


class Channel:
    """One end of a two-way channel of framed messages over two pipes: it reads one and writes the other."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._read_fd, self._write_fd = read_fd, write_fd
        self.closed = False

    @staticmethod
    def pipes() -> tuple[int, int, int, int]:
        """Two new pipes as ``(a_reads, a_writes, b_reads, b_writes)`` for the two ends ``a`` and ``b``."""
        to_b_read, to_b_write = os.pipe()
        to_a_read, to_a_write = os.pipe()
        for pipe in (to_a_write, to_b_write):
            try:
                fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            except (OSError, AttributeError):  # past the system's maximum, or not Linux: the default size
                pass
        return to_a_read, to_b_write, to_b_read, to_a_write

    def fileno(self) -> int:
        """The descriptor read from: poll it to know that a message (or the end of the channel) has come."""
        self._check_open()
        return self._read_fd

    def send_bytes(self, data: bytes) -> None:
        """Write ``data`` as one frame (``OSError`` if the other end has closed)."""
        self._check_open()
        header = _SIZE.pack(len(data)) if len(data) <= 0x7FFFFFFF else _LARGE + _LARGE_SIZE.pack(len(data))
        written = os.writev(self._write_fd, (header, data))
        if written < len(header) + len(data):  # a signal handler ran meanwhile
            rest = memoryview(header + data)[written:]
            while rest:
                rest = rest[os.write(self._write_fd, rest):]

    def recv_bytes(self) -> bytes:
        """The next frame's message (``EOFError`` if the other end has closed)."""
        self._check_open()
        data = _exactly(self._read_fd, _SIZE.size)
        if data == _LARGE:
            size = _LARGE_SIZE.unpack(_exactly(self._read_fd, _LARGE_SIZE.size))[0]
        else:
            size = _SIZE.unpack(data)[0]
        return _exactly(self._read_fd, size)

    def _check_open(self) -> None:
        if self.closed:  # its descriptors' numbers may be another file's by now
            raise OSError("the channel is closed")

    def close(self) -> None:
        """Close both pipes' ends (the other end then reads the end of the channel)."""
        if not self.closed:
            self.closed = True
            os.close(self._read_fd)
            os.close(self._write_fd)


def send(connection: Endpoint, message: object) -> None:
    """Send ``message`` down ``connection``."""
    connection.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


def receive(connection: Endpoint, exact: bool = False) -> Any:
    """The answer to what was last sent on ``connection`` (``EOFError`` if the pipe closed).

    The other end sends nothing past an answer before it is sent the next request, so the first read may ask
    for more than the header without taking any of a later message; with ``exact`` (another request was sent
    behind this one), it reads that frame alone.
    """
    if exact:
        return pickle.loads(connection.recv_bytes())
    fd = connection.fileno()
    data = _at_least(fd, b"", _SIZE.size)
    size, start = _SIZE.unpack_from(data)[0], _SIZE.size
    if data[:_SIZE.size] == _LARGE:
        data = _at_least(fd, data, _SIZE.size + _LARGE_SIZE.size)
        size, start = _LARGE_SIZE.unpack_from(data, _SIZE.size)[0], _SIZE.size + _LARGE_SIZE.size
    have = len(data) - start
    if have >= size:
        return pickle.loads(memoryview(data)[start:])
    return pickle.loads(b"".join((memoryview(data)[start:], _exactly(fd, size - have))))


def _at_least(fd: int, data: bytes, count: int) -> bytes:
    """``data`` and what follows it on ``fd``, read until there are at least ``count`` bytes."""
    while len(data) < count:
        more = os.read(fd, _READ)
        if not more:
            raise EOFError
        data += more
    return data


def _exactly(fd: int, count: int) -> bytes:
    """The next ``count`` bytes of ``fd`` (``EOFError`` if it ends before)."""
    parts, have = [], 0
    while have < count:
        more = os.read(fd, min(count - have, 1 << 24))
        if not more:
            raise EOFError
        parts.append(more)
        have += len(more)
    return parts[0] if len(parts) == 1 else b"".join(parts)
