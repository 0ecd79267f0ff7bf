"""The W3C SPARQL 1.0/1.1 query-evaluation tests: manifests, datasets, expected results and their comparison.

The suites are the copy at ``../shared/conformance/sparql`` next to the repository (see its ``SOURCE.md``).
:func:`runnable_tests` lists every ``mf:QueryEvaluationTest`` of ``sparql10/manifest-evaluation.ttl`` and
``sparql11/manifest-sparql11-query.ttl`` (and the manifests they include); :func:`dataset_file` writes a test's
dataset to one N-Quads file (``qt:data`` in the default graph, each ``qt:graphData`` file, or each file a
``FROM``/``FROM NAMED`` clause names, as a named graph named by the file's URL); three runners answer a test —
:func:`run_cli` (``kg query``), :func:`run_endpoint` (``/sparql``) and :func:`run_pyoxigraph` (the engine alone,
for comparison) — and :func:`compare` says how an answer differs from the expected one: blank nodes match by one
bijection over the whole answer, order counts only under a top-level ``ORDER BY``, literals compare as terms
once typed literals are normalised through a store (as Oxigraph's harness does: a store keeps numbers and
booleans by value), and rows of a ``SELECT REDUCED`` compare as sets (it may drop any duplicates).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urljoin

import pyoxigraph as ox
import rdflib
from flask import Flask
from rdflib.namespace import RDF

from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from kg.sparql.lexer import tokens

SUITES = Path(os.environ.get("W3C_SPARQL_SUITES") or
              Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "sparql")
"""The W3C suites: ``../shared/conformance/sparql`` from the repository root, or ``$W3C_SPARQL_SUITES``."""
PREFIX = "https://w3c.github.io/rdf-tests/sparql/"
"""The URL of :data:`SUITES`: test ids and base IRIs are under it."""
MANIFESTS = ("sparql10/manifest-evaluation.ttl", "sparql11/manifest-sparql11-query.ttl")

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
DAWGT = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
ENTAILMENT = (rdflib.URIRef("http://www.w3.org/ns/sparql#entailmentRegime"),
              rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#entailmentRegime"))
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
XSD = "http://www.w3.org/2001/XMLSchema#"
REJECTED = {DAWGT.NotApproved, DAWGT.Withdrawn, DAWGT.Rejected}
TEST_TYPES = {MF.QueryEvaluationTest: "QueryEvaluationTest", MF.CSVResultFormatTest: "CSVResultFormatTest"}

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = tuple[Term | None, ...]


class SuitesMissing(Exception):
    """The W3C suites are not next to the repository."""


# -- the tests --------------------------------------------------------------------


@dataclass(frozen=True)
class W3CTest:
    """One query-evaluation test of a manifest."""

    id: str
    """Readable and unique: ``sparql11/aggregates/agg01`` (suite, folder, the entry's local name)."""
    iri: str
    """``https://w3c.github.io/rdf-tests/sparql/<suite>/<folder>/manifest#<name>``."""
    kind: str
    query: Path
    data: tuple[Path, ...]
    graph_data: tuple[Path, ...]
    result: Path | None
    skip: str | None = None
    """Why the test cannot run here (federation, entailment, an mf:requires, a rejected approval), if so."""

    @property
    def base_iri(self) -> str:
        """The URL of the query file's folder: the query's base IRI."""
        return file_url(self.query.parent) + "/"

    @property
    def query_text(self) -> str:
        """The query."""
        return self.query.read_text(encoding="utf-8")


def file_url(path: Path) -> str:
    """The URL of a file (or folder) of the suites."""
    return PREFIX + path.resolve().relative_to(SUITES.resolve()).as_posix()


def _local(url: str) -> Path:
    if not url.startswith(PREFIX):
        raise ValueError(f"not a file of the suites: {url}")
    return SUITES / url[len(PREFIX):]


def require_suites() -> Path:
    """The suites' folder; :class:`SuitesMissing` saying where it was looked for if absent."""
    if not (SUITES / MANIFESTS[0]).is_file():
        raise SuitesMissing(f"W3C SPARQL suites not found at {SUITES} (see the repository's CI setup)")
    return SUITES


@functools.cache
def all_tests() -> tuple[W3CTest, ...]:
    """Every query-evaluation test of the two manifests and those they include, runnable or not, in manifest order."""
    require_suites()
    found: list[W3CTest] = []
    seen: set[str] = set()
    for manifest in MANIFESTS:
        _read_manifest(PREFIX + manifest, found, seen)
    return tuple(found)


def runnable_tests() -> tuple[W3CTest, ...]:
    """The tests that can run here (see :attr:`W3CTest.skip`)."""
    return tuple(test for test in all_tests() if test.skip is None)


def _read_manifest(url: str, found: list[W3CTest], seen: set[str]) -> None:
    if url in seen:
        return
    seen.add(url)
    graph = rdflib.Graph()
    graph.parse(_local(url), format="turtle", publicID=url)
    manifest = rdflib.URIRef(url)
    for included in graph.objects(manifest, MF.include):
        for item in rdflib.collection.Collection(graph, included):
            _read_manifest(str(item), found, seen)
    for entries in graph.objects(manifest, MF.entries):
        for entry in rdflib.collection.Collection(graph, entries):
            kind = next((TEST_TYPES[t] for t in graph.objects(entry, RDF.type) if t in TEST_TYPES), None)
            if kind is not None:
                found.append(_test(graph, url, entry, kind))


def _test(graph: rdflib.Graph, manifest_url: str, entry: rdflib.term.Node, kind: str) -> W3CTest:
    folder = manifest_url.rsplit("/", 1)[0]
    name = str(entry).rsplit("#", 1)[-1]
    action = graph.value(entry, MF.action)
    query = _local(str(graph.value(action, QT.query)))
    data = tuple(sorted(_local(str(d)) for d in graph.objects(action, QT.data)))
    graph_data = tuple(sorted(_local(str(d)) for d in graph.objects(action, QT.graphData)))
    result = graph.value(entry, MF.result)
    skip = None
    requires = sorted(str(r).rsplit("#", 1)[-1] for r in graph.objects(entry, MF.requires))
    approval = graph.value(entry, DAWGT.approval)
    if requires:
        skip = "requires " + ", ".join(requires)
    elif approval in REJECTED:
        skip = f"approval: {str(approval).rsplit('#', 1)[-1]}"
    elif any(graph.value(action, p) is not None for p in ENTAILMENT):
        skip = "entailment regime"
    elif graph.value(action, QT.serviceData) is not None or "SERVICE" in _keywords(query.read_text(encoding="utf-8")):
        skip = "federation (SERVICE)"
    elif result is None:
        skip = "no expected result"
    return W3CTest(
        id=f"{folder[len(PREFIX):]}/{name}",
        iri=f"{folder}/manifest#{name}",
        kind=kind,
        query=query,
        data=data,
        graph_data=graph_data,
        result=_local(str(result)) if result is not None else None,
        skip=skip,
    )


def _keywords(text: str) -> set[str]:
    return {token.keyword for token in tokens(text) if token.keyword}


def query_form(text: str) -> str:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the query's form."""
    for token in tokens(text):
        if token.keyword in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return token.keyword
    raise ValueError("not a query")


def is_ordered(text: str) -> bool:
    """True if the query has a top-level ``ORDER BY`` (outside every ``{}``)."""
    depth = 0
    for token in tokens(text):
        if token.kind == "OP" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
        elif depth == 0 and token.keyword == "ORDER":
            return True
    return False


def dataset_clauses(text: str, base_iri: str) -> tuple[list[str], list[str]]:
    """The IRIs of the query's ``FROM`` and ``FROM NAMED`` clauses, resolved against ``base_iri``."""
    default: list[str] = []
    named: list[str] = []
    items = list(tokens(text))
    for index, token in enumerate(items):
        if token.keyword != "FROM":
            continue
        is_named = index + 1 < len(items) and items[index + 1].keyword == "NAMED"
        target = items[index + 2 if is_named else index + 1] if index + (2 if is_named else 1) < len(items) else None
        if target is not None and target.kind == "IRI":
            (named if is_named else default).append(urljoin(base_iri, target.text[1:-1]))
    return default, named


# -- datasets ---------------------------------------------------------------------


def _parse_file(path: Path) -> list[ox.Triple]:
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise ValueError(f"unknown RDF format: {path}")
    return [quad.triple for quad in ox.parse(path=path, format=fmt, base_iri=file_url(path))]


def dataset_loads(test: W3CTest) -> tuple[tuple[Path, str | None], ...]:
    """The files of the test's dataset and the graph each goes to (``None``: the default graph).

    ``qt:data`` goes to the default graph; ``qt:graphData`` files (or, when the test names no data, the files of
    the query's ``FROM`` and ``FROM NAMED``) to graphs named by their URLs.
    """
    named = list(test.graph_data)
    if not test.data and not test.graph_data:
        default_iris, named_iris = dataset_clauses(test.query_text, test.base_iri)
        named = [_local(iri) for iri in dict.fromkeys(default_iris + named_iris) if iri.startswith(PREFIX)]
    return (*((p, None) for p in test.data), *((p, file_url(p)) for p in named))


def dataset_quads(test: W3CTest) -> list[ox.Quad]:
    """The test's dataset (see :func:`dataset_loads`); each file's blank nodes are its own (relabelled per file)."""
    quads: list[ox.Quad] = []
    for index, (path, graph) in enumerate(dataset_loads(test)):
        graph_name = ox.NamedNode(graph) if graph else ox.DefaultGraph()

        def relabel(term: Term, index: int = index) -> Term:
            return ox.BlankNode(f"f{index}x{term.value}") if isinstance(term, ox.BlankNode) else term
        for triple in _parse_file(path):
            quads.append(ox.Quad(relabel(triple.subject), triple.predicate, relabel(triple.object), graph_name))
    return quads


def dataset_key(test: W3CTest) -> tuple[object, ...]:
    """What makes a test's dataset and settings: tests with the same key can share one graph and app."""
    return (test.base_iri, dataset_loads(test))


_DATASET_DIR: Path | None = None
_DATASET_FILES: dict[tuple[object, ...], Path] = {}


def dataset_file(test: W3CTest) -> Path:
    """The test's dataset (see :func:`dataset_quads`) as an N-Quads file, written once per process and dataset."""
    global _DATASET_DIR
    if _DATASET_DIR is None:
        _DATASET_DIR = Path(tempfile.mkdtemp(prefix="w3c-sparql-"))
        atexit.register(shutil.rmtree, _DATASET_DIR, ignore_errors=True)
    key = dataset_key(test)
    if key not in _DATASET_FILES:
        path = _DATASET_DIR / f"{len(_DATASET_FILES)}-{test.id.replace('/', '__')}.nq"
        path.write_bytes(ox.serialize(dataset_quads(test), format=ox.RdfFormat.N_QUADS) or b"")
        _DATASET_FILES[key] = path
    return _DATASET_FILES[key]


def settings_for(test: W3CTest) -> Settings:
    """Our settings for a test: its query's base IRI is the base (our CLI and endpoint resolve queries against it)."""
    return Settings(base_uri=test.base_iri)


def build_graph(settings: Settings, nquads: Path) -> KnowledgeGraph:
    """Our knowledge graph over one N-Quads file: the one place that builds a graph from files."""
    return open_dataset(settings, [RdfSource(nquads)])


# -- answers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Solutions:
    """A SELECT answer: variables and rows (a term or ``None`` per variable, in ``variables`` order)."""

    variables: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Graph:
    """A CONSTRUCT or DESCRIBE answer."""

    triples: tuple[tuple[Term, Term, Term], ...]


Answer = bool | Solutions | Graph


def from_query_results(results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> Answer:
    """An answer from what pyoxigraph returns (a query's answer or parsed results)."""
    if isinstance(results, ox.QueryBoolean):
        return bool(results)
    if isinstance(results, ox.QueryTriples):
        return Graph(tuple((t.subject, t.predicate, t.object) for t in results))
    variables = tuple(v.value for v in results.variables)
    return Solutions(variables, tuple(tuple(row[name] for name in variables) for row in results))


@functools.cache
def expected_answer(path: Path) -> Answer:
    """The expected result of a test (.srx, .srj, .tsv, .csv; .ttl/.rdf: a graph or an ``rs:ResultSet``), cached."""
    suffix = path.suffix.lstrip(".")
    results_format = {"srx": ox.QueryResultsFormat.XML, "srj": ox.QueryResultsFormat.JSON,
                      "tsv": ox.QueryResultsFormat.TSV, "csv": ox.QueryResultsFormat.CSV}.get(suffix)
    if results_format is not None:
        return from_query_results(ox.parse_query_results(path=path, format=results_format))
    triples = _parse_file(path)
    if any(t.predicate.value == str(RDF.type) and t.object == ox.NamedNode(RS + "ResultSet") for t in triples):
        return _result_set(triples)
    return Graph(tuple((t.subject, t.predicate, t.object) for t in triples))


def _result_set(triples: Sequence[ox.Triple]) -> Answer:
    """An answer written in the result-set vocabulary (``rs:ResultSet``, ``rs:solution``, ``rs:binding``…)."""
    by_subject: dict[Term, dict[str, list[Term]]] = {}
    for t in triples:
        by_subject.setdefault(t.subject, {}).setdefault(t.predicate.value, []).append(t.object)
    result_set = next(s for s, p in by_subject.items() if ox.NamedNode(RS + "ResultSet") in p.get(str(RDF.type), []))
    props = by_subject[result_set]
    if RS + "boolean" in props:
        return props[RS + "boolean"][0].value == "true"
    variables = tuple(sorted(v.value for v in props.get(RS + "resultVariable", [])))
    rows: list[tuple[int, Row]] = []
    for solution in props.get(RS + "solution", []):
        bound: dict[str, Term] = {}
        for binding in by_subject.get(solution, {}).get(RS + "binding", []):
            fields = by_subject[binding]
            bound[fields[RS + "variable"][0].value] = fields[RS + "value"][0]
        index = by_subject.get(solution, {}).get(RS + "index")
        rows.append((int(index[0].value) if index else 0, tuple(bound.get(v) for v in variables)))
    rows.sort(key=lambda item: item[0])
    return Solutions(variables, tuple(row for _, row in rows))


# -- comparing --------------------------------------------------------------------

_NORMALISER = ox.Store()


@functools.lru_cache(maxsize=None)
def _through_store(literal: ox.Literal) -> ox.Literal:
    subject = ox.NamedNode("urn:w3c-sparql:normalise")
    quad = ox.Quad(subject, subject, literal)
    _NORMALISER.add(quad)
    stored = next(iter(_NORMALISER)).object
    _NORMALISER.clear()
    return stored  # type: ignore[return-value]


def normalise(term: Term | None) -> Term | None:
    """A typed literal as a store keeps it (``"01"^^xsd:integer`` is ``"1"``, ``"0"^^xsd:boolean`` is
    ``"false"``); any other term unchanged."""
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(XSD) and term.datatype.value != XSD + "string":
        return _through_store(term)
    if isinstance(term, ox.Triple):
        return ox.Triple(normalise(term.subject), term.predicate, normalise(term.object))  # type: ignore[arg-type]
    return term


def compare(expected: Answer, actual: Answer, ordered: bool, reduced: bool = False) -> str | None:
    """``None`` if ``actual`` is ``expected`` (see the module's doc), else what differs.

    ``reduced`` (a ``SELECT REDUCED``, which may drop any duplicates): rows compare as sets.
    """
    if isinstance(expected, bool) or isinstance(actual, bool):
        if type(expected) is not type(actual) or expected != actual:
            return f"expected {_describe(expected)}, got {_describe(actual)}"
        return None
    if isinstance(expected, Graph) or isinstance(actual, Graph):
        if not (isinstance(expected, Graph) and isinstance(actual, Graph)):
            return f"expected {_describe(expected)}, got {_describe(actual)}"
        exp_rows = [tuple(normalise(t) for t in triple) for triple in set(expected.triples)]
        act_rows = [tuple(normalise(t) for t in triple) for triple in set(actual.triples)]
        if _isomorphic(exp_rows, act_rows, ordered=False):
            return None
        return _difference(exp_rows, act_rows, "triples")
    if set(expected.variables) != set(actual.variables):
        return f"expected variables {sorted(expected.variables)}, got {sorted(actual.variables)}"
    names = sorted(expected.variables)
    exp_rows = _aligned(expected, names)
    act_rows = _aligned(actual, names)
    if reduced:
        exp_rows, act_rows = list(dict.fromkeys(exp_rows)), list(dict.fromkeys(act_rows))
    if _isomorphic(exp_rows, act_rows, ordered):
        return None
    return _difference(exp_rows, act_rows, "rows" + (" (in order)" if ordered else ""), names)


def _aligned(solutions: Solutions, names: Sequence[str]) -> list[Row]:
    positions = [solutions.variables.index(name) for name in names]
    return [tuple(normalise(row[i]) for i in positions) for row in solutions.rows]


def _describe(answer: Answer) -> str:
    if isinstance(answer, bool):
        return f"boolean {str(answer).lower()}"
    if isinstance(answer, Graph):
        return f"a graph of {len(answer.triples)} triples"
    return f"{len(answer.rows)} solutions"


def _difference(expected: list[Row], actual: list[Row], what: str, names: Sequence[str] = ()) -> str:
    def show(rows: Iterable[Row]) -> str:
        lines = []
        for row in list(rows)[:12]:
            cells = [f"{n}={t}" for n, t in zip(names, row)] if names else [str(t) for t in row]
            lines.append("    " + " ".join(cells))
        return "\n".join(lines) or "    (none)"
    missing = Counter(expected) - Counter(actual)
    extra = Counter(actual) - Counter(expected)
    return (f"{what} differ: expected {len(expected)}, got {len(actual)}\n"
            f"  expected, not got (blank nodes aside):\n{show(missing.elements())}\n"
            f"  got, not expected (blank nodes aside):\n{show(extra.elements())}")


def _shape(row: Row) -> tuple[object, ...]:
    return tuple("_:" if isinstance(t, ox.BlankNode) else t for t in row)


def _extend(mapping: dict[Term, Term], inverse: dict[Term, Term], a: Row, b: Row) -> list[Term] | None:
    """Extend the bijection so that row ``a`` maps onto row ``b``; the blank nodes newly mapped, or None."""
    added: list[Term] = []
    for x, y in zip(a, b):
        if isinstance(x, ox.BlankNode) and isinstance(y, ox.BlankNode):
            if mapping.get(x, y) != y or inverse.get(y, x) != x:
                break
            if x not in mapping:
                mapping[x], inverse[y] = y, x
                added.append(x)
        elif x != y:
            break
    else:
        return added
    for x in added:
        del inverse[mapping.pop(x)]
    return None


def _isomorphic(expected: list[Row], actual: list[Row], ordered: bool) -> bool:
    """True if one blank-node bijection maps ``expected`` onto ``actual`` (as sequences if ``ordered``, else bags)."""
    if len(expected) != len(actual) or Counter(map(_shape, expected)) != Counter(map(_shape, actual)):
        return False
    mapping: dict[Term, Term] = {}
    inverse: dict[Term, Term] = {}
    if ordered:
        return all(_extend(mapping, inverse, a, b) is not None for a, b in zip(expected, actual))
    with_blanks = [row for row in expected if any(isinstance(t, ox.BlankNode) for t in row)]
    candidates = [row for row in actual if any(isinstance(t, ox.BlankNode) for t in row)]
    by_shape: dict[tuple[object, ...], list[int]] = {}
    for index, row in enumerate(candidates):
        by_shape.setdefault(_shape(row), []).append(index)
    used = [False] * len(candidates)
    budget = [200_000]

    def search(position: int) -> bool:
        if position == len(with_blanks):
            return True
        row = with_blanks[position]
        for index in by_shape[_shape(row)]:
            if used[index]:
                continue
            budget[0] -= 1
            if budget[0] < 0:
                return False
            added = _extend(mapping, inverse, row, candidates[index])
            if added is None:
                continue
            used[index] = True
            if search(position + 1):
                return True
            used[index] = False
            for x in added:
                del inverse[mapping.pop(x)]
        return False

    return search(0)


# -- running a test ---------------------------------------------------------------

SOLUTIONS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"


def _parse_output(body: bytes, form: str) -> Answer:
    if form in ("CONSTRUCT", "DESCRIBE"):
        return Graph(tuple((t.subject, t.predicate, t.object)
                           for t in (q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))))
    return from_query_results(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))


class RunError(Exception):
    """Our CLI or endpoint refused or failed the query."""


def run_cli(test: W3CTest) -> Answer:
    """The answer of ``kg --base-uri BASE query @QUERY --query-base BASE --data DATASET.nq --reasoning none
    --format json|nt`` (``BASE``: the query file's URL in the W3C suite), run in-process with stdout captured."""
    from kg.cli import main

    form = query_form(test.query_text)
    args = ["--base-uri", test.base_iri, "query", f"@{test.query}", "--query-base", test.base_iri,
            "--data", str(dataset_file(test)),
            "--reasoning", "none", "--format", "nt" if form in ("CONSTRUCT", "DESCRIBE") else "json"]
    buffer = io.BytesIO()
    stdout = io.TextIOWrapper(buffer, encoding="utf-8", write_through=True)
    try:
        with contextlib.redirect_stdout(stdout):
            main(args, standalone_mode=False)
    except Exception as error:  # a ClickException says what the CLI would print
        raise RunError(f"kg {' '.join(args)}: {type(error).__name__}: {error}") from error
    stdout.flush()
    return _parse_output(buffer.getvalue(), form)


_APPS: dict[tuple[object, ...], Flask] = {}


def app_for(test: W3CTest) -> Flask:
    """Our app over our graph of the test's dataset, built once per process and dataset (queries change neither)."""
    from kg.app import create_app

    key = dataset_key(test)
    if key not in _APPS:
        settings = settings_for(test)
        app = create_app(settings, build_graph(settings, dataset_file(test)))
        app.config["TESTING"] = True
        _APPS[key] = app
    return _APPS[key]


def run_endpoint(test: W3CTest) -> Answer:
    """The answer of ``POST /sparql`` (form: ``query``, ``reasoning=none``) on our app over the test's graph."""
    form = query_form(test.query_text)
    accept = N_TRIPLES if form in ("CONSTRUCT", "DESCRIBE") else SOLUTIONS_JSON
    endpoint = urlsplit(settings_for(test).base_uri).path + "sparql"  # the app serves under its base IRI's path
    response = app_for(test).test_client().post(
        endpoint, data={"query": test.query_text, "reasoning": "none"}, headers={"Accept": accept})
    if response.status_code != 200:
        raise RunError(f"/sparql answered {response.status_code}: {response.get_data(as_text=True)[:500]}")
    return _parse_output(response.get_data(), form)


def run_pyoxigraph(test: W3CTest) -> Answer:
    """The engine alone: a ``pyoxigraph.Store`` holding the test's N-Quads, the query against the query's base."""
    store = ox.Store()
    store.load(path=dataset_file(test), format=ox.RdfFormat.N_QUADS)
    return from_query_results(store.query(test.query_text, base_iri=test.base_iri))


def check(test: W3CTest, actual: Answer) -> str | None:
    """``None`` if ``actual`` is the test's expected answer, else what differs."""
    assert test.result is not None
    text = test.query_text
    return compare(expected_answer(test.result), actual, is_ordered(text), "REDUCED" in _keywords(text))


def outcome(test: W3CTest, runner: str) -> str | None:
    """Run ``test`` with ``runner`` (``cli``, ``sparql`` or ``pyoxigraph``): ``None`` if it passes, else why not."""
    run = {"cli": run_cli, "sparql": run_endpoint, "pyoxigraph": run_pyoxigraph}[runner]
    try:
        return check(test, run(test))
    except (RunError, SyntaxError, OSError, ValueError) as error:
        return f"{type(error).__name__}: {error}"


def in_ci() -> bool:
    """True on CI (``CI`` set), where missing suites are a failure, not a skip."""
    return bool(os.environ.get("CI"))
