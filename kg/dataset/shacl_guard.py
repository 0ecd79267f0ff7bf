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
from pyshacl.graph_abstraction import DataGraph
from pyshacl.rdfutil import load_from_source
from pyshacl.shapes_graph import ShapesGraph
from rdflib.namespace import OWL, RDF, RDFS, SH

from kg.dataset.change_log import current_note
from kg.dataset.graph import KnowledgeGraph
from kg.settings import SHACL_MODES as SETTINGS_SHACL_MODES
from kg.sparql.errors import HttpError
from kg.store.oxigraph import OxigraphStore
from kg.terms import to_rdflib, triple_to_rdflib

SHACL_MODES = SETTINGS_SHACL_MODES
_NESTING = (SH.node, SH.qualifiedValueShape, SH["not"])
_LISTS = (SH["or"], SH["and"], SH.xone)
_TYPE = ox.NamedNode(str(RDF.type))


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
        self.graph = rdflib.Graph(bind_namespaces="none")
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
        self.checked = keep
        """The focus nodes validated (``None``: all)."""
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
        self.subject_targets = {ox.NamedNode(str(p)) for p in shapes.objects(None, SH.targetSubjectsOf)}
        self.node_targets = {ox.NamedNode(str(n)) for n in shapes.objects(None, SH.targetNode)
                             if isinstance(n, rdflib.URIRef)}
        implicit = {s for s in self._shapes()
                    if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, OWL.Class) in shapes}
        self.class_targets = {ox.NamedNode(str(c)) for c in {*shapes.objects(None, SH.targetClass), *implicit}}
        self.depth = max((self._depth(s, set()) for s in self._shapes()), default=1)
        closed = any(o == rdflib.Literal(True) for o in shapes.objects(None, SH.closed))
        self.read: frozenset[ox.NamedNode] | None = None if closed else frozenset(
            {*self.path_predicates, *self.subject_targets, *self.object_targets, _TYPE})
        """The predicates a validation reads (``None``: all, for closed shapes)."""
        self.value_read = frozenset({_TYPE, *self._nested_paths()})
        """The predicates read on value nodes (a value's types for ``sh:class``; nested shapes' paths)."""

    def _shapes(self) -> set[rdflib.term.Node]:
        found = {*self.shapes.subjects(RDF.type, SH.NodeShape), *self.shapes.subjects(RDF.type, SH.PropertyShape)}
        return found | set(self.shapes.subjects(SH.path, None))

    def _inside(self, shape: rdflib.term.Node) -> list[rdflib.term.Node]:
        """The shapes ``shape`` checks its value nodes (or itself) against: sh:node, sh:or members…"""
        nested = [o for p in _NESTING for o in self.shapes.objects(shape, p)]
        return nested + [m for p in _LISTS for head in self.shapes.objects(shape, p)
                         for m in rdflib.collection.Collection(self.shapes, head)]

    def _nested_paths(self) -> set[ox.NamedNode]:
        """The path predicates of the shapes nested in others (checked on value nodes)."""
        nested = {inner for shape in self._shapes() for inner in self._inside(shape)}
        found: set[ox.NamedNode] = set()
        seen: set[rdflib.term.Node] = set()
        while nested:
            shape = nested.pop()
            seen.add(shape)
            found |= {ox.NamedNode(str(p)) for p in self.shapes.objects(shape, SH.path) if isinstance(p, rdflib.URIRef)}
            nested |= {*self.shapes.objects(shape, SH.property), *self._inside(shape)} - seen
        return found

    def _depth(self, shape: rdflib.term.Node, seen: set[rdflib.term.Node]) -> int:
        """Steps of outgoing edges from a node that ``shape`` checks on it (1: its own triples)."""
        if shape in seen:
            return 1
        seen = seen | {shape}
        inner = max((self._depth(n, seen) for n in self._inside(shape)), default=0)
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
        self._loaded_shapes = load_from_source(shapes, multigraph=True, do_owl_imports=False)
        self._harvested: ShapesGraph | None = None

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
        if not self.index.local or not isinstance(self.graph.store, OxigraphStore):
            return self.full()  # paths other than predicates, or a remote store: validate everything
        affected = {node for node in self.affected(triples) if self.targeted(node)}
        if not affected:
            return ShaclReport(rdflib.Graph(bind_namespaces="none"), set())
        data = self.neighbourhood(affected)
        return self._validate(data, {to_rdflib(node) for node in affected})

    def affected(self, triples: Iterable[ox.Triple]) -> set[ox.NamedNode | ox.BlankNode]:
        """The nodes whose conformance the changed ``triples`` can change."""
        index = self.index
        nodes: set[ox.NamedNode | ox.BlankNode] = set()
        frontier: set[ox.NamedNode | ox.BlankNode] = set()
        for t in triples:
            if index.read is None or t.predicate in index.read:  # a triple no shape reads changes no result
                nodes.add(t.subject)  # type: ignore[arg-type]
            if t.predicate in index.value_read:  # read on the nodes that have this subject as a value, too
                frontier.add(t.subject)  # type: ignore[arg-type]
            if t.predicate in index.object_targets and not isinstance(t.object, ox.Literal):
                nodes.add(t.object)  # type: ignore[arg-type]
        for _ in range(index.depth - 1):
            reaching = {q.subject for node in frontier for q in self._quads(None, node)
                        if q.predicate in self.index.path_predicates}
            frontier = reaching - nodes  # type: ignore[operator]
            nodes |= frontier  # type: ignore[arg-type]
        return nodes

    def targeted(self, node: ox.NamedNode | ox.BlankNode) -> bool:
        """True if a shape targets ``node`` (the closure holds every type a class target follows)."""
        index = self.index
        if node in index.node_targets:
            return True
        out = self._quads(node, None)
        if any(q.predicate in index.subject_targets or (q.predicate == _TYPE and q.object in index.class_targets)
               for q in out):
            return True
        return any(self._quads(None, node, predicate) for predicate in index.object_targets)

    def neighbourhood(self, focus: set[ox.NamedNode | ox.BlankNode]) -> rdflib.Graph:
        """The triples within the shapes' depth of ``focus`` (outgoing), with their ``sh:targetObjectsOf`` in-edges."""
        data = rdflib.Graph(bind_namespaces="none")
        seen: set[object] = set()
        frontier: set[object] = set(focus)
        read = self.index.read
        for _ in range(self.index.depth):
            following: set[object] = set()
            for node in frontier - seen:
                for quad in self._quads(node, None):
                    if read is not None and quad.predicate not in read:
                        continue
                    if node not in focus and quad.predicate not in self.index.value_read:
                        continue  # a value node is read through the nested shapes' paths and its types only
                    data.add(triple_to_rdflib(quad.triple))
                    if not isinstance(quad.object, ox.Literal):
                        following.add(quad.object)
            seen |= frontier
            frontier = following
        for node in focus:
            for predicate in self.index.object_targets:
                for quad in self._quads(None, node, predicate):
                    data.add(triple_to_rdflib(quad.triple))
        return data

    def full(self) -> ShaclReport:
        """Validate the whole default graph (asserted plus OWL 2 RL closure)."""
        data = rdflib.Graph(bind_namespaces="none")
        for name in self._default:
            for triple in self.graph.store.triples(name.value):
                data.add(triple_to_rdflib(triple))
        return self._validate(data, None)

    def _validate(self, data: rdflib.Graph, keep: set[rdflib.term.Node] | None) -> ShaclReport:
        """pySHACL over ``data``; only ``keep``'s results (``None``: all) are kept.

        pySHACL's own ``focus_nodes`` option is not used: it filters the value nodes of nested shapes too,
        so a ``sh:qualifiedValueShape`` counts every value as conforming."""
        options = {"advanced": True, "allow_warnings": True, "inplace": True}
        validator = pyshacl.Validator(DataGraph.from_rdflib(load_from_source(data, multigraph=True)),
                                      shacl_graph=self._loaded_shapes, options=options)
        if self._harvested is None:
            self._harvested = validator.shacl_graph
        validator.shacl_graph = self._harvested  # the shapes are harvested once, not on every write
        _conforms, results, _text = validator.run()
        return ShaclReport(results, keep)

    def _quads(self, subject: object, obj: object, predicate: ox.NamedNode | None = None) -> list[ox.Quad]:
        store = self.graph.store
        assert isinstance(store, OxigraphStore)  # check() validates everything on other stores
        return [q for name in self._default for q in store.quads_for_pattern(subject, predicate, obj, name)]



def install_guard(graph: KnowledgeGraph, shapes: rdflib.Graph, mode: str) -> ShaclGuard | None:
    """Have ``graph`` check every change against ``shapes`` in ``mode`` (``None``: mode ``off``)."""
    if mode == "off":
        return None
    guard = ShaclGuard(graph, shapes, mode)
    graph.ensure_reasoned("owlrl")  # kept current by every change from now on: a refusal leaves it as it was
    graph.checks.append(guard)
    return guard
