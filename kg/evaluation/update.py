"""SPARQL 1.1 Update on the knowledge graph, as exact changes of the asserted data.

Every term is read by pyoxigraph's own parser, so an update stores exactly what
the same text would in Oxigraph.  The request is split into operations on the
lexer's tokens; then, inside one :meth:`KnowledgeGraph.changing` transaction:

* ``INSERT DATA`` / ``DELETE DATA`` — the quads, read by running the data block on
  an empty scratch store;
* ``DELETE``/``INSERT`` … ``WHERE`` and ``DELETE WHERE`` — the ``WHERE`` pattern is
  evaluated by pyoxigraph on the graph (default graph ``asserted``, or ``WITH``,
  ``USING`` or the protocol's ``using-graph-uri``), then the templates are
  instantiated per solution (unbound or ill-typed triples skipped, fresh blank
  nodes per solution);
* ``CLEAR``, ``DROP``, ``CREATE``, ``ADD``, ``MOVE``, ``COPY`` and ``LOAD`` (only when
  ``KG_ALLOW_LOAD`` is set) on whole graphs: :mod:`kg.evaluation.update_graphs`.

Each operation sees the ones before it; if one fails, all are undone.  The
closures are brought up to date once, when the transaction commits.  Reading the
request's structure (operations, prologues, positions kept by blanking out the
rest of the text) is :mod:`kg.sparql.update_syntax`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.evaluation import Evaluator, InProcessEvaluator
from kg.evaluation.job import QueryJob, Solution, TooManySolutions
from kg.dataset import GraphChange, KnowledgeGraph, StoreDelta
from kg.dataset.consistency import introduced, known_inconsistencies
from kg.sparql.syntax import query_error_from
from kg.sparql.errors import QueryError
from kg.sparql.lexer import Token, iri_of, prologue, tokens
from kg.sparql.safety import check_update
from kg.evaluation.update_graphs import GraphOperations
from kg.sparql.update_syntax import Operation, blank_out, matching_brace, split_operations, syntax_error

OPERATION_KEYWORDS = ("INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")
VARIABLE_PLACEHOLDER = "urn:x-kg-variable:"


@dataclass(frozen=True)
class UpdateReport:
    """What an update did: operations run and the exact change of the store."""

    operations: int
    delta: StoreDelta
    asserted_graph: str
    inferred_graphs: frozenset[str]
    inconsistencies: tuple[str, ...] = ()
    """One line for each inconsistency the update's commit brought in (see :func:`kg.dataset.consistency.introduced`)."""

    def summary(self) -> str:
        """The HTTP answer: operations, asserted and inferred triples added and removed; then any inconsistency, one a line."""
        return (f"update done: {self.operations} operation{'s' if self.operations != 1 else ''}; "
                f"{describe_delta(self.delta, self.asserted_graph, self.inferred_graphs)}"
                + "".join("\n" + line for line in self.inconsistencies))


def describe_delta(delta: StoreDelta, asserted_graph: str, inferred_graphs: frozenset[str]) -> str:
    """``asserted triples +A -R; inferred triples +A -R``: what a change did to the default graph and closures."""

    def count(quads: Sequence[ox.Quad], graphs: set[str] | frozenset[str]) -> int:
        return sum(1 for quad in quads if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in graphs)

    asserted = {asserted_graph}
    return (f"asserted triples +{count(delta.added, asserted)} -{count(delta.removed, asserted)}; "
            f"inferred triples +{count(delta.added, inferred_graphs)} -{count(delta.removed, inferred_graphs)}")


def run_update(
    graph: KnowledgeGraph,
    text: str,
    using_graph_uris: Sequence[str] = (),
    using_named_graph_uris: Sequence[str] = (),
    evaluator: Evaluator | None = None,
) -> UpdateReport:
    """Apply the SPARQL Update ``text`` atomically; a :class:`QueryError` (nothing changed) if it cannot be.

    ``WHERE`` patterns are evaluated by ``evaluator`` (``kg serve``'s worker pool: under the query time limit),
    or in this thread without a time limit when there is none.
    """
    check_update(text, graph.settings)
    operations = list(split_operations(text))
    protocol_dataset = bool(using_graph_uris or using_named_graph_uris)
    if protocol_dataset:
        for operation in operations:
            for token in operation.tokens:
                if token.keyword in ("USING", "WITH"):
                    raise QueryError(
                        f"{token.keyword} at line {token.line}, column {token.column} conflicts with the "
                        "using-graph-uri/using-named-graph-uri parameters; use one or the other",
                        token.line, token.column,
                    )
    executor = _Executor(graph, text, tuple(using_graph_uris), tuple(using_named_graph_uris),
                         evaluator or InProcessEvaluator(graph, graph.settings))
    before = known_inconsistencies(graph)
    with graph.changing() as change:
        for operation in operations:
            executor.run(operation, change)
    found = introduced(before, known_inconsistencies(graph))
    return UpdateReport(len(operations), change.delta, graph.layout.asserted, graph.layout.closure_graphs, tuple(found))


class _Executor:
    """Runs operations of one request against the graph, inside its transaction."""

    def __init__(self, graph: KnowledgeGraph, text: str, using: tuple[str, ...], using_named: tuple[str, ...],
                 evaluator: Evaluator) -> None:
        self.graph = graph
        self.evaluator = evaluator
        self.text = text
        self.using = using
        self.using_named = using_named
        self.base = graph.settings.base_uri
        self.prefixes = graph.namespaces.prefixes()
        self.asserted = graph.layout.asserted
        self.inferred = graph.layout.closure_graphs
        self.graphs = GraphOperations(graph, self._iri)

    def run(self, operation: Operation, change: GraphChange) -> None:
        keyword = operation.keyword
        if keyword not in OPERATION_KEYWORDS:
            raise syntax_error(operation.tokens[0], f"expected an update operation ({', '.join(OPERATION_KEYWORDS)}), found {operation.tokens[0].text!r}")
        if len(operation.tokens) > 1 and operation.tokens[1].keyword == "DATA" and keyword in ("INSERT", "DELETE"):
            self._data(operation, change)
        elif keyword in ("INSERT", "DELETE", "WITH"):
            self._checksyntax_error(operation)
            self._modify(operation, change)
        elif keyword == "LOAD":
            self.graphs.load(operation, change)
        else:
            self.graphs.manage(operation, change)

    # -- syntax and terms -----------------------------------------------------

    def _span(self, operation: Operation) -> tuple[int, int]:
        first, last = operation.tokens[0], operation.tokens[-1]
        return first.offset, last.offset + len(last.text)

    def _parse_update(self, update: str, token: Token) -> ox.Store:
        """Run ``update`` on an empty scratch store (a syntax check, and how data blocks are read)."""
        scratch = ox.Store()
        try:
            scratch.update(update, base_iri=self.base, prefixes=self.prefixes)
        except SyntaxError as error:
            raise query_error_from(error, self.text) from None
        except (OSError, RuntimeError) as error:
            raise syntax_error(token, str(error)) from None
        return scratch

    def _checksyntax_error(self, operation: Operation) -> None:
        """Parse the operation (its ``WHERE`` pattern blanked: that is checked when it is evaluated)."""
        keep = [*operation.declarations, self._span(operation)]
        masked = blank_out(self.text, keep)
        where = self._where_index(operation)
        if where is not None and operation.tokens[where - 1].keyword == "WHERE" and not self._is_delete_where(operation):
            close = matching_brace(operation.tokens, where)
            start, end = operation.tokens[where].offset + 1, operation.tokens[close].offset
            masked = masked[:start] + blank_out(masked[start:end], ()) + masked[end:]
        self._parse_update(masked, operation.tokens[0])

    def _is_delete_where(self, operation: Operation) -> bool:
        stream = operation.tokens
        return len(stream) > 1 and stream[0].keyword == "DELETE" and stream[1].keyword == "WHERE"

    def _where_index(self, operation: Operation) -> int | None:
        """Index of the ``{`` opening the ``WHERE`` pattern (depth 0), if the operation has one."""
        depth = 0
        for index, token in enumerate(operation.tokens):
            if token.text == "{":
                depth += 1
            elif token.text == "}":
                depth -= 1
            elif depth == 0 and token.keyword == "WHERE":
                return index + 1
        return None

    def _prologue(self, operation: Operation) -> str:
        return "\n".join(self.text[start:end] for start, end in operation.declarations)

    def _iri(self, operation: Operation, token: Token) -> str:
        """The absolute IRI of an IRI or prefixed-name token, resolved by the operation's prologue."""
        if token.kind not in ("IRI", "PNAME"):
            raise syntax_error(token, f"expected an IRI, found {token.text!r}")
        prefixes, base = prologue(list(tokens(self._prologue(operation))), self.prefixes, self.base)
        iri = iri_of(token, prefixes, base)
        if iri is None:
            raise syntax_error(token, f"{token.text} is not a valid IRI here (undeclared prefix?)")
        return iri

    def _braces_text(self, operation: Operation, open_index: int) -> tuple[int, str]:
        """(index of the closing brace, the text between the braces at ``open_index``)."""
        close = matching_brace(operation.tokens, open_index)
        start, end = operation.tokens[open_index].offset + 1, operation.tokens[close].offset
        return close, self._text_with_placeholders(operation.tokens[open_index + 1:close], start, end)

    def _text_with_placeholders(self, inner: Sequence[Token], start: int, end: int) -> str:
        """``text[start:end]`` with every variable replaced by a placeholder IRI (so a data parser reads it)."""
        parts, position = [], start
        for token in inner:
            if token.kind == "VAR":
                parts.append(self.text[position:token.offset])
                parts.append(f"<{VARIABLE_PLACEHOLDER}{token.text[1:]}>")
                position = token.offset + len(token.text)
        parts.append(self.text[position:end])
        return "".join(parts)

    def _template(self, operation: Operation, body: str) -> list[ox.Quad]:
        """The quads of a template or data block (variables as placeholder IRIs, blank nodes kept per block)."""
        scratch = self._parse_update(f"{self._prologue(operation)}\nINSERT DATA {{ {body} }}", operation.tokens[0])
        return list(scratch.quads_for_pattern(None, None, None, None))

    # -- INSERT / DELETE ----------------------------------------------------------

    def _data(self, operation: Operation, change: GraphChange) -> None:
        """``INSERT DATA`` / ``DELETE DATA``: the block read by the engine's parser (new blank nodes for INSERT)."""
        masked = blank_out(self.text, [*operation.declarations, self._span(operation)])
        if operation.keyword == "DELETE":
            for token in operation.tokens[2:]:  # the grammar's QuadData of DELETE DATA: no variable, no blank node
                if token.kind in ("VAR", "BNODE") or token.text in ("[", "("):
                    what = "variables" if token.kind == "VAR" else "blank nodes"
                    raise syntax_error(token, f"DELETE DATA cannot contain {what} (found {token.text!r}); use DELETE WHERE")
            verb = operation.tokens[0].offset  # read as the INSERT DATA of the same length
            masked = masked[:verb] + "INSERT" + masked[verb + 6:]
        scratch = self._parse_update(masked, operation.tokens[0])
        quads = list(scratch.quads_for_pattern(None, None, None, None))
        if operation.keyword == "INSERT":
            change.apply(quads, [])
        else:
            change.apply([], quads)

    def _modify(self, operation: Operation, change: GraphChange) -> None:
        """``DELETE``/``INSERT`` … ``WHERE`` and ``DELETE WHERE``: templates instantiated per solution."""
        stream = operation.tokens
        index, with_graph = 0, None
        if stream[0].keyword == "WITH":
            with_graph, index = self._iri(operation, stream[1]), 2
        delete_template: list[ox.Quad] = []
        insert_template: list[ox.Quad] = []
        using: list[str] = []
        using_named: list[str] = []
        if self._is_delete_where(operation):
            _, body = self._braces_text(operation, 2)
            delete_template = self._template(operation, body)
            where = 2
        else:
            if stream[index].keyword == "DELETE":
                index, body = self._braces_text(operation, index + 1)
                delete_template = self._template(operation, body)
                index += 1
            if stream[index].keyword == "INSERT":
                index, body = self._braces_text(operation, index + 1)
                insert_template = self._template(operation, body)
                index += 1
            while stream[index].keyword == "USING":
                if stream[index + 1].keyword == "NAMED":
                    using_named.append(self._iri(operation, stream[index + 2]))
                    index += 3
                else:
                    using.append(self._iri(operation, stream[index + 1]))
                    index += 2
            where = index + 1
        solutions = self._where(operation, where, with_graph, using, using_named, change)
        target = ox.NamedNode(with_graph) if with_graph else ox.DefaultGraph()
        deleted: list[ox.Quad] = []
        inserted: list[ox.Quad] = []
        for solution in solutions:
            deleted += _instantiate(delete_template, solution, target)
            inserted += _instantiate(insert_template, solution, target)
        change.apply(inserted, deleted)

    def _where(
        self, operation: Operation, open_index: int, with_graph: str | None, using: list[str], using_named: list[str],
        change: GraphChange,
    ) -> list[Solution]:
        """Solutions of the ``WHERE`` pattern whose ``{`` is at ``open_index``, on the operation's dataset, as a
        query of the evaluator: under its limits, and seeing the changes of the request's earlier operations."""
        stream = operation.tokens
        close = matching_brace(stream, open_index)
        verb = next(t for t in stream if t.keyword in ("DELETE", "INSERT"))
        after_verb = stream[stream.index(verb) + 1]
        # The pattern stays where the user wrote it, so that errors point at the user's line and column.
        select = blank_out(
            self.text,
            [*operation.declarations, (stream[open_index].offset, stream[close].offset + 1)],
            [(verb.offset, "SELECT"), (after_verb.offset, "*")],
        )
        if self.using or self.using_named:
            default, named = list(self.using), list(self.using_named)
        elif using or using_named:
            default, named = using, using_named
        else:
            default = [with_graph or self.asserted]
            named = self.graph.graphs_for(self.text)
        job = QueryJob(select, "none", tuple(default or ()), tuple(named), solutions_format="json", graph_format=None)
        try:
            return self.evaluator.solutions(job, change.pending())
        except TooManySolutions as error:
            raise QueryError(f"the WHERE pattern of this update has {error.message}; nothing was changed: "
                             "split the update into smaller ones") from None
        except QueryError as error:
            wrapped = QueryError(f"the WHERE pattern of this update: {error.message}", error.line, error.column)
            wrapped.status = error.status
            raise wrapped from None


def _instantiate(
    template: Sequence[ox.Quad], solution: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal], default_graph: ox.NamedNode | ox.DefaultGraph
) -> list[ox.Quad]:
    """The quads of ``template`` under ``solution``: unbound or ill-typed ones skipped, blank nodes fresh."""
    fresh: dict[ox.BlankNode, ox.BlankNode] = {}

    def bind(term: object) -> object:
        if isinstance(term, ox.NamedNode) and term.value.startswith(VARIABLE_PLACEHOLDER):
            return solution.get(term.value[len(VARIABLE_PLACEHOLDER):])
        if isinstance(term, ox.BlankNode):
            return fresh.setdefault(term, ox.BlankNode())
        return term

    quads: list[ox.Quad] = []
    for quad in template:
        subject, predicate, obj = bind(quad.subject), bind(quad.predicate), bind(quad.object)
        graph = default_graph if isinstance(quad.graph_name, ox.DefaultGraph) else bind(quad.graph_name)
        if not isinstance(subject, ox.NamedNode | ox.BlankNode) or not isinstance(predicate, ox.NamedNode):
            continue
        if obj is None or not isinstance(graph, ox.NamedNode | ox.DefaultGraph):
            continue
        quads.append(ox.Quad(subject, predicate, obj, graph))  # type: ignore[arg-type]
    return quads
