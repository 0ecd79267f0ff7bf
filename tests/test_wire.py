"""The pool's pipe messages (kg.evaluation.wire): the framing of multiprocessing's Connection, both ways."""

from __future__ import annotations

import pickle
import struct
import threading
from multiprocessing import Pipe
from multiprocessing.connection import Connection

import pytest

from kg.evaluation.job import Outcome
from kg.evaluation.wire import receive, send


def sent_from_a_thread(writer: Connection, action: object) -> threading.Thread:
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
