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
* ``CLEAR``, ``DROP``, ``CREATE``, ``ADD``, ``MOVE``, ``COPY`` on graphs (``DEFAULT`` is
  ``asserted``); the inferred graphs are the reasoner's and cannot be changed;
* ``LOAD`` only when ``KG_ALLOW_LOAD`` is set.

Each operation sees the ones before it; if one fails, all are undone.  The
closures are recomputed once, when the transaction commits.

Syntax errors keep the positions of the original text: the text handed to the
parser is the original with everything but the part being checked blanked out
(newlines kept), so the parser's line and column are the user's.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.evaluation import Evaluator, InProcessEvaluator
from kg.evaluation.job import QueryJob
from kg.dataset import GraphChange, KnowledgeGraph, StoreDelta
from kg.dataset.consistency import introduced, known_inconsistencies
from kg.sparql.syntax import query_error_from
from kg.sparql.errors import QueryError
from kg.sparql.lexer import Token, tokens
from kg.sparql.safety import check_update

OPERATION_KEYWORDS = ("INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")
VARIABLE_PLACEHOLDER = "urn:x-kg-variable:"
#: Largest document ``LOAD`` reads (when enabled).
MAX_LOAD_BYTES = 256 * 1024 * 1024


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

        def count(quads: Sequence[ox.Quad], graphs: set[str] | frozenset[str]) -> int:
            return sum(1 for quad in quads if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in graphs)

        asserted = {self.asserted_graph}
        return (
            f"update done: {self.operations} operation{'s' if self.operations != 1 else ''}; "
            f"asserted triples +{count(self.delta.added, asserted)} -{count(self.delta.removed, asserted)}; "
            f"inferred triples +{count(self.delta.added, self.inferred_graphs)} -{count(self.delta.removed, self.inferred_graphs)}"
        ) + "".join("\n" + line for line in self.inconsistencies)


@dataclass(frozen=True)
class _Operation:
    """One operation of the request: its tokens and the prologue declarations before it."""

    tokens: list[Token]
    declarations: list[tuple[int, int]]
    """(start, end) offsets of every ``PREFIX``/``BASE`` declaration before the operation."""

    @property
    def keyword(self) -> str:
        return self.tokens[0].keyword or ""


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
    operations = list(_split(text))
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


def _split(text: str) -> Iterator[_Operation]:
    """The operations of ``text``, split at ``;`` outside brackets, with the declarations seen so far."""
    declarations: list[tuple[int, int]] = []
    current: list[Token] = []
    stream = list(tokens(text))
    depth = 0
    index = 0
    while index < len(stream):
        token = stream[index]
        if depth == 0 and not current and token.keyword in ("PREFIX", "BASE"):
            width = 3 if token.keyword == "PREFIX" else 2
            last = stream[min(index + width, len(stream)) - 1]
            declarations.append((token.offset, last.offset + len(last.text)))
            index += width
            continue
        if token.text in ("{", "(", "["):
            depth += 1
        elif token.text in ("}", ")", "]"):
            depth -= 1
        if depth == 0 and token.text == ";":
            if not current:
                raise _syntax(token, "an operation is missing before ';'")
            yield _Operation(current, list(declarations))
            current = []
        else:
            current.append(token)
        index += 1
    if current:
        yield _Operation(current, list(declarations))


def _syntax(token: Token, message: str) -> QueryError:
    return QueryError(f"syntax error at line {token.line}, column {token.column}: {message}", token.line, token.column)


def _masked(text: str, keep: Sequence[tuple[int, int]], writes: Sequence[tuple[int, str]] = ()) -> str:
    """``text`` blanked (newlines kept) except the ``keep`` spans, with ``writes`` put at their offsets."""
    chars = ["\n" if char == "\n" else " " for char in text]
    for start, end in keep:
        chars[start:end] = text[start:end]
    for offset, replacement in writes:
        chars[offset:offset + len(replacement)] = replacement
    return "".join(chars)


def _matching_brace(stream: Sequence[Token], index: int) -> int:
    """The index of the ``}`` closing the ``{`` at ``index``."""
    if index >= len(stream) or stream[index].text != "{":
        where = stream[min(index, len(stream) - 1)]
        raise _syntax(where, f"expected '{{', found {where.text!r}")
    depth = 0
    for position in range(index, len(stream)):
        if stream[position].text == "{":
            depth += 1
        elif stream[position].text == "}":
            depth -= 1
            if depth == 0:
                return position
    raise _syntax(stream[index], "this '{' is never closed")


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

    def run(self, operation: _Operation, change: GraphChange) -> None:
        keyword = operation.keyword
        if keyword not in OPERATION_KEYWORDS:
            raise _syntax(operation.tokens[0], f"expected an update operation ({', '.join(OPERATION_KEYWORDS)}), found {operation.tokens[0].text!r}")
        if len(operation.tokens) > 1 and operation.tokens[1].keyword == "DATA" and keyword in ("INSERT", "DELETE"):
            self._data(operation, change)
        elif keyword in ("INSERT", "DELETE", "WITH"):
            self._check_syntax(operation)
            self._modify(operation, change)
        elif keyword == "LOAD":
            self._load(operation, change)
        else:
            self._manage_graphs(operation, change)

    # -- syntax and terms -----------------------------------------------------

    def _span(self, operation: _Operation) -> tuple[int, int]:
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
            raise _syntax(token, str(error)) from None
        return scratch

    def _check_syntax(self, operation: _Operation) -> None:
        """Parse the operation (its ``WHERE`` pattern blanked: that is checked when it is evaluated)."""
        keep = [*operation.declarations, self._span(operation)]
        masked = _masked(self.text, keep)
        where = self._where_index(operation)
        if where is not None and operation.tokens[where - 1].keyword == "WHERE" and not self._is_delete_where(operation):
            close = _matching_brace(operation.tokens, where)
            start, end = operation.tokens[where].offset + 1, operation.tokens[close].offset
            masked = masked[:start] + _masked(masked[start:end], ()) + masked[end:]
        self._parse_update(masked, operation.tokens[0])

    def _is_delete_where(self, operation: _Operation) -> bool:
        stream = operation.tokens
        return len(stream) > 1 and stream[0].keyword == "DELETE" and stream[1].keyword == "WHERE"

    def _where_index(self, operation: _Operation) -> int | None:
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

    def _prologue(self, operation: _Operation) -> str:
        return "\n".join(self.text[start:end] for start, end in operation.declarations)

    def _iri(self, operation: _Operation, token: Token) -> str:
        """The absolute IRI of an IRI or prefixed-name token, resolved as the parser would."""
        if token.kind not in ("IRI", "PNAME"):
            raise _syntax(token, f"expected an IRI, found {token.text!r}")
        document = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in self.prefixes.items())
        document += self._prologue(operation) + f"\n{token.text} <urn:x-kg:p> <urn:x-kg:o> .\n"
        try:
            quads = list(ox.parse(document, format=ox.RdfFormat.TURTLE, base_iri=self.base))
        except SyntaxError:
            raise _syntax(token, f"{token.text} is not a valid IRI here (undeclared prefix?)") from None
        return quads[0].subject.value

    def _braces_text(self, operation: _Operation, open_index: int) -> tuple[int, str]:
        """(index of the closing brace, the text between the braces at ``open_index``)."""
        close = _matching_brace(operation.tokens, open_index)
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

    def _template(self, operation: _Operation, body: str) -> list[ox.Quad]:
        """The quads of a template or data block (variables as placeholder IRIs, blank nodes kept per block)."""
        scratch = self._parse_update(f"{self._prologue(operation)}\nINSERT DATA {{ {body} }}", operation.tokens[0])
        return list(scratch.quads_for_pattern(None, None, None, None))

    # -- INSERT / DELETE ----------------------------------------------------------

    def _data(self, operation: _Operation, change: GraphChange) -> None:
        """``INSERT DATA`` / ``DELETE DATA``: the block read by the engine's parser (new blank nodes for INSERT)."""
        masked = _masked(self.text, [*operation.declarations, self._span(operation)])
        scratch = self._parse_update(masked, operation.tokens[0])
        if operation.keyword == "DELETE":
            # Parsed once as written (which refuses blank nodes and variables), read as an INSERT of the same length.
            verb = operation.tokens[0].offset
            scratch = self._parse_update(masked[:verb] + "INSERT" + masked[verb + 6:], operation.tokens[0])
        quads = list(scratch.quads_for_pattern(None, None, None, None))
        if operation.keyword == "INSERT":
            change.apply(quads, [])
        else:
            change.apply([], quads)

    def _modify(self, operation: _Operation, change: GraphChange) -> None:
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
        self, operation: _Operation, open_index: int, with_graph: str | None, using: list[str], using_named: list[str],
        change: GraphChange,
    ) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """Solutions of the ``WHERE`` pattern whose ``{`` is at ``open_index``, on the operation's dataset, as a
        query of the evaluator: under its limits, and seeing the changes of the request's earlier operations."""
        stream = operation.tokens
        close = _matching_brace(stream, open_index)
        verb = next(t for t in stream if t.keyword in ("DELETE", "INSERT"))
        after_verb = stream[stream.index(verb) + 1]
        # The pattern stays where the user wrote it, so that errors point at the user's line and column.
        select = _masked(
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
            named = self.graph.named_graphs()
        job = QueryJob(select, "none", tuple(default or ()), tuple(named), solutions_format="json", graph_format=None)
        outcome = self.evaluator.evaluate(job, change.pending())
        if not outcome.ok:
            error = QueryError(f"the WHERE pattern of this update: {outcome.message}",
                               outcome.line, outcome.column)
            error.status = outcome.status
            raise error
        if outcome.truncated:
            raise QueryError(f"the WHERE pattern of this update has more than {outcome.rows:,} solutions "
                             "(KG_MAX_RESULT_ROWS); nothing was changed: split the update into smaller ones")
        answer = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
        assert isinstance(answer, ox.QuerySolutions)  # the job is a SELECT by construction
        names = [variable.value for variable in answer.variables]
        return [{name: value for name, value in zip(names, row) if value is not None} for row in answer]

    # -- graph management -----------------------------------------------------

    def _graph_reference(self, operation: _Operation, index: int, allowed: tuple[str, ...]) -> tuple[str, int]:
        """(``DEFAULT``/``NAMED``/``ALL`` or an IRI, next index) for the graph named at ``index``."""
        stream = operation.tokens
        if index >= len(stream):
            raise _syntax(stream[-1], f"expected {' or '.join(allowed)} after {stream[-1].text}")
        token = stream[index]
        if token.keyword in allowed and token.keyword != "GRAPH":
            return token.keyword, index + 1
        if token.keyword == "GRAPH" and "GRAPH" in allowed and index + 1 < len(stream):
            return self._iri(operation, stream[index + 1]), index + 2
        if "IRI" in allowed and token.kind in ("IRI", "PNAME"):
            return self._iri(operation, token), index + 1
        shown = [word if word != "IRI" else "an IRI" for word in allowed]
        raise _syntax(token, f"expected {', '.join(shown[:-1])} or {shown[-1]}, found {token.text!r}")

    def _manage_graphs(self, operation: _Operation, change: GraphChange) -> None:
        stream = operation.tokens
        keyword = operation.keyword
        index = 1
        silent = len(stream) > 1 and stream[1].keyword == "SILENT"
        index += silent
        if keyword in ("CLEAR", "DROP"):
            target, index = self._graph_reference(operation, index, ("GRAPH", "DEFAULT", "NAMED", "ALL"))
            self._end(operation, index)
            graphs = self._targets(target, stream[0])
            change.apply([], [quad for graph in graphs for quad in self._quads(graph)])
        elif keyword == "CREATE":
            target, index = self._graph_reference(operation, index, ("GRAPH",))
            self._end(operation, index)
            self._refuse_closure(target, stream[0])
            if (target == self.asserted or self._quads(target)) and not silent:
                raise QueryError(f"CREATE GRAPH: the graph <{target}> already exists")
        else:
            source, index = self._graph_reference(operation, index, ("GRAPH", "DEFAULT", "IRI"))
            if index >= len(stream) or stream[index].keyword != "TO":
                raise _syntax(stream[min(index, len(stream) - 1)], f"expected TO after the source graph of {keyword}")
            target, index = self._graph_reference(operation, index + 1, ("GRAPH", "DEFAULT", "IRI"))
            self._end(operation, index)
            source = self.asserted if source == "DEFAULT" else source
            target = self.asserted if target == "DEFAULT" else target
            self._refuse_closure(target, stream[0])
            if keyword == "MOVE":
                self._refuse_closure(source, stream[0])
            if source == target:
                return
            triples = self._quads(source)
            if not triples and source != self.asserted:
                if silent:
                    return
                raise QueryError(f"{keyword}: the source graph <{source}> does not exist (it holds no triples)")
            moved = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(target)) for q in triples]
            deleted = self._quads(target) if keyword in ("COPY", "MOVE") else []
            if keyword == "MOVE":
                deleted += triples
            change.apply(moved, deleted)

    def _end(self, operation: _Operation, index: int) -> None:
        if index < len(operation.tokens):
            token = operation.tokens[index]
            raise _syntax(token, f"unexpected {token.text!r} after the {operation.keyword} operation (missing ';'?)")

    def _targets(self, target: str, token: Token) -> list[str]:
        """The graphs ``CLEAR``/``DROP`` empties (``DEFAULT`` is ``asserted``; ``NAMED`` and ``ALL`` spare the closures)."""
        if target == "DEFAULT":
            return [self.asserted]
        changeable = [name for name in self.graph.named_graphs() if name not in self.inferred]
        if target == "ALL":
            return list(dict.fromkeys([self.asserted, *changeable]))
        if target == "NAMED":
            return [name for name in changeable if name != self.asserted]
        self._refuse_closure(target, token)
        return [target]

    def _refuse_closure(self, graph: str, token: Token) -> None:
        if graph in self.inferred:
            raise QueryError(
                f"{token.text.upper()} at line {token.line}, column {token.column}: the graph <{graph}> is computed "
                "by the reasoner and cannot be changed; change the asserted data instead",
                token.line, token.column,
            )

    def _quads(self, graph: str) -> list[ox.Quad]:
        name = ox.NamedNode(graph)
        return [ox.Quad(*triple, name) for triple in self.graph.store.triples(graph)]

    # -- LOAD ---------------------------------------------------------------------

    def _load(self, operation: _Operation, change: GraphChange) -> None:
        stream = operation.tokens
        index = 1 + (len(stream) > 1 and stream[1].keyword == "SILENT")
        silent = index == 2
        if index >= len(stream):
            raise _syntax(stream[-1], "expected the IRI of the document to load")
        source = self._iri(operation, stream[index])
        index += 1
        target = ox.DefaultGraph()
        if index < len(stream) and stream[index].keyword == "INTO":
            graph, index = self._graph_reference(operation, index + 1, ("GRAPH",))
            self._refuse_closure(graph, stream[0])
            target = ox.NamedNode(graph)
        self._end(operation, index)
        try:
            triples = _fetch_triples(source, self.graph.settings.query_timeout)
        except (OSError, SyntaxError, ValueError) as error:
            if silent:
                return
            raise QueryError(f"LOAD <{source}> failed: {error}") from None
        change.apply([ox.Quad(*triple, target) for triple in triples], [])


def _fetch_triples(iri: str, timeout: float) -> list[ox.Triple]:
    """The triples of the RDF document at ``iri`` (format from its media type, else its extension)."""
    request = urllib.request.Request(iri, headers={"Accept": "text/turtle, application/n-triples, application/rdf+xml;q=0.9, "
                                                            "application/ld+json;q=0.8, application/trig;q=0.8, application/n-quads;q=0.8"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — only reached when KG_ALLOW_LOAD is set
        data = response.read(MAX_LOAD_BYTES + 1)
        media_type = (response.headers.get_content_type() or "").lower()
    if len(data) > MAX_LOAD_BYTES:
        raise ValueError(f"the document is larger than {MAX_LOAD_BYTES:,} bytes")
    rdf_format = ox.RdfFormat.from_media_type(media_type) or ox.RdfFormat.from_extension(iri.rsplit(".", 1)[-1])
    if rdf_format is None:
        raise ValueError(f"cannot tell the RDF format of the document (media type {media_type or 'unknown'})")
    if rdf_format == ox.RdfFormat.RDF_XML and b"<!ENTITY" in data:
        # pyoxigraph expands internal entities without bound: 300 bytes of nested ones make a literal of gigabytes.
        raise ValueError("the RDF/XML document declares XML entities (<!ENTITY …>), which are refused")
    return [quad.triple for quad in ox.parse(data, format=rdf_format, base_iri=iri)]


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
