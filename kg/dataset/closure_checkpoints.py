"""The reasoner's kept closures saved beside a persistent store, so that a restarted server's first write reasons nothing.

A kept closure (:class:`~kg.reasoning.closure.Closure`: the engine's facts,
indexes, derivations and inconsistencies) is written to one file per mode in
the store's directory, ``ipkg-reasoner-MODE.pickle``: a JSON header line (format,
reasoner fingerprint, mode, the number of the last change-log entry it includes)
then the pickled closure.  It is written when a closure is computed and when the
dataset is closed after changes; a process killed in between leaves an older
file, and the changes committed since are read back from the change log
(:meth:`~kg.dataset.change_log.ChangeLog.asserted_changes_after`) and applied to
it incrementally, as one net change.

A file that does not match (another reasoner's code, a damaged file, a change
the log cannot replay such as a bulk load, a triple count that differs from the
store's) is ignored: the closure is then computed again, as before there were
files.  The file is trusted as the store is: it is code-bearing (pickle), so
whoever can write the store's directory can run code in the server — the same
as whoever can replace its Python files.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kg.dataset.change_log import ChangeLog
from kg.dataset.layout import DatasetLayout
from kg.reasoning.closure import Closure
from kg.store import Store
from kg.store.manifest import reasoner_fingerprint

Progress = Callable[[str], None]
FORMAT = 1


class ClosureCheckpoints:
    """The files of the kept closures of one persistent dataset (see the module documentation)."""

    def __init__(self, directory: Path, store: Store, layout: DatasetLayout, change_log: ChangeLog, engine: str) -> None:
        self._directory = directory
        self._store = store
        self._layout = layout
        self._log = change_log
        self._fingerprint = reasoner_fingerprint(engine)

    def path(self, mode: str) -> Path:
        """The file of ``mode``'s closure."""
        return self._directory / f"ipkg-reasoner-{mode}.pickle"

    def save(self, mode: str, closure: Closure, progress: Progress) -> None:
        """Write ``closure`` as the state of ``mode`` after the last committed change (atomically: temporary file, rename)."""
        started = time.perf_counter()
        header = {"format": FORMAT, "reasoner": self._fingerprint, "mode": mode, "change": self._log.last_number()}
        target = self.path(mode)
        temporary = target.with_name(f".{target.name}.tmp")
        with temporary.open("wb") as handle:
            handle.write(json.dumps(header).encode() + b"\n")
            pickle.dump(closure, handle, protocol=pickle.HIGHEST_PROTOCOL)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        size = target.stat().st_size
        progress(f"saved the reasoner's state ({mode}) to {target.name}: {size / 1e6:,.1f} MB in {time.perf_counter() - started:.2f} s")

    def discard(self) -> None:
        """Remove every mode's file (the asserted data changed outside the change log: a load or a rebuild)."""
        for path in self._directory.glob("ipkg-reasoner-*.pickle"):
            path.unlink(missing_ok=True)

    def restore(self, mode: str, progress: Progress) -> Closure | None:
        """``mode``'s closure as of the last committed change, from its file and the log; ``None`` (and why, to
        ``progress``) when there is no usable file."""
        saved = self.read(mode, progress)
        return self.bring_up_to_date(saved, progress) if saved is not None else None

    def read(self, mode: str, progress: Progress) -> SavedClosure | None:
        """``mode``'s file as it was last written (no store access: changes may go on meanwhile); ``None`` (and why,
        to ``progress``) when there is no usable file."""
        started = time.perf_counter()
        target = self.path(mode)
        try:
            with target.open("rb") as handle:
                header = json.loads(handle.readline())
                if (header.get("format"), header.get("reasoner"), header.get("mode")) != (FORMAT, self._fingerprint, mode):
                    progress(f"{target.name} was written by other reasoner code: the closure is computed again")
                    return None
                after = int(header["change"])
                closure = _unpickle(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, EOFError, pickle.UnpicklingError, AttributeError,
                ImportError) as error:
            progress(f"{target.name} cannot be read ({error}): the closure is computed again")
            return None
        if not isinstance(closure, Closure) or closure.mode != mode:
            progress(f"{target.name} does not hold a {mode} closure: the closure is computed again")
            return None
        return SavedClosure(closure, after, time.perf_counter() - started)

    def bring_up_to_date(self, saved: SavedClosure, progress: Progress) -> Closure | None:
        """``saved`` with the changes committed after it replayed from the log (call between changes); ``None``
        (and why, to ``progress``) if the log cannot replay them or the result does not match the store."""
        closure, mode = saved.closure, saved.closure.mode
        name = self.path(mode).name
        changes = self._log.asserted_changes_after(saved.change, self._layout.asserted)
        if changes is None:
            progress(f"{name} predates a bulk load: the closure is computed again")
            return None
        count, removed, added = changes
        if removed:
            closure.shrink(removed)
        if added:
            closure.grow(added)
        stored = self._store.count(self._layout.asserted)
        if closure.asserted_count != stored:
            progress(f"{name} holds {closure.asserted_count:,} asserted triples where the store holds "
                     f"{stored:,}: the closure is computed again")
            return None
        progress(f"read the reasoner's state ({mode}) from {name} in {saved.seconds:.2f} s"
                 + (f", and {count} later change{'s' if count != 1 else ''} from the log" if count else ""))
        return closure


@dataclass(frozen=True)
class SavedClosure:
    """A closure as read from its file: it includes the change-log entries up to number ``change``."""

    closure: Closure
    change: int
    seconds: float
    """How long reading it took."""


def _unpickle(handle: object) -> object:
    """Unpickle from ``handle`` with the cyclic collector off (millions of tuples: it would rescan them repeatedly)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return pickle.load(handle)  # type: ignore[arg-type]
    finally:
        if collecting:
            gc.enable()
