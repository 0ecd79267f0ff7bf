"""The W3C SPARQL 1.1 Graph Store Protocol tests, read from their manifests and run through a WSGI test client.

Each test is a sequence of HTTP requests (``ht:Request``) with the statuses,
``Location`` and bodies expected.  Paths start with ``/gsp``, the endpoint of
the manifests: they are rewritten to ``/store``.  A ``mf:expectedLocation``
makes the ``Location`` of that answer a template variable (``$LOCATION$``) of
the later requests.  Expected bodies are compared by graph isomorphism.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from tests.w3c_sparql import SUITES

FOLDER = SUITES / "sparql11" / "graph-store-protocol"
MANIFESTS = ("manifest-indirect.ttl", "manifest-direct.ttl")
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = "http://www.w3.org/2011/http-statusCodes#"
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
STATUS_BY_NAME = {status.phrase.replace(" ", "").replace("-", ""): status.value for status in HTTPStatus}


@dataclass(frozen=True)
class Step:
    """One request of a test and what its answer must be."""

    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    statuses: frozenset[int]
    location_variable: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None


@dataclass(frozen=True)
class GraphStoreTest:
    """A named test: its steps, in order."""

    name: str
    title: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Answer:
    """What the server said to one step."""

    status: int
    headers: Mapping[str, str]
    body: bytes


Send = Callable[[str, str, dict[str, str], bytes | None], Answer]
"""Send one request: method, path (with query), headers, body."""


def _headers(graph: rdflib.Graph, node: rdflib.term.Node | None) -> dict[str, str]:
    if node is None:
        return {}
    return {str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue))
            for h in Collection(graph, node)}


def _chars(graph: rdflib.Graph, node: rdflib.term.Node | None) -> str | None:
    return None if node is None else str(graph.value(node, CNT.chars))


def _step(graph: rdflib.Graph, request: rdflib.term.Node) -> Step:
    response = graph.value(request, HT.resp)
    statuses = frozenset(STATUS_BY_NAME[str(s)[len(HTS):]] for s in graph.objects(response, MF.expectedStatus))
    location = graph.value(response, MF.expectedLocation)
    return Step(
        method=str(graph.value(request, HT.methodName)),
        path=str(graph.value(request, HT.absolutePath)),
        headers=_headers(graph, graph.value(request, HT.headers)),
        body=_chars(graph, graph.value(request, HT.body)),
        statuses=statuses,
        location_variable=str(location) if location is not None else None,
        response_headers=_headers(graph, graph.value(response, HT.headers)),
        response_body=_chars(graph, graph.value(response, HT.body)),
    )


def load_tests(folder: Path = FOLDER) -> list[GraphStoreTest]:
    """Every test the manifests list (``mf:entries``), in their order."""
    found: list[GraphStoreTest] = []
    for manifest in MANIFESTS:
        graph = rdflib.Graph().parse(folder / manifest, format="turtle")
        for entries in graph.objects(None, MF.entries):
            for test in Collection(graph, entries):
                action = graph.value(test, MF.action)
                requests = Collection(graph, graph.value(action, HT.requests))
                name = str(test).rsplit("#", 1)[-1]
                found.append(GraphStoreTest(name, str(graph.value(test, MF.name)), tuple(_step(graph, r) for r in requests)))
    return found


def run(test: GraphStoreTest, send: Send, endpoint: str = "/store") -> None:
    """Run ``test``'s steps through ``send``; an ``AssertionError`` at the first answer that is not as expected."""
    variables: dict[str, str] = {}

    def fill(text: str) -> str:
        for name, value in variables.items():
            text = text.replace(name, value)
        return text

    for number, step in enumerate(test.steps, 1):
        where = f"{test.name} step {number} ({step.method} {step.path})"
        path = fill(endpoint + step.path[len("/gsp"):] if step.path.startswith("/gsp") else step.path)
        body = fill(step.body).encode("utf-8") if step.body is not None else None
        answer = send(step.method, path, {name: fill(value) for name, value in step.headers.items()}, body)
        assert answer.status in step.statuses, f"{where}: {answer.status}, expected {sorted(step.statuses)}: {answer.body[:500]!r}"
        if step.location_variable is not None:
            location = answer.headers.get("Location")
            assert location, f"{where}: no Location header"
            variables[step.location_variable] = location
        for name, value in step.response_headers.items():
            got = answer.headers.get(name, "")
            assert _normal(got) == _normal(value), f"{where}: {name} is {got!r}, expected {value!r}"
        if step.response_body is not None and step.method != "HEAD":
            media_type = step.response_headers.get("content-type", "text/turtle").split(";")[0]
            expected = rdflib.Graph().parse(data=step.response_body, format=media_type)
            got_graph = rdflib.Graph().parse(data=answer.body, format=answer.headers["Content-Type"].split(";")[0])
            assert isomorphic(expected, got_graph), (
                f"{where}: the graph is not the expected one:\n{answer.body.decode()}\nexpected:\n{step.response_body}")


def _normal(value: str) -> str:
    return value.replace(" ", "").lower()
