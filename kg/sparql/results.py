"""Writers of SELECT solutions in the four W3C result formats, for answers we cut to a row cap.

pyoxigraph can only serialize a whole ``QuerySolutions`` iterator; these write
the rows we kept (a list) exactly as the specs say:
SPARQL 1.1 Query Results JSON and XML, and the CSV and TSV formats.
Triple terms (RDF 1.2) are written in each format's own way.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence

import pyoxigraph as ox

#: What evaluating a query gives: solutions, a boolean, or triples (CONSTRUCT/DESCRIBE).
QueryAnswer = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = Sequence[Term | None]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_quoted: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]  # C; not ASCII-only
RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


def write_json(variables: Sequence[str], rows: Sequence[Row]) -> bytes:
    """``application/sparql-results+json``.

    Written as text, each term's JSON once (terms repeat across rows): building a dict per binding and dumping
    the document cost more than evaluating a light query.
    """
    memo: dict[Term, str] = {}
    keys = [_quoted(name) + ":" for name in variables]
    written = []
    for row in rows:
        members = []
        for key, term in zip(keys, row):
            if term is not None:
                encoded = memo.get(term)
                if encoded is None:
                    encoded = memo[term] = _json_text(term)
                members.append(key + encoded)
        written.append("{" + ",".join(members) + "}")
    head = ",".join(_quoted(name) for name in variables)
    return ('{"head":{"vars":[' + head + ']},"results":{"bindings":[' + ",".join(written) + "]}}").encode("utf-8")


def _json_text(term: Term) -> str:
    """``term`` as SPARQL JSON results write a bound value."""
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + _quoted(term.value) + "}"
    if isinstance(term, ox.BlankNode):
        return '{"type":"bnode","value":' + _quoted(term.value) + "}"
    if isinstance(term, ox.Literal):
        text = '{"type":"literal","value":' + _quoted(term.value)
        if term.language:
            text += ',"xml:lang":' + _quoted(term.language)
            if term.direction is not None:
                text += ',"its:dir":' + _quoted(str(term.direction))
        elif term.datatype.value != XSD_STRING:
            text += ',"datatype":' + _quoted(term.datatype.value)
        return text + "}"
    return ('{"type":"triple","value":{"subject":' + _json_text(term.subject) + ',"predicate":'
            + _json_text(term.predicate) + ',"object":' + _json_text(term.object) + "}}")


def write_xml(variables: Sequence[str], rows: Sequence[Row]) -> bytes:
    """``application/sparql-results+xml``."""
    memo: dict[Term, str] = {}
    parts = [f'<?xml version="1.0"?><sparql xmlns="{RESULTS_NS}"><head>']
    parts += [f'<variable name="{_xml_escape(name)}"/>' for name in variables]
    parts.append("</head><results>")
    names = [_xml_escape(name) for name in variables]
    for row in rows:
        parts.append("<result>")
        for name, term in zip(names, row):
            if term is not None:
                encoded = memo.get(term)
                if encoded is None:
                    encoded = memo[term] = _xml_term(term)
                parts.append(f'<binding name="{name}">{encoded}</binding>')
        parts.append("</result>")
    parts.append("</results></sparql>")
    return "".join(parts).encode("utf-8")


def _xml_escape(text: str) -> str:
    # A raw CR would be read back as LF (XML line-end normalization), so it is written as a character reference.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("\r", "&#13;")


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            direction = (
                f' its:dir="{term.direction}" xmlns:its="http://www.w3.org/2005/11/its" its:version="2.0"'
                if term.direction is not None else ""
            )
            return f'<literal xml:lang="{_xml_escape(term.language)}"{direction}>{_xml_escape(term.value)}</literal>'
        if term.datatype.value != XSD_STRING:
            return f'<literal datatype="{_xml_escape(term.datatype.value)}">{_xml_escape(term.value)}</literal>'
        return f"<literal>{_xml_escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}</predicate>"
        f"<object>{_xml_term(term.object)}</object></triple>"
    )


def write_csv(variables: Sequence[str], rows: Sequence[Row]) -> bytes:
    """``text/csv``: plain values (IRIs bare, literals as their lexical form, blank nodes ``_:id``), CRLF lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(variables)
    writer.writerows([_csv_term(term) if term is not None else "" for term in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def _csv_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


def write_tsv(variables: Sequence[str], rows: Sequence[Row]) -> bytes:
    """``text/tab-separated-values``: ``?var`` header, terms in their N-Triples/Turtle syntax, LF lines."""
    memo: dict[Term, str] = {}

    def encode(term: Term | None) -> str:
        if term is None:
            return ""
        found = memo.get(term)
        if found is None:
            found = memo[term] = str(term)
        return found

    lines = ["\t".join(f"?{name}" for name in variables)]
    lines += ["\t".join(encode(term) for term in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


SOLUTION_WRITERS: dict[str, Callable[[Sequence[str], Sequence[Row]], bytes]] = {
    "json": write_json,
    "xml": write_xml,
    "csv": write_csv,
    "tsv": write_tsv,
}
