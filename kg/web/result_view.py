"""A query answer as a page shows it: a table of short, linked cells and, for label + number answers, a bar chart."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.sparql.table import compact

NUMERIC_TYPES = frozenset(
    "http://www.w3.org/2001/XMLSchema#" + name
    for name in ("integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
                 "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
                 "unsignedShort", "unsignedByte")
)
MAX_BARS = 40


@dataclass(frozen=True)
class Cell:
    """One value: the text shown, the IRI it links to (if any), and a hint (datatype or language)."""

    text: str
    href: str | None = None
    hint: str = ""


@dataclass(frozen=True)
class Bar:
    """One bar of the chart."""

    label: str
    value: float
    shown: str
    percent: float


@dataclass
class ResultView:
    """What the results section shows."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    total: int = 0
    boolean: bool | None = None
    triples: int | None = None
    chart: list[Bar] = field(default_factory=list)
    chart_label: str = ""
    chart_value: str = ""
    truncated_by_cap: bool = False
    """True if the endpoint's row cap (``KG_MAX_RESULT_ROWS``) cut the answer."""

    @property
    def truncated(self) -> bool:
        """True if the table shows fewer rows than the answer has."""
        return self.total > len(self.rows)


def view_of_body(body: bytes, format_name: str, prefixes: Mapping[str, str], max_rows: int = 1000) -> ResultView:
    """The view of an answer serialized as SPARQL results JSON (``json``) or N-Triples (``nt``)."""
    if format_name == "nt":
        return view_of([quad.triple for quad in ox.parse(body, ox.RdfFormat.N_TRIPLES)], prefixes, max_rows)
    return view_of(ox.parse_query_results(body, ox.QueryResultsFormat.JSON), prefixes, max_rows)


def view_of(
    answer: ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple],
    prefixes: Mapping[str, str],
    max_rows: int = 1000,
) -> ResultView:
    """The view of ``answer`` (solutions, a boolean or triples): at most ``max_rows`` rows shown, all counted."""
    if isinstance(answer, ox.QueryBoolean):
        return ResultView(boolean=bool(answer))
    if not isinstance(answer, ox.QuerySolutions):
        view = ResultView(columns=["subject", "predicate", "object"])
        for triple in answer:
            view.total += 1
            if len(view.rows) < max_rows:
                view.rows.append([_cell(t, prefixes) for t in (triple.subject, triple.predicate, triple.object)])
        view.triples = view.total
        return view
    view = ResultView(columns=[v.value for v in answer.variables])
    raw: list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]] = []
    for solution in answer:
        view.total += 1
        if len(view.rows) < max_rows:
            terms = [solution[name] for name in view.columns]
            raw.append(terms)
            view.rows.append([_cell(t, prefixes) for t in terms])
    _add_chart(view, raw)
    return view


def _cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | None, prefixes: Mapping[str, str]) -> Cell:
    if term is None:
        return Cell("")
    if isinstance(term, ox.NamedNode):
        return Cell(compact(term, prefixes), href=term.value)
    if isinstance(term, ox.Literal):
        hint = f"@{term.language}" if term.language else compact(term.datatype, prefixes)
        return Cell(term.value, hint="" if hint == "xsd:string" else hint)
    return Cell(compact(term, prefixes))


def _add_chart(view: ResultView, raw: list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]]) -> None:
    """A bar chart when the answer has one numeric column and one label column, and 1 to MAX_BARS rows."""
    if not raw or len(raw) > MAX_BARS or view.truncated or len(view.columns) < 2:
        return
    numeric = [i for i in range(len(view.columns)) if all(_number(row[i]) is not None for row in raw)]
    labels = [i for i in range(len(view.columns)) if i not in numeric and all(row[i] is not None for row in raw)]
    if len(numeric) != 1 or not labels:
        return
    value_index = numeric[0]
    label_index = next((i for i in labels if all(isinstance(row[i], ox.Literal) for row in raw)), labels[0])
    values = [_number(row[value_index]) or 0.0 for row in raw]
    top = max((abs(v) for v in values), default=0.0) or 1.0
    view.chart = [
        Bar(label=view.rows[n][label_index].text, value=value, shown=view.rows[n][value_index].text,
            percent=round(100 * abs(value) / top, 2))
        for n, value in enumerate(values)
    ]
    view.chart_label, view.chart_value = view.columns[label_index], view.columns[value_index]


def _number(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> float | None:
    if isinstance(term, ox.Literal) and term.datatype.value in NUMERIC_TYPES:
        try:
            return float(term.value)
        except ValueError:
            return None
    return None
