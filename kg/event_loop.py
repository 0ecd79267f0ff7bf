"""The event loop of ``kg serve``: asyncio's, woken once per batch of callbacks from other threads, not once each.

granian hands each request to the loop from its own thread with ``call_soon_threadsafe``, which writes a byte
into the loop's self-pipe every time, so that a loop asleep in ``select`` wakes up: a system call per request,
made while holding the GIL, and read back by the loop.  :class:`CoalescingLoop` skips the write while an earlier
one is still unread: the loop will wake for it, and then runs every callback queued by then.
"""

from __future__ import annotations

import asyncio


class CoalescingLoop(asyncio.SelectorEventLoop):  # type: ignore[misc,valid-type]
    """asyncio's selector event loop whose self-pipe holds at most one wake-up byte written by ``call_soon_threadsafe``."""

    def __init__(self) -> None:
        super().__init__()
        # True from a write into the self-pipe until the loop has read the pipe empty.  A thread that sees it true
        # has queued its callback before the loop reads the pipe, and so before the loop next runs its callbacks.
        self._wake_unread = False

    def _write_to_self(self) -> None:
        if self._wake_unread:
            return
        self._wake_unread = True
        super()._write_to_self()

    def _read_from_self(self) -> None:
        super()._read_from_self()
        # Only once the pipe is read empty: cleared before, a byte written meanwhile would be read with the others
        # while the flag said it was still to come, and the next thread would not wake the loop.
        self._wake_unread = False
