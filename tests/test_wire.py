"""The pool's pipe messages (kg.evaluation.wire): the framing of multiprocessing's Connection, both ways, and channels."""

from __future__ import annotations

import os
import pickle
import struct
import threading
from collections.abc import Callable
from multiprocessing import Pipe

import pytest

from kg.evaluation.job import Outcome
from kg.evaluation.wire import Channel, Endpoint, receive, send


def sent_from_a_thread(writer: Endpoint, action: Callable[[], None]) -> threading.Thread:
    """Run ``action`` (which writes to ``writer``) in a thread: a big message does not fit in the pipe's buffer."""
    thread = threading.Thread(target=action)
    thread.start()
    return thread


@pytest.mark.parametrize("size", [0, 10, 300 * 1024, 5 * 1024 * 1024])
def test_an_answer_of_any_size_is_received_whole(size: int) -> None:
    reader, writer = Pipe(duplex=False)
    answer = Outcome(200, bytes(range(256)) * (size // 256) + b"x" * (size % 256), "json", 3)
    thread = sent_from_a_thread(writer, lambda: send(writer, answer))
    assert receive(reader) == answer
    thread.join()


def test_both_ends_understand_multiprocessing_connections() -> None:
    reader, writer = Pipe(duplex=False)
    send(writer, ("job", "SELECT * {}"))
    assert reader.recv() == ("job", "SELECT * {}")
    thread = sent_from_a_thread(writer, lambda: writer.send(("synced", b"y" * 400_000)))
    assert receive(reader) == ("synced", b"y" * 400_000)
    thread.join()


def test_the_frame_of_a_huge_message_is_read_too() -> None:
    """``Connection.send_bytes`` frames a message of 2 GiB or more with -1 and then an 8-byte size."""
    reader, writer = Pipe(duplex=False)
    payload = pickle.dumps(("answer", 42))
    with open(writer.fileno(), "wb", closefd=False) as raw:
        raw.write(struct.pack("!i", -1) + struct.pack("!Q", len(payload)) + payload)
    assert receive(reader) == ("answer", 42)


@pytest.mark.parametrize("cut", [0, 2, 10])
def test_a_pipe_closed_before_the_whole_answer_is_an_eof(cut: int) -> None:
    reader, writer = Pipe(duplex=False)
    frame = struct.pack("!i", 100) + b"z" * 50
    with open(writer.fileno(), "wb", closefd=False) as raw:
        raw.write(frame[:cut])
    writer.close()
    with pytest.raises(EOFError):
        receive(reader)


def channel_pair() -> tuple[Channel, Channel]:
    a_reads, a_writes, b_reads, b_writes = Channel.pipes()
    return Channel(a_reads, a_writes), Channel(b_reads, b_writes)


@pytest.mark.parametrize("size", [0, 10, 300 * 1024, 5 * 1024 * 1024])
def test_a_channel_carries_messages_of_any_size_both_ways(size: int) -> None:
    pool_end, worker_end = channel_pair()
    job, answer = ("job", "x" * size), Outcome(200, b"y" * size, "json", 1)
    thread = sent_from_a_thread(pool_end, lambda: send(pool_end, job))
    assert receive(worker_end, exact=True) == job
    thread.join()
    thread = sent_from_a_thread(worker_end, lambda: send(worker_end, answer))
    assert receive(pool_end) == answer
    thread.join()


def test_a_channel_keeps_messages_sent_one_behind_another_apart() -> None:
    pool_end, worker_end = channel_pair()
    for number in range(3):
        send(pool_end, ("job", number))
    assert [receive(worker_end, exact=True) for _ in range(3)] == [("job", 0), ("job", 1), ("job", 2)]


def test_a_channel_reads_the_frame_of_a_huge_message() -> None:
    pool_end, worker_end = channel_pair()
    payload = pickle.dumps(("answer", 42))
    os.write(worker_end._write_fd, struct.pack("!i", -1) + struct.pack("!Q", len(payload)) + payload)
    assert pool_end.recv_bytes() == payload


def test_the_end_of_a_channel_is_seen_by_the_other_end() -> None:
    pool_end, worker_end = channel_pair()
    worker_end.close()
    with pytest.raises(EOFError):
        receive(pool_end)
    with pytest.raises(OSError):  # writing to a pipe nobody reads: EPIPE
        send(pool_end, ("job", "late"))


def test_a_closed_channel_refuses_to_be_used() -> None:
    """Its descriptors' numbers may belong to another file by then."""
    pool_end, worker_end = channel_pair()
    pool_end.close()
    pool_end.close()  # twice is harmless
    for use in (pool_end.fileno, pool_end.recv_bytes, lambda: pool_end.send_bytes(b"x")):
        with pytest.raises(OSError):
            use()
