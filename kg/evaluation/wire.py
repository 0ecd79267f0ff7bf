"""Messages on the pipes between the pool and its processes, framed as ``multiprocessing.Connection`` frames them.

Both ends may use ``Connection.send`` and ``recv`` too; these two cost less per light query:
:func:`send` pickles without multiprocessing's reducers (our messages hold no handles), and
:func:`receive` reads an answer in one system call when it fits (``recv`` makes two: the header, then the message).
"""

from __future__ import annotations

import os
import pickle
import struct
from multiprocessing.connection import Connection
from typing import Any

_SIZE, _LARGE_SIZE = struct.Struct("!i"), struct.Struct("!Q")
_LARGE = _SIZE.pack(-1)  # the header of a message of 2 GiB or more, whose size follows in 8 bytes
#: Bytes asked for by the first read: a light query's answer, header included, in one system call.  (``os.read``
#: allocates what it asks for: past glibc's 128 KB the buffer is mapped and unmapped on every call.)
_READ = 64 * 1024


def send(connection: Connection, message: object) -> None:
    """Send ``message`` down ``connection``."""
    connection.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


def receive(connection: Connection, exact: bool = False) -> Any:
    """The answer to what was last sent on ``connection`` (``EOFError`` if the pipe closed).

    The other end sends nothing past an answer before it is sent the next request, so the first read may ask
    for more than the header without taking any of a later message; with ``exact`` (another request was sent
    behind this one), it asks for the header alone, as ``Connection.recv`` does.
    """
    if exact:
        return pickle.loads(connection.recv_bytes())
    fd = connection.fileno()
    data = _at_least(fd, b"", _SIZE.size)
    size, start = _SIZE.unpack_from(data)[0], _SIZE.size
    if data[:_SIZE.size] == _LARGE:
        data = _at_least(fd, data, _SIZE.size + _LARGE_SIZE.size)
        size, start = _LARGE_SIZE.unpack_from(data, _SIZE.size)[0], _SIZE.size + _LARGE_SIZE.size
    parts, have = [memoryview(data)[start:]], len(data) - start
    while have < size:
        more = os.read(fd, min(size - have, 1 << 24))
        if not more:
            raise EOFError
        parts.append(memoryview(more))
        have += len(more)
    return pickle.loads(parts[0] if len(parts) == 1 else b"".join(parts))


def _at_least(fd: int, data: bytes, count: int) -> bytes:
    """``data`` and what follows it on ``fd``, read until there are at least ``count`` bytes."""
    while len(data) < count:
        more = os.read(fd, _READ)
        if not more:
            raise EOFError
        data += more
    return data
