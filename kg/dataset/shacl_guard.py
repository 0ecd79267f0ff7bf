"""SHACL-guarded changes (``KG_SHACL``): a write whose result would violate a shape is refused (422), or reported.

Only what a change can affect is validated.  The shapes' paths are all predicates (else every change is
validated in full), and a focus node's conformance depends on the triples within :attr:`ShapesIndex.depth`
steps of it along outgoing edges (its own triples; its values' types for ``sh:class``; deeper for nested
shapes).  So after a change of the asserted data plus its OWL 2 RL closure:

* the *affected* nodes are the subjects of changed triples (objects too, for ``sh:targetObjectsOf`` their
  predicate), and every node reaching one through at most ``depth - 1`` path predicates;
* they are validated, against the shapes targeting them, over the triples within ``depth`` steps of them
  (plus every ``rdfs:subClassOf`` triple, which pySHACL follows for class targets and ``sh:class``).

Every other node's triples within ``depth`` steps are unchanged, so its results are those it had before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import RDF, RDFS, SH

from kg.dataset.change_log import current_note
from kg.dataset.graph import KnowledgeGraph
from kg.settings import SHACL_MODES as SETTINGS_SHACL_MODES
from kg.sparql.errors import HttpError
from kg.terms import to_rdflib, triple_to_rdflib

SHACL_MODES = SETTINGS_SHACL_MODES
_NESTING = (SH.node, SH.qualifiedValueShape, SH["not"])
_LISTS = (SH["or"], SH["and"], SH.xone)


@dataclass(frozen=True)
class Violation:
    """One result of a SHACL report."""

    focus: str
    path: str | None
    value: str | None
    message: str
    severity: str
    shape: str

    def as_json(self) -> dict[str, str | None]:
        """The violation as the API answers it."""
        return dict(self.__dict__)


class ShaclReport:
    """A validation report: pySHACL's results graph and its violations."""

    def __init__(self, results: rdflib.Graph, keep: set[rdflib.term.Node] | None = None) -> None:
        self.graph = rdflib.Graph()
        self.graph.bind("sh", SH)
        report = rdflib.BNode()
        self.graph.add((report, RDF.type, SH.ValidationReport))
        self.violations: list[Violation] = []
        for result in results.subjects(RDF.type, SH.ValidationResult):
            focus = results.value(result, SH.focusNode)
            if keep is not None and focus not in keep:
                continue
            self.graph.add((report, SH.result, result))
            for p, o in results.predicate_objects(result):
                self.graph.add((result, p, o))
                if isinstance(o, rdflib.BNode):  # a blank node path, or a blank shape's triples
                    for triple in results.triples((o, None, None)):
                        self.graph.add(triple)
            path, value = results.value(result, SH.resultPath), results.value(result, SH.value)
            self.violations.append(Violation(
                str(focus), None if path is None else str(path), None if value is None else str(value),
                str(results.value(result, SH.resultMessage) or ""), str(results.value(result, SH.resultSeverity)),
                str(results.value(result, SH.sourceShape)),
            ))
        self.conforms = not self.violations
        self.graph.add((report, SH.conforms, rdflib.Literal(self.conforms)))

    def keys(self) -> set[tuple[str, str | None, str | None, str]]:
        """What identifies each result (blank shapes aside): focus, path, value, message."""
        return {(v.focus, v.path, v.value, v.message) for v in self.violations}


class ShaclRefusal(HttpError):
    """A write refused because its result would violate the shapes (422); ``report`` says how."""

    def __init__(self, report: ShaclReport) -> None:
        count = len(report.violations)
        super().__init__(f"the change would leave {count} SHACL violation{'s' if count != 1 else ''}; nothing was "
                         "changed", 422, violations=[v.as_json() for v in report.violations])
        self.report = report


class ShapesIndex:
    """What a shapes graph validates: its path predicates, target predicates, and how deep a node's check looks."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.shapes = shapes
        paths = set(shapes.objects(None, SH.path))
        self.local = all(isinstance(p, rdflib.URIRef) for p in paths)
        """True if every path is a predicate (else changes are validated in full)."""
        self.path_predicates = {ox.NamedNode(str(p)) for p in paths if isinstance(p, rdflib.URIRef)}
        self.object_targets = {ox.NamedNode(str(p)) for p in shapes.objects(None, SH.targetObjectsOf)}
        self.depth = max((self._depth(s, set()) for s in self._shapes()), default=1)

    def _shapes(self) -> set[rdflib.term.Node]:
        found = set(self.shapes.subjects(RDF.type, SH.NodeShape)) | set(self.shapes.subjects(RDF.type, SH.PropertyShape))
        return found | set(self.shapes.subjects(SH.path, None))

    def _depth(self, shape: rdflib.term.Node, seen: set[rdflib.term.Node]) -> int:
        """Steps of outgoing edges from a node that ``shape`` checks on it (1: its own triples)."""
        if shape in seen:
            return 1
        seen = seen | {shape}
        nested = [o for p in _NESTING for o in self.shapes.objects(shape, p)]
        nested += [m for p in _LISTS for head in self.shapes.objects(shape, p) for m in rdflib.collection.Collection(self.shapes, head)]
        inner = max((self._depth(n, seen) for n in nested), default=0)
        if self.shapes.value(shape, SH["class"]) is not None:
            inner = max(inner, 1)
        if self.shapes.value(shape, SH.path) is not None:  # a property shape: its values are one step away
            return 1 + inner
        properties = [self._depth(p, seen) for p in self.shapes.objects(shape, SH.property)]
        return max([1, inner, *properties])


class ShaclGuard:
    """The check :meth:`KnowledgeGraph.changing` runs before a change commits (``KG_SHACL`` = ``mode``)."""

    def __init__(self, graph: KnowledgeGraph, shapes: rdflib.Graph, mode: str) -> None:
        if mode not in SHACL_MODES:
            raise ValueError(f"KG_SHACL is one of {', '.join(SHACL_MODES)}, not {mode!r}")
        self.graph = graph
        self.mode = mode
        self.index = ShapesIndex(shapes)
        self._default = [ox.NamedNode(name) for name in graph.default_graph("owlrl")]
        self._subclass: list[ox.Triple] | None = None

    def __call__(self, removed: Mapping[ox.Quad, None], added: Mapping[ox.Quad, None]) -> None:
        """Refuse (enforce) or report a change whose result violates the shapes."""
        if self.mode == "off":
            return
        computed = not self.graph.closures.is_current("owlrl")
        if computed:  # the closure was not kept current: compute it for the change's result
            self.graph.closures.compute("owlrl", lambda _message: None)
        report = self.check([*removed, *added])
        if report.conforms:
            return
        if self.mode == "enforce":
            if computed:  # it would outlive the undone change: the undo recomputes the others
                self.graph.closures.invalidate()
            raise ShaclRefusal(report)
        current_note().shacl_report = report

    def check(self, changed: Iterable[ox.Quad]) -> ShaclReport:
        """Validate the nodes ``changed`` quads can affect, over their neighbourhood (the store holds the result)."""
        triples = [q.triple for q in changed if q.graph_name in self._default]
        if any(t.predicate.value == str(RDFS.subClassOf) for t in triples):
            self._subclass = None
        if not self.index.local or getattr(self.graph.store, "_store", None) is None:
            return self.full()  # paths other than predicates, or a remote store: validate everything
        affected = self.affected(triples)
        if not affected:
            return ShaclReport(rdflib.Graph())
        data = self.neighbourhood(affected)
        return self._validate(data, {to_rdflib(node) for node in affected})

    def affected(self, triples: Iterable[ox.Triple]) -> set[ox.NamedNode | ox.BlankNode]:
        """The nodes whose conformance the changed ``triples`` can change."""
        nodes: set[ox.NamedNode | ox.BlankNode] = set()
        for t in triples:
            nodes.add(t.subject)  # type: ignore[arg-type]
            if t.predicate in self.index.object_targets and not isinstance(t.object, ox.Literal):
                nodes.add(t.object)  # type: ignore[arg-type]
        frontier = set(nodes)
        for _ in range(self.index.depth - 1):
            reaching = {q.subject for node in frontier for q in self._quads(None, node)
                        if q.predicate in self.index.path_predicates}
            frontier = reaching - nodes  # type: ignore[operator]
            nodes |= frontier  # type: ignore[arg-type]
        return nodes

    def neighbourhood(self, focus: set[ox.NamedNode | ox.BlankNode]) -> rdflib.Graph:
        """The triples within the shapes' depth of ``focus`` (outgoing), with their ``sh:targetObjectsOf`` in-edges."""
        data = rdflib.Graph()
        seen: set[object] = set()
        frontier: set[object] = set(focus)
        for _ in range(self.index.depth):
            following: set[object] = set()
            for node in frontier - seen:
                for quad in self._quads(node, None):
                    data.add(triple_to_rdflib(quad.triple))
                    if not isinstance(quad.object, ox.Literal):
                        following.add(quad.object)
            seen |= frontier
            frontier = following
        for node in focus:
            for predicate in self.index.object_targets:
                for quad in self._quads(None, node, predicate):
                    data.add(triple_to_rdflib(quad.triple))
        for triple in self._subclasses():
            data.add(triple_to_rdflib(triple))
        return data

    def full(self) -> ShaclReport:
        """Validate the whole default graph (asserted plus OWL 2 RL closure)."""
        data = rdflib.Graph()
        for name in self._default:
            for triple in self.graph.store.triples(name.value):
                data.add(triple_to_rdflib(triple))
        return self._validate(data, None)

    def _validate(self, data: rdflib.Graph, keep: set[rdflib.term.Node] | None) -> ShaclReport:
        _conforms, results, _text = pyshacl.validate(data, shacl_graph=self.index.shapes, inference="none",
                                                     advanced=True, allow_warnings=True)
        return ShaclReport(results, keep)

    def _quads(self, subject: object, obj: object, predicate: ox.NamedNode | None = None) -> list[ox.Quad]:
        store = self.graph.store._store  # type: ignore[attr-defined]
        return [q for name in self._default for q in store.quads_for_pattern(subject, predicate, obj, name)]

    def _subclasses(self) -> list[ox.Triple]:
        if self._subclass is None:
            sub = ox.NamedNode(str(RDFS.subClassOf))
            self._subclass = [q.triple for q in self._quads(None, None, sub)]
        return self._subclass


def install_guard(graph: KnowledgeGraph, shapes: rdflib.Graph, mode: str) -> ShaclGuard | None:
    """Have ``graph`` check every change against ``shapes`` in ``mode`` (``None``: mode ``off``)."""
    if mode == "off":
        return None
    guard = ShaclGuard(graph, shapes, mode)
    graph.checks.append(guard)
    return guard
