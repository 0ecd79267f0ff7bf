"""The ``kg`` command line, run as a user runs it (a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import rdflib
from rdflib.plugins.sparql.results.jsonresults import JSONResultParser

from tests.conftest import FIXTURES

FAMILY = str(FIXTURES / "family.ttl")


def kg(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args], input=stdin, capture_output=True, text=True, timeout=120, env=env
    )


def test_query_json_is_the_w3c_results_document() -> None:
    done = kg("query", "--data", FAMILY, "--format", "json", "SELECT ?x WHERE { ?x a schema:Person } ORDER BY ?x")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["head"]["vars"] == ["x"]
    result = JSONResultParser().parse(__import__("io").StringIO(done.stdout))
    assert {str(row["x"]) for row in result} == {
        "http://example.org/family#ann", "http://example.org/family#bob", "http://localhost:8000/people/dee"}


def test_reasoning_none_gives_the_asserted_answer() -> None:
    done = kg("query", "--data", FAMILY, "--reasoning", "none", "--format", "csv", "SELECT ?x WHERE { ?x a schema:Person }")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == ["x"]


def test_query_from_file_and_stdin(tmp_path: Path) -> None:
    query = "ASK { <http://example.org/family#ann> <http://example.org/family#ancestorOf> <http://example.org/family#cid> }"
    (tmp_path / "q.rq").write_text(query)
    assert kg("query", "--data", FAMILY, f"@{tmp_path / 'q.rq'}").stdout.strip() == "yes"
    assert kg("query", "--data", FAMILY, "-", stdin=query).stdout.strip() == "yes"


def test_construct_as_turtle_and_ntriples_parse() -> None:
    query = "CONSTRUCT { ?x a schema:Person } WHERE { ?x a schema:Person }"
    for fmt, parser in (("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")):
        done = kg("query", "--data", FAMILY, "--format", fmt, query)
        assert done.returncode == 0, done.stderr
        assert len(rdflib.Graph().parse(data=done.stdout, format=parser)) == 3


def test_base_uri_setting_resolves_relative_iris() -> None:
    env = {"KG_BASE_URI": "http://example.net/kg/", "PATH": "/usr/bin:/bin"}
    done = kg("query", "--data", FAMILY, "--reasoning", "none", "--format", "csv",
              "SELECT ?x WHERE { ?x a <http://example.org/family#Person> }",
              env=env)
    assert done.stdout.strip().splitlines()[1:] == ["http://example.net/kg/people/dee"]


def test_syntax_error_names_line_and_column() -> None:
    done = kg("query", "--data", FAMILY, "SELECT ?x WHERE {\n  ?x a ex:Thing }")
    assert done.returncode == 1
    assert "line 2, column" in done.stderr and "undeclared prefix 'ex:'" in done.stderr
    assert "Traceback" not in done.stderr


def test_format_that_cannot_carry_the_answer_is_a_usage_error() -> None:
    done = kg("query", "--data", FAMILY, "--format", "turtle", "SELECT * WHERE { ?s ?p ?o }")
    assert done.returncode == 2 and "cannot carry" in done.stderr


def test_bad_data_file_reports_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b \"open .\n")
    done = kg("query", "--data", str(bad), "ASK {}")
    assert done.returncode == 1 and "bad.ttl" in done.stderr and "line 3" in done.stderr


def test_gzipped_ntriples_are_read(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "d.nt.gz"
    with gzip.open(path, "wt") as out:
        out.write("<http://e/a> <http://e/b> \"c\" .\n")
    done = kg("query", "--data", str(path), "--format", "tsv", "SELECT ?o WHERE { ?s ?p ?o }")
    assert done.stdout.splitlines()[1] == '"c"'


def test_reason_prints_counts_and_time() -> None:
    done = kg("reason", "--data", FAMILY)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.strip().splitlines())
    assert int(lines["asserted"]) == 16 and int(lines["inferred"]) > 0
    assert lines["reasoning (owlrl, fast)"].endswith(" s")


INCONSISTENT = """@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
ex:Cat owl:disjointWith ex:Dog .
ex:rex a ex:Dog .
ex:hasTwin a owl:FunctionalProperty .
ex:rex ex:hasTwin ex:tom ; ex:hasTwin ex:tim .
ex:tom a ex:Cat .
"""


def test_reason_exits_3_naming_rule_and_triples_when_inconsistent(tmp_path: Path) -> None:
    data = tmp_path / "inconsistent.ttl"
    data.write_text(INCONSISTENT.replace("ex:rex ex:hasTwin", "ex:tim a ex:Dog .\nex:rex ex:hasTwin"))
    done = kg("reason", "--data", str(data))
    assert done.returncode == 3, done.stdout + done.stderr
    problems = [line for line in done.stdout.splitlines() if line.startswith("inconsistent (owlrl): ")]
    assert len(problems) == 2 and all(line.startswith("inconsistent (owlrl): cax-dw: ") for line in problems)
    assert "<http://example.org/Cat> <http://www.w3.org/2002/07/owl#disjointWith> <http://example.org/Dog> ." in problems[0]
    assert kg("reason", "--reasoning", "rdfs", "--data", str(data)).returncode == 0
