"""The log output of kg serve (kg.log_stream): lines written in batches, soon, in order, never lost or doubled."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from kg.log_stream import FLUSH_AFTER, BatchingHandler


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[TextIO]:
    with (tmp_path / "log").open("w") as stream:
        yield stream


@pytest.fixture
def logger(log_file: TextIO) -> Iterator[logging.Logger]:
    handler = BatchingHandler(log_file)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    named = logging.getLogger(f"test-log-stream-{id(handler)}")
    named.propagate = False
    named.setLevel(logging.INFO)
    named.addHandler(handler)
    yield named
    named.removeHandler(handler)
    handler.close()


def written(stream: TextIO) -> str:
    return Path(stream.name).read_text()


def eventually(stream: TextIO, text: str) -> str:
    deadline = time.monotonic() + 5
    while text not in written(stream) and time.monotonic() < deadline:
        time.sleep(0.01)
    return written(stream)


def test_lines_are_written_together_soon_after_and_in_order(logger: logging.Logger, log_file: TextIO) -> None:
    for number in range(200):
        logger.info("request %d", number)
    assert written(log_file) == ""  # in the buffer, for the flushing thread
    started = time.monotonic()
    assert eventually(log_file, "request 199") == "".join(f"INFO request {n}\n" for n in range(200))
    assert time.monotonic() - started < FLUSH_AFTER + 2


def test_a_warning_is_written_at_once_with_the_lines_before_it(logger: logging.Logger, log_file: TextIO) -> None:
    logger.info("a request")
    logger.warning("a worker died")
    assert written(log_file) == "INFO a request\nWARNING a worker died\n"


def test_the_lines_of_a_quiet_moment_are_written_too(logger: logging.Logger, log_file: TextIO) -> None:
    """The flushing thread waits for the next line after each flush."""
    for turn in range(3):
        logger.info("line %d", turn)
        assert eventually(log_file, f"line {turn}\n").endswith(f"INFO line {turn}\n")


def test_closing_writes_what_is_left(log_file: TextIO) -> None:
    handler = BatchingHandler(log_file)
    handler.emit(logging.LogRecord("kg", logging.INFO, __file__, 1, "last words", None, None))
    handler.close()
    assert written(log_file) == "last words\n"


def test_a_forked_child_writes_its_lines_through_and_none_of_its_parents_twice(logger: logging.Logger,
                                                                             log_file: TextIO) -> None:
    logger.info("parent, before the fork")
    child = os.fork()
    if child == 0:  # the child: no flushing thread; it leaves without running exit handlers
        logger.info("child")
        os._exit(0)
    os.waitpid(child, 0)
    logger.info("parent, after the fork")
    assert eventually(log_file, "after the fork") == \
        "INFO parent, before the fork\nINFO child\nINFO parent, after the fork\n"


def test_a_line_logged_after_closing_is_written_at_once(log_file: TextIO) -> None:
    """``logging.config.dictConfig`` closes the handlers it replaces, though a logger may still hold them."""
    handler = BatchingHandler(log_file)
    handler.close()
    handler.emit(logging.LogRecord("kg", logging.INFO, __file__, 1, "after the end", None, None))
    assert written(log_file) == "after the end\n"
