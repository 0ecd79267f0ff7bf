"""The limits checked before evaluation: each one refuses with a 4xx naming the setting and its value.

The defaults are set well below what kills the engine (pyoxigraph 0.5.13 overflows its stack, and the process
it runs in, near 840 levels of ``FILTER EXISTS {``, 960 of ``STR(``, 2,640 ``BIND`` or ``OPTIONAL`` in a group;
see :mod:`kg.sparql.safety`): the last tests send the worst queries the defaults let through to real query
workers and check that they are answered (or stopped at the time limit), never crash one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kg.app import create_app
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings, load_settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES
from tests.live_server import LiveServer, live_server

LIMITS = {"max_query_length": 2_000, "max_nesting_depth": 10, "max_operators": 20, "max_triple_patterns": 5,
          "max_values_rows": 4}
TOKEN = "limits-token"


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    settings = Settings(base_uri=BASE, write_token=TOKEN, **LIMITS)
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    app = create_app(settings, graph)
    app.config["TESTING"] = True
    return app.test_client()


def ask(client: FlaskClient, text: str) -> tuple[int, dict[str, object]]:
    reply = client.post("/sparql", data=text.encode(), headers={"Content-Type": "application/sparql-query",
                                                                 "Accept": "application/json"})
    return reply.status_code, json.loads(reply.data) if reply.mimetype == "application/json" else {}


def update(client: FlaskClient, text: str) -> tuple[int, str]:
    reply = client.post("/sparql", data=text.encode(), headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}", "Accept": "text/plain"})
    return reply.status_code, reply.get_data(as_text=True)


def assert_refused(status: int, body: dict[str, object], expected: int, variable: str, value: int) -> None:
    assert status == expected, body
    message = str(body["error"])
    assert f"{variable}={value}" in message, message


def groups(depth: int) -> str:
    return "SELECT * WHERE " + "{ " * depth + "}" * depth


@pytest.mark.parametrize(("text", "variable", "value"), [
    (groups(11), "KG_MAX_NESTING_DEPTH", 10),
    ("SELECT * WHERE { FILTER(" + "STR(" * 9 + "1" + ")" * 9 + ") }", "KG_MAX_NESTING_DEPTH", 10),
    ("SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { " * 10 + "}" * 10 + " }", "KG_MAX_NESTING_DEPTH", 10),
    ("SELECT ?x WHERE " + "{ SELECT ?x WHERE " * 10 + "{}" + " }" * 10, "KG_MAX_NESTING_DEPTH", 10),
    ("SELECT * WHERE { ?s (" + "(" * 9 + "<http://p>" + ")" * 9 + ") ?o }", "KG_MAX_NESTING_DEPTH", 10),
    ("SELECT * WHERE { FILTER(" + "!" * 10 + "true) }", "KG_MAX_NESTING_DEPTH", 10),
    ("SELECT * WHERE { " + " UNION ".join(["{}"] * 22) + " }", "KG_MAX_OPERATORS", 20),
    ("SELECT * WHERE { FILTER(" + " || ".join(["true"] * 22) + ") }", "KG_MAX_OPERATORS", 20),
    ("SELECT * WHERE { ?s " + "/".join(["<http://p>"] * 22) + " ?o }", "KG_MAX_OPERATORS", 20),
    ("SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(22)) + " }", "KG_MAX_OPERATORS", 20),
    ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f ; ?g ?h , ?i . [ ?j ?k ] }", "KG_MAX_TRIPLE_PATTERNS", 5),
    ("SELECT * WHERE { " + " ".join(f"OPTIONAL {{ ?s ?p ?o{i} }}" for i in range(6)) + " }", "KG_MAX_TRIPLE_PATTERNS", 5),
    ("SELECT * WHERE { VALUES ?x { 1 2 3 4 5 } }", "KG_MAX_VALUES_ROWS", 4),
    ("SELECT * WHERE { VALUES (?x ?y) { (1 2) (3 4) (5 6) } } VALUES ?z { 1 2 }", "KG_MAX_VALUES_ROWS", 4),
], ids=["groups", "function-calls", "optional", "sub-selects", "paths", "negations", "union", "or", "path-sequence",
        "binds", "triples", "optional-triples", "values", "values-in-all"])
def test_each_limit_refuses_with_400_naming_the_setting(client: FlaskClient, text: str, variable: str, value: int) -> None:
    status, body = ask(client, text)
    assert_refused(status, body, 400, variable, value)
    assert body["line"] == 1 and isinstance(body["column"], int)


def test_the_query_length_limit_is_413(client: FlaskClient) -> None:
    status, body = ask(client, "ASK {}" + " " * 2_000)
    assert_refused(status, body, 413, "KG_MAX_QUERY_LENGTH", 2_000)
    assert "2,006 characters" in str(body["error"])


def test_queries_at_the_limits_are_answered(client: FlaskClient) -> None:
    for text in (
        groups(9),
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f ; ?g ?h , ?i . ?j ?k ?l }",
        "SELECT * WHERE { VALUES (?x ?y) { (1 2) (3 4) } } VALUES ?z { 1 2 }",
        "SELECT * WHERE { FILTER(" + " || ".join(["true"] * 19) + ") }",
    ):
        assert ask(client, text)[0] == 200, text


def test_the_same_letters_in_strings_iris_and_comments_count_for_nothing(client: FlaskClient) -> None:
    text = ('SELECT * WHERE { ?s ?p "{{{{{{{{{{{{ UNION UNION UNION ((((((((((((" '
            "FILTER(?p != <http://example.org/((((((((((((!!!!!!>) } # {{{{{{{{{{{{{{ VALUES VALUES UNION UNION ||||||||||")
    assert ask(client, text)[0] == 200


def test_limits_guard_every_surface_that_runs_sparql(client: FlaskClient) -> None:
    deep = groups(11)
    form = client.post("/sparql", data={"query": deep}, headers={"Accept": "application/json"})
    assert form.status_code == 400 and "KG_MAX_NESTING_DEPTH=10" in form.get_data(as_text=True)
    page = client.get("/query", query_string={"sparql": deep, "action": "run"})
    assert page.status_code == 400 and "KG_MAX_NESTING_DEPTH=10" in page.get_data(as_text=True)


def test_updates_are_checked_for_nesting_and_operators_but_data_is_not_patterns(client: FlaskClient) -> None:
    status, text = update(client, "INSERT { <http://a> <http://b> <http://c> } WHERE " + "{ " * 11 + "}" * 11)
    assert status == 400 and "KG_MAX_NESTING_DEPTH=10" in text
    status, text = update(client, "DELETE WHERE { ?s ?p ?o . ?o ?q ?r . ?r ?t ?u . ?u ?v ?w . ?w ?x ?y . ?y ?z ?a }")
    assert status == 400 and "KG_MAX_TRIPLE_PATTERNS=5" in text
    data = " ".join(f"<http://example.org/s{i}> <http://example.org/p> {i} ." for i in range(30))
    status, text = update(client, f"INSERT DATA {{ {data} }}")
    assert status == 200, text
    status, text = update(client, f"DELETE DATA {{ {data} }}")
    assert status == 200, text


def test_every_limit_is_a_setting_with_a_positive_value() -> None:
    settings = load_settings(environ={"KG_MAX_NESTING_DEPTH": "7", "KG_MAX_OPERATORS": "8", "KG_MAX_TRIPLE_PATTERNS": "9",
                                      "KG_MAX_VALUES_ROWS": "10", "KG_MAX_QUERY_LENGTH": "11", "KG_MAX_WORKERS": "12"})
    assert (settings.max_nesting_depth, settings.max_operators, settings.max_triple_patterns, settings.max_values_rows,
            settings.max_query_length, settings.max_workers) == (7, 8, 9, 10, 11, 12)
    with pytest.raises(ValueError, match="KG_MAX_NESTING_DEPTH"):
        load_settings(environ={"KG_MAX_NESTING_DEPTH": "0"})


# -- the defaults, against real query workers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("limits"), FIXTURES / "family.ttl", env={"KG_QUERY_TIMEOUT": "5"}) as running:
        yield running


def post(server: LiveServer, text: str) -> tuple[int, str]:
    reply = server.request("POST", "/sparql", text, {"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    return reply.status, reply.text


def worst_cases(settings: Settings) -> dict[str, str]:
    """The most stack-hungry queries the default limits let through, one construct each and all at once."""
    depth, operators = settings.max_nesting_depth, settings.max_operators
    exists = "{ FILTER EXISTS " * (depth - 1) + "{}" + " }" * (depth - 1)
    return {
        "function calls": "SELECT (" + "STR(" * (depth - 1) + "1" + ")" * (depth - 1) + " AS ?x) {}",
        "exists": "SELECT * WHERE " + exists,
        "binds": "SELECT ?v0 WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(operators)) + " }",
        "unions": "SELECT ?x WHERE { " + " UNION ".join(["{}"] * (operators + 1)) + " }",
        "ors": "SELECT ?x WHERE { FILTER(" + " || ".join(["true"] * operators) + ") }",
        "all at once": "SELECT ?v0 WHERE " + "{ FILTER EXISTS " * (depth - 3) + "{ "
        + " ".join(f"BIND({i} AS ?v{i})" for i in range(operators - 2 * (depth - 3))) + " }" + " }" * (depth - 3),
    }


def test_defaults_are_far_below_what_kills_the_engine(server: LiveServer) -> None:
    for name, text in worst_cases(Settings()).items():
        status, body = post(server, text)
        assert status in (200, 503), (name, status, body[:300])
        assert "crashed" not in body, name
        if status == 503:
            assert "time limit" in body, name
    assert post(server, "ASK {}")[0] == 200


def test_the_crash_depth_is_refused_before_any_worker_sees_it(server: LiveServer) -> None:
    before = server.worker_count()
    for text in ("SELECT (" + "STR(" * 3000 + "1" + ")" * 3000 + " AS ?x) {}", groups(5000),
                 "SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(3000)) + " }"):
        status, body = post(server, text)
        assert status == 400 and ("KG_MAX_NESTING_DEPTH=100" in body or "KG_MAX_OPERATORS=1000" in body), body[:300]
    assert "killed" not in server.log()
    assert server.worker_count() >= before


def test_defaults_are_documented(tmp_path: Path) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    defaults = Settings()
    for name in ("max_query_length", "max_nesting_depth", "max_operators", "max_triple_patterns", "max_values_rows",
                 "max_workers"):
        assert f"`KG_{name.upper()}` | `{getattr(defaults, name)}`" in readme, name


def test_the_service_description_states_the_limits(client: FlaskClient) -> None:
    import rdflib

    reply = client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=reply.data, format="turtle")
    service = rdflib.Namespace(BASE + "service#")
    for local, setting in (("maxQueryLength", "max_query_length"), ("maxNestingDepth", "max_nesting_depth"),
                           ("maxOperators", "max_operators"), ("maxTriplePatterns", "max_triple_patterns"),
                           ("maxValuesRows", "max_values_rows")):
        assert int(next(graph.objects(None, service[local]))) == LIMITS[setting], local
        assert graph.value(service[local], rdflib.RDFS.comment) is not None


# -- where the engine itself dies, measured in a throw-away process ---------------------------------------------

#: Constructs the engine nests by recursion, as queries nesting them ``depth`` deep.
NESTED = {
    "function calls": lambda depth: "SELECT * WHERE { FILTER(" + "STR(" * depth + "1" + ")" * depth + ") }",
    "exists": lambda depth: "SELECT * WHERE { " + "FILTER EXISTS { " * depth + "}" * depth + " }",
}


def engine_survives(query: str) -> bool:
    """True if pyoxigraph answers ``query`` in a child process (the default stack, as in a query worker), False if
    the process dies of it (a signal: the stack overflowed)."""
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", "import sys, pyoxigraph; pyoxigraph.Store().query(sys.stdin.read())"],
                           input=query.encode(), capture_output=True, timeout=60)
    assert probe.returncode <= 0, probe.stderr.decode()[-500:]  # an error raised is not a measurement
    return probe.returncode == 0


def overflow_depth(nested: Callable[[int], str], low: int, high: int) -> int:
    """The depth (within 25 %) past which the engine dies, found by bisection: it survives ``low``, dies at ``high``."""
    assert engine_survives(nested(low)) and not engine_survives(nested(high))
    while high > low * 1.25:
        middle = int((low * high) ** 0.5)
        if engine_survives(nested(middle)):
            low = middle
        else:
            high = middle
    return low


@pytest.mark.parametrize("construct", list(NESTED))
def test_the_default_nesting_limit_is_far_below_where_the_engine_dies(construct: str) -> None:
    default = Settings().max_nesting_depth
    depth = overflow_depth(NESTED[construct], default, 20_000)
    assert depth >= 4 * default, f"the engine dies near {depth:,} levels of {construct}; the default limit is {default}"
