"""The change log: one PROV-O activity per committed write, in the bookkeeping graph ``<base>graph/changes``.

Each entry ``<base>graph/changes/N`` is a ``prov:Activity`` (and ``kg:Change``) with ``kg:changeNumber N``,
``prov:startedAtTime``, ``prov:endedAtTime``, ``prov:wasAssociatedWith`` an agent named by ``rdfs:label``,
``kg:operation`` (``update``, ``graph-store``, ``load``, ``revert``), ``kg:request`` (what was sent, at most
:data:`MAX_REQUEST_CHARS` characters) and the exact asserted quads it removed and added (closure graphs left
out), each as a reified statement ``<…/N/added/I>`` (``rdf:subject``, ``rdf:predicate``, ``rdf:object``,
``kg:graph``) linked by ``kg:added`` or ``kg:removed``.

Atomicity: before each step of a transaction is applied, a journal of it (its exact quads, as N-Quads
literals under ``<base>graph/changes/pending/…``) is written, in one store transaction; the commit writes the
entry, naming the journal, in one store transaction, then drops the journal.  A process killed mid-change leaves
a journal that no entry names, and :meth:`ChangeLog.recover` undoes its steps on the next opening (a step is
exact, so undoing one that was journaled but never applied changes nothing): a change is in the store with its
entry, or neither is.
"""

from __future__ import annotations

import contextvars
import datetime
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from kg.dataset.layout import DatasetLayout
from kg.namespaces import ProjectNamespaces
from kg.sparql.errors import QueryError
from kg.store import Store

PROV = "http://www.w3.org/ns/prov#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Characters of a request kept in its entry (the rest is cut, and the entry says so).
MAX_REQUEST_CHARS = 65_536


@dataclass
class ChangeNote:
    """Who is writing and what they sent; filled in by the commit with the entry's number and any SHACL report."""

    writer: str = "kg"
    operation: str = "update"
    request: str = ""
    reverts: int | None = None
    number: int | None = None
    """The entry's number, once committed (``None``: nothing changed)."""
    shacl_report: Any = None
    """The SHACL report of the write (``KG_SHACL=report``) when it found violations."""
    extra: dict[str, str] = field(default_factory=dict)


_NOTE: contextvars.ContextVar[ChangeNote | None] = contextvars.ContextVar("kg_change_note", default=None)


@contextmanager
def noting(note: ChangeNote) -> Iterator[ChangeNote]:
    """Have the writes made inside the block logged as ``note`` says (writer, operation, request)."""
    token = _NOTE.set(note)
    try:
        yield note
    finally:
        _NOTE.reset(token)


def current_note() -> ChangeNote:
    """The note of the writes being made (a default one outside :func:`noting`)."""
    return _NOTE.get() or ChangeNote()


def _nquads(quads: Sequence[ox.Quad]) -> str:
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode() if quads else ""


def _parse(text: str) -> list[ox.Quad]:
    return list(ox.parse(text, format=ox.RdfFormat.N_QUADS)) if text else []


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


def _now() -> ox.Literal:
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")
    return ox.Literal(stamp, datatype=ox.NamedNode(XSD + "dateTime"))


class Journal:
    """The steps of one open transaction, each journaled before it is applied (see the module's docstring)."""

    def __init__(self, log: ChangeLog) -> None:
        self._log = log
        self.iri = ox.NamedNode(f"{log.pending.value}/{uuid.uuid4().hex}")
        self._quads: list[ox.Quad] = []
        self._entry: list[ox.Quad] = []
        self._committed: list[ox.Quad] = []
        self._steps = 0
        self.paused = False
        """True while the steps are being undone (an undo need not be journaled: undoing twice is harmless)."""
        self.started = _now()

    def apply(self, removed: Sequence[ox.Quad], added: Sequence[ox.Quad]) -> None:
        """Journal one step of the change (one store transaction), then apply it (another).

        A step is exact (it removes present quads, adds absent ones), so undoing a journaled step that a
        killed process never applied changes nothing."""
        self._log.refuse_writes_to_log([*removed, *added])
        if self.paused or (not removed and not added):
            self._log.store.apply(removed, added)
            return
        log, step = self._log, ox.NamedNode(f"{self.iri.value}/{self._steps}")
        journal = [
            ox.Quad(self.iri, log.term("step"), step, log.graph),
            ox.Quad(step, log.term("order"), _integer(self._steps), log.graph),
            ox.Quad(step, log.term("removedQuads"), ox.Literal(_nquads(removed)), log.graph),
            ox.Quad(step, log.term("addedQuads"), ox.Literal(_nquads(added)), log.graph),
        ]
        log.store.add(journal)
        self._quads.extend(journal)
        self._steps += 1
        log.store.apply(removed, added)

    def discard(self) -> None:
        """Forget the journal (the steps were undone, or changed nothing), in one store transaction."""
        if self._quads:
            self._log.store.apply(self._quads, [])
            self._quads.clear()

    def commit(self, removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> list[ox.Quad]:
        """Write the entry of the net change, naming this journal, in one store transaction (the commit); then
        drop the journal.  Returns the entry's quads."""
        note = current_note()
        number = self._log.next_number()
        entry = self._log.entry_quads(number, note, self.started, _now(), removed, added)
        entry.append(ox.Quad(self._log.entry_iri(number), self._log.term("journal"), self.iri, self._log.graph))
        self._log.store.add(entry)
        self._entry, self._committed = entry, list(self._quads)
        self.discard()  # a process killed before this leaves a committed journal: dropped on opening
        note.number = number
        return entry

    def abandon(self) -> None:
        """The transaction fails after its commit (a flush failed): take the entry back and journal the steps
        again, in one store transaction, so that they can be undone (and would be, on opening)."""
        if self._entry:
            self._log.store.apply(self._entry, self._committed)
            self._quads, self._entry = self._committed, []
            current_note().number = None


class ChangeLog:
    """The change log of one dataset: writing entries, recovering from a killed writer."""

    def __init__(self, store: Store, layout: DatasetLayout, namespaces: ProjectNamespaces) -> None:
        self.store = store
        self._layout = layout
        self._terms = namespaces.terms
        self.graph = ox.NamedNode(layout.changes)
        self.pending = ox.NamedNode(layout.changes + "/pending")
        self._next: int | None = None

    def term(self, name: str) -> ox.NamedNode:
        """A term of the project's ontology (``kg:``)."""
        return ox.NamedNode(self._terms + name)

    def entry_iri(self, number: int) -> ox.NamedNode:
        """The IRI of entry ``number``."""
        return ox.NamedNode(f"{self.graph.value}/{number}")

    def refuse_writes_to_log(self, quads: Iterable[ox.Quad]) -> None:
        """A :class:`QueryError` if a user's write addresses the log's graph."""
        for quad in quads:
            if quad.graph_name == self.graph:
                raise QueryError(f"the graph <{self.graph.value}> is the change log: it is written by the server only")

    def next_number(self) -> int:
        """The number of the next entry (one more than the highest so far)."""
        number = self.last_number() + 1
        self._next = number + 1
        return number

    def last_number(self) -> int:
        """The number of the latest entry (0 while the log is empty)."""
        if self._next is None:
            answer = self.store.query(
                f"SELECT (MAX(?n) AS ?m) WHERE {{ GRAPH {self.graph} {{ ?c {self.term('changeNumber')} ?n }} }}")
            row = next(iter(answer), None)  # type: ignore[arg-type]
            value = row["m"] if row is not None else None  # type: ignore[index]
            self._next = int(value.value) + 1 if value is not None else 1
        return self._next - 1

    def asserted_changes_after(self, number: int, asserted: str) -> tuple[int, list[ox.Triple], list[ox.Triple]] | None:
        """The net change of graph ``asserted`` over the entries after ``number``: (how many of them changed it, triples
        removed, triples added); ``None`` if one of them is a bulk load (its triples are not in the log)."""
        term, graph = self.term, self.graph
        loads = self.store.query(
            f"ASK {{ GRAPH {graph} {{ ?c {term('changeNumber')} ?n ; {term('loadedTriples')} ?t FILTER(?n > {number}) }} }}")
        if loads:
            return None
        rows = self.store.query(
            f"SELECT ?n ?kind ?s ?p ?o WHERE {{ GRAPH {graph} {{ ?c {term('changeNumber')} ?n FILTER(?n > {number}) "
            f"VALUES ?kind {{ {term('removed')} {term('added')} }} ?c ?kind ?st . "
            f"?st <{RDF}subject> ?s ; <{RDF}predicate> ?p ; <{RDF}object> ?o ; {term('graph')} <{asserted}> }} }}")
        steps = sorted(((int(r["n"].value), r["kind"] == term("added"), ox.Triple(r["s"], r["p"], r["o"]))  # type: ignore[index, union-attr, arg-type]
                        for r in rows), key=lambda step: (step[0], step[1]))  # type: ignore[arg-type]
        removed: dict[ox.Triple, None] = {}
        added: dict[ox.Triple, None] = {}
        for _, adds, triple in steps:
            if adds:
                if removed.pop(triple, 0) == 0:
                    added[triple] = None
            elif added.pop(triple, 0) == 0:
                removed[triple] = None
        return len({entry for entry, _, _ in steps}), list(removed), list(added)

    def entry_quads(self, number: int, note: ChangeNote, started: ox.Literal, ended: ox.Literal,
                    removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> list[ox.Quad]:
        """The quads of entry ``number``: the activity, its agent, and its asserted quads (closures left out)."""
        closures = self._layout.closure_graphs
        entry = self.entry_iri(number)
        agent = ox.NamedNode(f"{self.graph.value}/agent/{_slug(note.writer)}")
        text = note.request[:MAX_REQUEST_CHARS]
        g = self.graph
        triples: list[tuple[ox.NamedNode, ox.NamedNode, Any]] = [
            (entry, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Activity")),
            (entry, ox.NamedNode(RDF + "type"), self.term("Change")),
            (entry, self.term("changeNumber"), _integer(number)),
            (entry, ox.NamedNode(PROV + "startedAtTime"), started),
            (entry, ox.NamedNode(PROV + "endedAtTime"), ended),
            (entry, ox.NamedNode(PROV + "wasAssociatedWith"), agent),
            (agent, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Agent")),
            (agent, ox.NamedNode(RDFS + "label"), ox.Literal(note.writer)),
            (entry, self.term("operation"), ox.Literal(note.operation)),
            (entry, self.term("request"), ox.Literal(text)),
        ]
        if len(note.request) > MAX_REQUEST_CHARS:
            triples.append((entry, self.term("requestLength"), _integer(len(note.request))))
        if note.reverts is not None:
            triples.append((entry, self.term("reverts"), self.entry_iri(note.reverts)))
        for key, value in sorted(note.extra.items()):
            triples.append((entry, self.term(key), ox.Literal(value)))
        entry_quads = [ox.Quad(s, p, o, g) for s, p, o in triples]
        subject, predicate, obj, graph = (ox.NamedNode(RDF + "subject"), ox.NamedNode(RDF + "predicate"),
                                          ox.NamedNode(RDF + "object"), self.term("graph"))
        for kind, quads in (("removed", removed), ("added", added)):
            link, prefix, count = self.term(kind), f"{entry.value}/{kind}/", 0
            for quad in quads:
                if quad.graph_name.value in closures or quad.graph_name == g:
                    continue
                statement = ox.NamedNode(prefix + str(count))
                count += 1
                entry_quads += [ox.Quad(entry, link, statement, g), ox.Quad(statement, subject, quad.subject, g),
                                ox.Quad(statement, predicate, quad.predicate, g),
                                ox.Quad(statement, obj, quad.object, g), ox.Quad(statement, graph, quad.graph_name, g)]
            entry_quads.append(ox.Quad(entry, self.term(kind + "Count"), _integer(count), g))
        return entry_quads

    def record(self, note: ChangeNote, removed: Sequence[ox.Quad] = (), added: Sequence[ox.Quad] = ()) -> int:
        """Write an entry for a change made outside a transaction (a bulk load); its number."""
        now = _now()
        number = self.next_number()
        self.store.add(self.entry_quads(number, note, now, now, removed, added))
        note.number = number
        return number

    def journal(self) -> Journal:
        """A journal for a new transaction."""
        return Journal(self)

    def recover(self) -> int:
        """Drop the journals a killed process left: undo the steps of the one never committed; the steps undone."""
        term = self.term
        answer = self.store.query(
            f"SELECT ?journal ?step ?order ?removed ?added ?entry WHERE {{ GRAPH {self.graph} {{ "
            f"?journal {term('step')} ?step . ?step {term('order')} ?order ; {term('removedQuads')} ?removed ; "
            f"{term('addedQuads')} ?added OPTIONAL {{ ?entry {term('journal')} ?journal }} }} }}")
        rows = sorted(answer, key=lambda r: int(r["order"].value))  # type: ignore[arg-type, index, union-attr]
        undone = [r for r in rows if r["entry"] is None]  # type: ignore[index]
        for row in reversed(undone):
            removed, added = row["removed"].value, row["added"].value  # type: ignore[index, union-attr]
            self.store.apply(_parse(added), _parse(removed))
        journal: list[ox.Quad] = []
        for row in rows:
            step, journal_iri = row["step"], row["journal"]  # type: ignore[index]
            journal += [ox.Quad(journal_iri, term("step"), step, self.graph),  # type: ignore[arg-type]
                        ox.Quad(step, term("order"), row["order"], self.graph),  # type: ignore[arg-type, index]
                        ox.Quad(step, term("removedQuads"), row["removed"], self.graph),  # type: ignore[arg-type, index]
                        ox.Quad(step, term("addedQuads"), row["added"], self.graph)]  # type: ignore[arg-type, index]
        self.store.apply(journal, [])
        return len(undone)


class JournalingStore:
    """The store as a transaction's steps see it: its writes go through the journal, everything else to the store."""

    def __init__(self, store: Store, journal: Journal) -> None:
        self._store = store
        self._journal = journal

    def apply(self, removed: Sequence[ox.Quad], added: Sequence[ox.Quad]) -> None:
        """One step, journaled."""
        self._journal.apply(removed, added)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _slug(name: str) -> str:
    """``name`` made safe for an IRI path segment."""
    return quote(name, safe="") or "anonymous"
