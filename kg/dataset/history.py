"""Reading the change log (:mod:`kg.dataset.change_log`) and reverting an entry as a new change."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.dataset.change_log import ChangeNote, noting
from kg.dataset.graph import KnowledgeGraph
from kg.sparql.errors import HttpError

_SUMMARY = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?n ?start ?end ?who ?op ?request ?plus ?minus ?reverts ?loaded WHERE {{ GRAPH <{log}> {{
  ?c <{kg}changeNumber> ?n ; prov:startedAtTime ?start ; prov:endedAtTime ?end ; <{kg}operation> ?op ;
     <{kg}request> ?request ; <{kg}addedCount> ?plus ; <{kg}removedCount> ?minus ;
     prov:wasAssociatedWith/rdfs:label ?who .
  OPTIONAL {{ ?c <{kg}reverts>/<{kg}changeNumber> ?reverts }}
  OPTIONAL {{ ?c <{kg}loadedTriples> ?loaded }}
  {filter}
}} }} ORDER BY DESC(?n) LIMIT {limit} OFFSET {offset}
"""

_QUADS = """
SELECT ?kind ?s ?p ?o ?g WHERE {{ GRAPH <{log}> {{
  VALUES ?kind {{ <{kg}removed> <{kg}added> }}
  <{entry}> ?kind ?st . ?st <{rdf}subject> ?s ; <{rdf}predicate> ?p ; <{rdf}object> ?o ; <{kg}graph> ?g }} }}
"""

_CONFLICTS = """
SELECT DISTINCT ?n WHERE {{ GRAPH <{log}> {{
  VALUES ?kind {{ <{kg}removed> <{kg}added> }} VALUES ?later {{ <{kg}removed> <{kg}added> }}
  <{entry}> ?kind ?st . ?st <{rdf}subject> ?s ; <{rdf}predicate> ?p ; <{rdf}object> ?o .
  ?other <{rdf}subject> ?s ; <{rdf}predicate> ?p ; <{rdf}object> ?o .
  ?c ?later ?other ; <{kg}changeNumber> ?n . FILTER(?n > {number})
}} }} ORDER BY ?n
"""
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


@dataclass(frozen=True)
class ChangeSummary:
    """One entry of the log: number, times, writer, operation, what was sent, +/- counts."""

    number: int
    started: str
    ended: str
    writer: str
    operation: str
    request: str
    added: int
    removed: int
    reverts: int | None = None
    loaded: int | None = None

    def as_json(self) -> dict[str, object]:
        """The entry as the API answers it."""
        return {key: value for key, value in self.__dict__.items() if value is not None or key == "reverts"}


@dataclass(frozen=True)
class ChangeDetail:
    """An entry with its exact quads."""

    summary: ChangeSummary
    removed: tuple[ox.Quad, ...]
    added: tuple[ox.Quad, ...]


def entries(graph: KnowledgeGraph, limit: int = 100, offset: int = 0, number: int | None = None) -> list[ChangeSummary]:
    """The newest entries first (or entry ``number`` alone)."""
    kg = graph.namespaces.terms
    where = f"FILTER(?n = {int(number)})" if number is not None else ""
    text = _SUMMARY.format(log=graph.layout.changes, kg=kg, filter=where, limit=int(limit), offset=int(offset))
    rows = graph.store.query(text)
    found = []
    for row in rows:  # type: ignore[union-attr]
        def value(name: str) -> str | None:
            term = row[name]  # type: ignore[index]
            return None if term is None else term.value
        found.append(ChangeSummary(
            int(value("n") or 0), value("start") or "", value("end") or "", value("who") or "", value("op") or "",
            value("request") or "", int(value("plus") or 0), int(value("minus") or 0),
            int(value("reverts")) if value("reverts") else None, int(value("loaded")) if value("loaded") else None,
        ))
    return found


def entry(graph: KnowledgeGraph, number: int) -> ChangeDetail:
    """Entry ``number`` with its quads; an :class:`HttpError` 404 if there is none."""
    found = entries(graph, 1, 0, number)
    if not found:
        raise HttpError(f"there is no change {number} in the log", 404)
    removed: list[ox.Quad] = []
    added: list[ox.Quad] = []
    kg = graph.namespaces.terms
    text = _QUADS.format(log=graph.layout.changes, kg=kg, rdf=RDF, entry=graph.change_log.entry_iri(number).value)
    for row in graph.store.query(text):  # type: ignore[union-attr]
        quad = ox.Quad(row["s"], row["p"], row["o"], row["g"])  # type: ignore[index, arg-type]
        (added if row["kind"].value.endswith("added") else removed).append(quad)  # type: ignore[index, union-attr]
    return ChangeDetail(found[0], tuple(sorted(removed, key=str)), tuple(sorted(added, key=str)))


def conflicts(graph: KnowledgeGraph, number: int) -> list[int]:
    """Later entries that removed or added a triple entry ``number`` removed or added."""
    text = _CONFLICTS.format(log=graph.layout.changes, kg=graph.namespaces.terms, rdf=RDF, number=int(number),
                             entry=graph.change_log.entry_iri(number).value)
    return [int(row["n"].value) for row in graph.store.query(text)]  # type: ignore[index, union-attr]


class RevertConflict(HttpError):
    """A later change touched the same triples (409); ``later`` lists them."""

    def __init__(self, number: int, later: list[int]) -> None:
        listed = ", ".join(str(n) for n in later)
        super().__init__(f"change {number} cannot be reverted: later changes touched the same triples ({listed}); "
                         "revert those first, or send force=true", 409, later_changes=later)
        self.later = later


def revert(graph: KnowledgeGraph, number: int, writer: str, *, force: bool = False) -> ChangeNote:
    """Apply the inverse of entry ``number`` as a new change by ``writer``; its note (``number``: the new entry's)."""
    with graph.serialized():  # no change may slip in between the check and the revert
        detail = entry(graph, number)
        if detail.summary.operation == "load":
            raise HttpError(f"change {number} is a bulk load (`kg load`): its triples are not in the log, so it cannot "
                            "be reverted", 422)
        later = conflicts(graph, number)
        if later and not force:
            raise RevertConflict(number, later)
        note = ChangeNote(writer=writer, operation="revert", request=f"revert change {number}", reverts=number)
        with noting(note), graph.changing() as change:
            change.apply(detail.removed, detail.added)
        return note
