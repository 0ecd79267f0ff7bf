"""The event loop of kg serve (kg.event_loop): callbacks from other threads all run, and wake a loop at rest."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable

from kg.event_loop import CoalescingLoop


class WrittenToWhileReading(CoalescingLoop):
    """A loop where, once, another thread's ``call_soon_threadsafe`` comes while the loop reads its self-pipe."""

    def __init__(self) -> None:
        super().__init__()
        self.write_while_reading = False

    def _process_self_data(self, data: bytes) -> None:  # called between two reads of the pipe
        super()._process_self_data(data)
        if self.write_while_reading:
            self.write_while_reading = False
            self.call_soon_threadsafe(lambda: None)


def from_a_thread(loop: asyncio.AbstractEventLoop, callback: Callable[[float], object]) -> threading.Thread:
    """Have another thread queue ``callback`` on ``loop`` a moment from now, while the loop sleeps in ``select``; it
    is given the time it was queued at."""

    def send() -> None:
        time.sleep(0.02)
        loop.call_soon_threadsafe(callback, time.monotonic())

    sender = threading.Thread(target=send)
    sender.start()
    return sender


def test_a_callback_queued_while_the_loop_reads_its_pipe_runs_and_the_next_one_wakes_it() -> None:
    """The flag must not say a wake-up is on its way once the loop has read it: the loop would then sleep through
    every later callback (until a timer or a file descriptor woke it)."""
    loop = WrittenToWhileReading()

    async def wake_up_delay(write_while_reading: bool) -> float:
        queued = loop.create_future()
        loop.write_while_reading = write_while_reading
        sender = from_a_thread(loop, lambda at: queued.set_result(time.monotonic() - at))
        delay = await asyncio.wait_for(queued, 3)
        sender.join()
        return delay

    async def delays() -> list[float]:
        return [await wake_up_delay(write_while_reading=turn % 2 == 0) for turn in range(6)]

    try:
        found = loop.run_until_complete(delays())
    finally:
        loop.close()
    assert max(found) < 1, found


def test_every_callback_from_other_threads_runs() -> None:
    threads, per_thread = 4, 3000
    loop = CoalescingLoop()
    ran = 0
    done = loop.create_future()

    def callback() -> None:
        nonlocal ran
        ran += 1
        if ran == threads * per_thread:
            done.set_result(None)

    def schedule() -> None:
        for turn in range(per_thread):
            loop.call_soon_threadsafe(callback)
            if turn % 50 == 0:
                time.sleep(0.0005)  # the loop goes back to sleep now and then

    senders = [threading.Thread(target=schedule) for _ in range(threads)]
    try:
        for sender in senders:
            sender.start()
        loop.run_until_complete(asyncio.wait_for(done, 20))
    finally:
        for sender in senders:
            sender.join()
        loop.close()
    assert ran == threads * per_thread


def test_a_callback_from_another_thread_wakes_a_loop_at_rest_each_time() -> None:
    loop = CoalescingLoop()

    async def one_round() -> float:
        woken = loop.create_future()
        started = time.perf_counter()
        threading.Thread(target=loop.call_soon_threadsafe, args=(woken.set_result, None)).start()
        await asyncio.wait_for(woken, 5)
        return time.perf_counter() - started

    try:
        waits = [loop.run_until_complete(one_round()) for _ in range(200)]
    finally:
        loop.close()
    assert max(waits) < 5


def test_the_loop_still_handles_signals() -> None:
    """Signals reach the loop through the same pipe (``signal.set_wakeup_fd``)."""
    loop = CoalescingLoop()
    received = loop.create_future()
    loop.add_signal_handler(signal.SIGUSR1, received.set_result, "SIGUSR1")
    try:
        loop.call_later(0.05, os.kill, os.getpid(), signal.SIGUSR1)
        assert loop.run_until_complete(asyncio.wait_for(received, 5)) == "SIGUSR1"
    finally:
        loop.remove_signal_handler(signal.SIGUSR1)
        loop.close()
