"""The query library itself: the header format, the checks, typed binding, the catalogue and its files."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.sparql.results.jsonresults import JSONResultParser

from kg.canned.binding import bind_parameters, instances_of
from kg.canned.catalogue import Catalogue
from kg.canned.errors import InvalidName, InvalidQuery, ParameterError, QueryNotFound, ReadOnlyQuery
from kg.canned.header import parse_query, with_metadata
from kg.canned.run import trial_run
from kg.evaluation import InProcessEvaluator
from kg.dataset import KnowledgeGraph
from kg.namespaces import ProjectNamespaces
from tests.canned_support import CANNED, EX, fixture_catalogue, fixture_graph, rq
from tests.conftest import BASE

PREFIXES = ProjectNamespaces(BASE).prefixes()
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_INTEGER, XSD_DATE, XSD_STRING = (rdflib.URIRef(XSD + t) for t in ("integer", "date", "string"))
INJECTIONS = ['"} ; DROP ALL ; #', "<x> } UNION { ?s ?p ?o }", "' \" quotes \"\"\" '''", "line\nbreak } #"]


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return fixture_graph()


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    return fixture_catalogue(tmp_path / "saved")


def parse(text: str, name: str = "q"):
    return parse_query(name, text, PREFIXES)


def check(catalogue: Catalogue, text: str, graph: KnowledgeGraph, name: str = "q"):
    """Every check a save makes: the header, the tokens, and a trial run through an evaluator."""
    query = catalogue.parse(name, text)
    trial_run(query, graph, InProcessEvaluator(graph, graph.settings))
    return query


# -- the header ------------------------------------------------------------------------------------------------


def test_full_header_is_read_and_typed() -> None:
    query = parse((CANNED / "members-of.rq").read_text(), "members-of")
    assert query.title == "Members of an organisation"
    assert query.tags == ("people", "organisations")
    assert query.reasoning == "owlrl"
    assert query.form == "SELECT"
    (parameter,) = query.parameters
    assert (parameter.name, parameter.type, parameter.default, parameter.required) == (
        "organization", "iri", "acme", False)
    assert parameter.rdf_class == EX + "Organization"
    assert parameter.namespace == EX
    assert parameter.label == "Organisation"


def test_prefixed_names_in_the_header_use_the_predeclared_prefixes() -> None:
    query = parse(rq("T", "SELECT ?s WHERE { ?s a ?s }\n",
                     "#+ parameters:\n#+   s: {type: iri, class: kg:Sector, namespace: 'sector:'}\n"))
    assert query.parameters[0].rdf_class == BASE + "ontology#Sector"
    assert query.parameters[0].namespace == BASE + "id/sector/"


def test_yaml_values_stay_text() -> None:
    query = parse(rq("T", "SELECT ?answer WHERE { ?s ?p ?answer }\n",
                     "#+ tags: no, 2021-01-13\n#+ parameters:\n#+   answer: {type: enum, values: [yes, no, on]}\n"))
    assert query.tags == ("no", "2021-01-13")
    assert query.parameters[0].values == ("yes", "no", "on")


def test_query_form_is_recognised() -> None:
    assert parse(rq("T", "PREFIX ex: <http://e/select> CONSTRUCT WHERE { ?s ?p ?o }")).form == "CONSTRUCT"
    assert parse(rq("T", "ASK { ?s ?p ?o }")).form == "ASK"
    assert parse(rq("T", "DESCRIBE <http://e/x>")).form == "DESCRIBE"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("SELECT * {}\n", "needs a 'title'", 1),
        ("#+ title: T\n#+ summry: x\nSELECT * {}\n", "unknown metadata key 'summry'", 2),
        ("#+ title: T\n#+ reasoning: magic\nSELECT * {}\n", "reasoning must be one of", 2),
        ("#+ title: T\n#+ tags: [a, b\nSELECT * {}\n", "metadata header", 2),
        ("#+ title: [T]\nSELECT * {}\n", "'title' must be a text", 1),
        ("#+ title: T\n#+ parameters:\n#+   x:\n#+     type: float\nSELECT ?x {}\n", "type must be one of", 3),
        ("#+ title: T\n#+ parameters:\n#+   x: {type: enum}\nSELECT ?x {}\n", "lists its allowed values", 3),
        ("#+ title: T\n#+ parameters:\n#+   x: {type: integer, default: ten}\nSELECT ?x {}\n", "default 'ten'", 3),
        ("#+ title: T\n#+ parameters:\n#+   x: {type: date, default: 2021-02-30}\nSELECT ?x {}\n", "default", 3),
        ("#+ title: T\n#+ parameters:\n#+   x: {type: enum, values: [a], default: b}\nSELECT ?x {}\n", "default", 3),
        ("#+ title: T\n#+ parameters:\n#+   format: literal\nSELECT ?format {}\n", "reserved", 3),
        ("#+ title: T\n#+ parameters:\n#+   a-b: literal\nSELECT * {}\n", "SPARQL variable name", 3),
        ("#+ title: T\n#+ parameters:\n#+   x: {type: iri, class: nope:X}\nSELECT ?x {}\n", "predeclared prefix", 3),
        ("#+ title: T\n#+ parameters:\n#+   x: {type: literal, colour: red}\nSELECT ?x {}\n", "unknown key", 3),
        ("#+ title: T\n#+ parameters:\n#+   x: {type: literal, min: 3}\nSELECT ?x {}\n", "integer parameters only", 3),
    ],
)
def test_header_errors_name_the_problem_and_its_line(text: str, message: str, line: int) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse(text)
    assert message in caught.value.message
    assert caught.value.line == line


def test_with_metadata_replaces_title_description_tags_and_keeps_parameters() -> None:
    original = (CANNED / "members-of.rq").read_text()
    changed = with_metadata(original, title="Who: works # where", description="two\nlines", tags=["x", "y z"])
    query = parse(changed, "members-of")
    assert (query.title, query.description, query.tags) == ("Who: works # where", "two\nlines", ("x", "y z"))
    assert query.parameters == parse(original, "members-of").parameters
    assert changed.endswith("ORDER BY ?name\n")
    assert parse(with_metadata("SELECT * WHERE { ?s ?p ?o }", title="New")).title == "New"


# -- the SPARQL checks -----------------------------------------------------------------------------------------


def test_syntax_errors_give_line_and_column(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    with pytest.raises(InvalidQuery) as caught:
        check(catalogue, rq("T", "SELECT ?s WHERE {\n  ?s ?p \n}\n"), graph)
    assert caught.value.line == 4 and caught.value.column is not None
    assert "line 4" in caught.value.message


def test_undeclared_prefix_is_named(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    with pytest.raises(InvalidQuery, match="nope:"):
        check(catalogue, rq("T", "SELECT ?s WHERE { ?s a nope:Thing }"), graph)


def test_declared_parameter_must_be_a_variable_of_the_query(catalogue: Catalogue) -> None:
    with pytest.raises(InvalidQuery, match=r"\?year is not in the query"):
        catalogue.parse("q", rq("T", "SELECT ?s WHERE { ?s ?p ?o }\n", "#+ parameters:\n#+   year: integer\n"))


def test_a_select_must_project_its_parameters(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    text = rq("T", "SELECT ?s WHERE { ?s ?p ?o FILTER(?o > ?min) }\n", "#+ parameters:\n#+   min: integer\n")
    with pytest.raises(InvalidQuery, match="parameter 'min' cannot be bound: \\?min must be visible"):
        check(catalogue, text, graph)
    check(catalogue, text.replace("SELECT ?s", "SELECT ?s ?min"), graph)


def test_an_aggregate_must_group_by_its_parameters(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    body = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?o = ?v) }\n"
    with pytest.raises(InvalidQuery, match="cannot be bound"):
        check(catalogue, rq("T", body, "#+ parameters:\n#+   v: literal\n"), graph)
    check(catalogue, rq("T", "SELECT ?v (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?o = ?v) } GROUP BY ?v\n",
                        "#+ parameters:\n#+   v: literal\n"), graph)


def test_an_optional_parameter_is_checked_too(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    text = rq("T", "SELECT ?s WHERE { ?s ?p ?o FILTER(COALESCE(?o = ?x, true)) }\n",
              "#+ parameters:\n#+   x: {type: literal, required: false}\n")
    with pytest.raises(InvalidQuery, match="parameter 'x' cannot be bound"):
        check(catalogue, text, graph)


def test_nothing_is_evaluated_outside_the_evaluator(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    text = rq("T", "ASK { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }\n")
    catalogue.parse("q", text)  # header and tokens only
    with pytest.raises(InvalidQuery, match="SERVICE at line 2, column 7 is disabled"):
        check(catalogue, text, graph)


def test_copying_a_parameter_with_bind_is_refused(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    text = rq("T", "SELECT ?v ?copy WHERE { ?s ?p ?o BIND(?v AS ?copy) }\n", "#+ parameters:\n#+   v: literal\n")
    with pytest.raises(InvalidQuery, match=r"BIND\(\?v AS") as caught:
        catalogue.parse("q", text)
    assert caught.value.line == 4
    check(catalogue, text.replace("BIND(?v AS", "BIND(STR(?v) AS"), graph)


def test_testing_a_parameter_with_bound_is_refused(catalogue: Catalogue) -> None:
    text = rq("T", "SELECT ?v ?s WHERE { ?s ?p ?o FILTER(!BOUND(?v) || ?o = ?v) }\n",
              "#+ parameters:\n#+   v: {type: literal, required: false}\n")
    with pytest.raises(InvalidQuery, match=r"BOUND\(\?v\) is always false.*COALESCE"):
        catalogue.parse("q", text)


def test_the_engine_still_mistreats_substituted_variables_in_bind_and_bound() -> None:
    """Pins the pyoxigraph behaviour the BIND and BOUND checks exist for; when this fails, they can go."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o")))
    substitutions = {ox.Variable("v"): ox.Literal("x")}
    answer = store.query("SELECT ?v ?copy ?bound WHERE { ?s ?p ?o BIND(?v AS ?copy) BIND(BOUND(?v) AS ?bound) }",
                         substitutions=substitutions)
    assert [(row["copy"], row["bound"].value) for row in answer] == [(None, "false")]


# -- binding: how a substituted variable behaves in the query (SEP-0007) ---------------------------------------


def select(graph: KnowledgeGraph, text: str, **bindings: rdflib.term.Node) -> list[dict]:
    return graph.select("PREFIX ex: <http://example.org/canned#>\n" + text, "owlrl", bindings=bindings)


def test_substituted_variable_constrains_triple_patterns_and_filters(graph: KnowledgeGraph) -> None:
    acme = rdflib.URIRef(EX + "acme")
    rows = select(graph, "SELECT ?org ?p WHERE { ?p ex:memberOf ?org }", org=acme)
    assert {str(r["p"]) for r in rows} == {EX + "ana-lima", EX + "bo-chen", EX + "mo-tan"}
    assert all(r["org"] == acme for r in rows)
    rows = select(graph, "SELECT ?min ?p WHERE { ?p ex:age ?a FILTER(?a >= ?min) }",
                  min=rdflib.Literal("51", datatype=XSD_INTEGER))
    assert {str(r["p"]) for r in rows} == {EX + "li-wei", EX + "sam-roe"}


def test_substituted_variable_inside_optional_minus_and_exists(graph: KnowledgeGraph) -> None:
    acme = rdflib.URIRef(EX + "acme")
    rows = select(graph, "SELECT ?org ?p ?x WHERE { ?p ex:age ?a OPTIONAL { ?p ex:memberOf ?org BIND(1 AS ?x) } }",
                  org=acme)
    assert {str(r["p"]): "x" in r for r in rows} == {
        EX + "li-wei": False, EX + "ana-lima": True, EX + "bo-chen": True, EX + "sam-roe": False}
    rows = select(graph, "SELECT ?org ?p WHERE { ?p ex:age ?a MINUS { ?p ex:memberOf ?org } }", org=acme)
    assert {str(r["p"]) for r in rows} == {EX + "li-wei", EX + "sam-roe"}
    rows = select(graph, "SELECT ?org ?p WHERE { ?p ex:age ?a FILTER NOT EXISTS { ?p ex:memberOf ?org } }", org=acme)
    assert {str(r["p"]) for r in rows} == {EX + "li-wei", EX + "sam-roe"}


def test_substituted_variable_in_subqueries_follows_sparql_scoping(graph: KnowledgeGraph) -> None:
    acme = rdflib.URIRef(EX + "acme")
    projected = select(graph, "SELECT ?org ?n WHERE { { SELECT ?org (COUNT(?p) AS ?n) WHERE { ?p ex:memberOf ?org } "
                              "GROUP BY ?org } }", org=acme)
    assert [(r["org"], int(r["n"])) for r in projected] == [(acme, 3)]
    hidden = select(graph, "SELECT ?org ?p WHERE { { SELECT ?p WHERE { ?p ex:memberOf ?org } } }", org=acme)
    assert len(hidden) == 5  # the subquery's own ?org is another variable: every member, each with ?org = acme
    assert all(r["org"] == acme for r in hidden)


# -- binding: typed values ---------------------------------------------------------------------------------------


def bind(catalogue: Catalogue, graph: KnowledgeGraph, name: str, **given: str) -> dict:
    return bind_parameters(catalogue.get(name), {k: [v] for k, v in given.items()}, graph)


def test_iri_values_short_prefixed_or_full(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    acme = rdflib.URIRef(EX + "acme")
    assert bind(catalogue, graph, "members-of") == {"organization": acme}
    assert bind(catalogue, graph, "members-of", organization="acme") == {"organization": acme}
    assert bind(catalogue, graph, "members-of", organization=EX + "acme") == {"organization": acme}
    assert bind(catalogue, graph, "members-of", organization=f"<{EX}acme>") == {"organization": acme}


def test_iri_of_the_wrong_class_is_refused_with_the_known_instances(catalogue: Catalogue,
                                                                   graph: KnowledgeGraph) -> None:
    with pytest.raises(ParameterError) as caught:
        bind(catalogue, graph, "members-of", organization="li-wei")
    assert caught.value.parameter == "organization"
    assert "is not an instance of <http://example.org/canned#Organization>" in caught.value.message
    assert "acme" in caught.value.message and "tsinghua" in caught.value.message


def test_instances_are_listed_with_labels(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    choices = instances_of(catalogue.get("members-of").parameters[0], graph)
    assert [(c.value, c.label) for c in choices] == [
        ("acme", "Acme Corporation"), ("tsinghua", "Tsinghua University"), ("zeta", "Zeta Ltd")]


@pytest.mark.parametrize("value", [*INJECTIONS, "acme acme", "", " ", "http://"])
def test_injection_shaped_iris_are_refused(catalogue: Catalogue, graph: KnowledgeGraph, value: str) -> None:
    if not value.strip():
        return  # empty means absent: the default applies (tested above)
    with pytest.raises(ParameterError) as caught:
        bind(catalogue, graph, "members-of", organization=value)
    assert caught.value.parameter == "organization"
    assert "expected the IRI of an instance" in caught.value.message or "is not an instance" in caught.value.message


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_shaped_literals_are_bound_as_plain_text(catalogue: Catalogue, graph: KnowledgeGraph,
                                                           value: str) -> None:
    bindings = bind(catalogue, graph, "people-named", text=value)
    assert bindings == {"text": rdflib.Literal(value, datatype=XSD_STRING)}
    rows = graph.select(catalogue.get("people-named").sparql, "owlrl", bindings=bindings)
    assert rows == []


def test_literal_binding_matches_like_a_constant(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    rows = graph.select(catalogue.get("people-named").sparql, "owlrl", bindings=bind(catalogue, graph, "people-named",
                                                                                      text="CHEN"))
    assert [str(r["name"]) for r in rows] == ["Bo Chen"]


@pytest.mark.parametrize(
    ("name", "parameter", "value", "expects"),
    [
        ("older-than", "age", "forty", "an integer ≥ 0 and ≤ 150"),
        ("older-than", "age", "40; DROP ALL", "an integer"),
        ("older-than", "age", "151", "≤ 150"),
        ("older-than", "age", "-1", "≥ 0"),
        ("older-than", "age", "4.5", "an integer"),
        ("born-after", "after", "2021-02-30", "a date (YYYY-MM-DD)"),
        ("born-after", "after", "13/01/2021", "a date (YYYY-MM-DD)"),
        ("born-after", "after", '2021-01-13"^^xsd:string', "a date"),
        ("organizations-by-sector", "sector", "Business", "one of: academia, business, government"),
        ("organizations-by-sector", "sector", "business } UNION {", "one of:"),
    ],
)
def test_bad_values_name_the_parameter_and_what_it_expects(
    catalogue: Catalogue, graph: KnowledgeGraph, name: str, parameter: str, value: str, expects: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        bind(catalogue, graph, name, **{parameter: value})
    assert caught.value.parameter == parameter
    assert f"parameter '{parameter}'" in caught.value.message
    assert expects in caught.value.message


def test_typed_values_become_typed_literals(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    assert bind(catalogue, graph, "older-than", age="+007") == {"age": rdflib.Literal("7", datatype=XSD_INTEGER)}
    assert bind(catalogue, graph, "born-after", after="1980-01-01") == {
        "after": rdflib.Literal("1980-01-01", datatype=XSD_DATE)}
    assert bind(catalogue, graph, "organizations-by-sector", sector="academia") == {
        "sector": rdflib.Literal("academia", datatype=XSD_STRING)}


def test_missing_unknown_and_repeated_parameters(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    with pytest.raises(ParameterError, match="missing parameter 'text': expected a text"):
        bind(catalogue, graph, "people-named")
    with pytest.raises(ParameterError, match="unknown parameter 'txt'; the query 'people-named' takes: text"):
        bind(catalogue, graph, "people-named", txt="x")
    with pytest.raises(ParameterError, match="given 2 values"):
        bind_parameters(catalogue.get("people-named"), {"text": ["a", "b"]}, graph)
    assert bind(catalogue, graph, "older-than", age="") == {"age": rdflib.Literal("40", datatype=XSD_INTEGER)}


def test_an_optional_parameter_without_default_stays_unbound(catalogue: Catalogue, graph: KnowledgeGraph) -> None:
    text = rq("T", "SELECT ?who ?p WHERE { ?p schema:name ?n FILTER(COALESCE(?p = ?who, true)) }\n",
              "#+ parameters:\n#+   who: {type: iri, required: false, namespace: '<http://example.org/canned#>'}\n")
    query = catalogue.parse("optional", text)
    assert bind_parameters(query, {}, graph) == {}
    assert len(graph.select(text, "owlrl")) == 5
    bindings = bind_parameters(query, {"who": ["bo-chen"]}, graph)
    assert [str(row["p"]) for row in graph.select(text, "owlrl", bindings=bindings)] == [EX + "bo-chen"]


# -- the catalogue -----------------------------------------------------------------------------------------------


def test_catalogue_lists_and_filters(catalogue: Catalogue) -> None:
    names = [q.name for q in catalogue.queries()]
    assert names == sorted(names) and "members-of" in names and len(names) == 8
    assert {q.name for q in catalogue.queries(tag="COUNTS")} == {"members-per-organization"}
    assert {q.name for q in catalogue.queries(text="organisation members")} == {
        "members-of", "members-per-organization", "memberships"}
    assert catalogue.queries(tag="people", text="born") == [catalogue.get("born-after")]


def test_save_creates_then_replaces_with_history(catalogue: Catalogue) -> None:
    first = rq("First", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1\n")
    query, created = catalogue.save("mine", first)
    assert created and query.revision == 1 and not query.shipped
    query, created = catalogue.save("mine", first.replace("First", "Second"))
    assert not created and query.revision == 2 and query.title == "Second"
    query, _ = catalogue.save("mine", first.replace("First", "Second"))
    assert query.revision == 2  # saving the same text again records nothing
    assert [r.number for r in catalogue.history("mine")] == [1, 2]
    assert catalogue.revision_text("mine", 1) == first
    assert catalogue.restore("mine", 1).title == "First"
    assert catalogue.get("mine").revision == 3
    assert {q.name for q in catalogue.queries()} >= {"mine", "members-of"}


def test_delete_keeps_the_history_so_it_can_be_restored(catalogue: Catalogue) -> None:
    catalogue.save("gone", rq("Gone", "ASK { ?s ?p ?o }\n"))
    catalogue.delete("gone")
    with pytest.raises(QueryNotFound):
        catalogue.get("gone")
    with pytest.raises(QueryNotFound):
        catalogue.delete("gone")
    assert catalogue.restore("gone", 1).title == "Gone"


def test_shipped_queries_are_read_only(catalogue: Catalogue) -> None:
    before = (CANNED / "members-of.rq").read_text()
    with pytest.raises(ReadOnlyQuery, match="shipped query"):
        catalogue.save("members-of", rq("Mine", "ASK {}\n"))
    with pytest.raises(ReadOnlyQuery):
        catalogue.delete("members-of")
    assert (CANNED / "members-of.rq").read_text() == before
    assert not (catalogue.saved_dir / "members-of.rq").exists()


@pytest.mark.parametrize("name", ["../evil", "..", "a/b", "A", "-x", "x_y", "x.rq", ".history", "", "x" * 65,
                                  "évil", "x\n", "x y", "%2e%2e"])
def test_unsafe_names_are_refused(catalogue: Catalogue, name: str) -> None:
    with pytest.raises(InvalidName, match="invalid query name"):
        catalogue.save(name, rq("T", "ASK {}\n"))
    assert not catalogue.saved_dir.exists() or not any(catalogue.saved_dir.glob("*.rq"))


def test_writes_are_atomic_and_leave_no_temporary_files(catalogue: Catalogue) -> None:
    for n in range(3):
        catalogue.save("atomic", rq(f"T{n}", "ASK {}\n"))
    leftovers = [p.name for p in catalogue.saved_dir.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    assert (catalogue.saved_dir / "atomic.rq").read_text() == rq("T2", "ASK {}\n")


def test_concurrent_saves_of_one_name_never_interleave(catalogue: Catalogue) -> None:
    texts = [rq(f"Version {n}", "SELECT ?s WHERE { ?s ?p ?o }\n" + f"# {n}\n" + "#" * 20_000 + "\n")
             for n in range(24)]
    start = threading.Barrier(len(texts))

    def save(text: str) -> None:
        start.wait()
        catalogue.save("contended", text)

    threads = [threading.Thread(target=save, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = catalogue.history("contended")
    assert [r.number for r in history] == list(range(1, len(texts) + 1))
    saved = [r.path.read_text() for r in history]
    assert sorted(saved) == sorted(texts)  # each revision is exactly one writer's text
    assert (catalogue.saved_dir / "contended.rq").read_text() == saved[-1]


def _save_in_process(saved_dir: str, n: int) -> None:
    fixture_catalogue(Path(saved_dir)).save("shared", rq(f"Process {n}", "ASK { ?s ?p ?o }\n" + "#" * 50_000 + "\n"))


def test_concurrent_saves_from_processes_never_interleave(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_save_in_process, args=(str(tmp_path), n)) for n in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    catalogue = fixture_catalogue(tmp_path)
    texts = [r.path.read_text() for r in catalogue.history("shared")]
    assert len(texts) == 4 and len(set(texts)) == 4
    assert (tmp_path / "shared.rq").read_text() == texts[-1]


def test_a_broken_file_in_the_saved_folder_is_skipped(catalogue: Catalogue) -> None:
    catalogue.saved_dir.mkdir(parents=True)
    (catalogue.saved_dir / "broken.rq").write_text("#+ title: [unclosed\nASK {}\n")
    assert "broken" not in {q.name for q in catalogue.queries()}
    with pytest.raises(QueryNotFound):
        catalogue.get("broken")


# -- the command line --------------------------------------------------------------------------------------------


def kg_queries(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    environment.update(KG_QUERIES_DIR=str(tmp_path / "saved"), KG_BASE_URI=BASE)
    return subprocess.run([sys.executable, "-m", "kg.cli", "queries", *args], capture_output=True, text=True,
                          timeout=300, env=environment)


def test_cli_save_list_show_run(tmp_path: Path) -> None:
    data = str(CANNED / "data.ttl")
    saved = kg_queries(tmp_path, "save", str(CANNED / "members-of.rq"), "--name", "members", "--data", data)
    assert saved.returncode == 0, saved.stderr
    assert "created members (revision 1)" in saved.stdout
    listed = kg_queries(tmp_path, "list", "--tag", "people")
    assert "members  Members of an organisation  (organization?)  [owlrl, saved]" in listed.stdout
    shown = kg_queries(tmp_path, "show", "members")
    assert "--param organization=…" in shown.stdout and "[default acme]" in shown.stdout
    assert shown.stdout.rstrip().endswith("ORDER BY ?name")
    table = kg_queries(tmp_path, "run", "members", "--data", data, "--param", "organization=zeta")
    assert table.returncode == 0, table.stderr
    assert "Sam Roe" in table.stdout and "(1 row)" in table.stdout
    as_csv = kg_queries(tmp_path, "run", "members", "--data", data, "--format", "csv")
    assert as_csv.stdout.splitlines()[0] == "organization,person,name" and len(as_csv.stdout.splitlines()) == 4
    as_json = json.loads(kg_queries(tmp_path, "run", "members", "--data", data, "--format", "json").stdout)
    assert len(as_json["results"]["bindings"]) == 3
    empty = kg_queries(tmp_path, "run", "members", "--data", data, "--format", "csv", "--reasoning", "none",
                       "-p", "organization=tsinghua")
    assert empty.returncode == 0 and "Li Wei" in empty.stdout  # the asserted memberOf needs no reasoning


def test_cli_refuses_bad_values_files_and_names(tmp_path: Path) -> None:
    data = str(CANNED / "data.ttl")
    kg_queries(tmp_path, "save", str(CANNED / "older-than.rq"), "--data", data)
    bad_value = kg_queries(tmp_path, "run", "older-than", "--data", data, "-p", "age=old")
    assert bad_value.returncode == 1 and "parameter 'age': expected an integer" in bad_value.stderr
    bad_pair = kg_queries(tmp_path, "run", "older-than", "--data", data, "-p", "age")
    assert bad_pair.returncode == 2 and "NAME=VALUE" in bad_pair.stderr
    broken = tmp_path / "broken.rq"
    broken.write_text("#+ title: Broken\nSELECT ?x WHERE { ?x ?y \n")
    refused = kg_queries(tmp_path, "save", str(broken), "--data", data)
    assert refused.returncode == 1 and f"{broken}:3: syntax error at line 3" in refused.stderr
    hostile = kg_queries(tmp_path, "save", str(CANNED / "older-than.rq"), "--name", "../../escape", "--data", data)
    assert hostile.returncode == 1 and "invalid query name" in hostile.stderr
    assert not any(tmp_path.parent.glob("escape*")) and not any(tmp_path.glob("escape*"))
    missing = kg_queries(tmp_path, "show", "nope")
    assert missing.returncode == 1 and "no canned query named 'nope'" in missing.stderr


def test_cli_history_restore_delete(tmp_path: Path) -> None:
    data = str(CANNED / "data.ttl")
    first = tmp_path / "q.rq"
    first.write_text(rq("First", "ASK { ?s ?p ?o }\n"))
    kg_queries(tmp_path, "save", str(first), "--data", data)
    first.write_text(rq("Second", "ASK { ?s ?p ?o }\n"))
    kg_queries(tmp_path, "save", str(first), "--data", data)
    history = kg_queries(tmp_path, "history", "q")
    assert [line.split("\t")[0] for line in history.stdout.splitlines()] == ["1", "2"]
    assert kg_queries(tmp_path, "restore", "q", "1").stdout.strip() == "restored q revision 1 as revision 3"
    assert "q: First" in kg_queries(tmp_path, "show", "q").stdout
    assert kg_queries(tmp_path, "delete", "q").returncode == 0
    assert kg_queries(tmp_path, "show", "q").returncode == 1


# -- the shipped catalogue ---------------------------------------------------------------------------------------

SHIPPED = Path(__file__).parent.parent / "queries"


@pytest.fixture(scope="module")
def shipped_client(knowledge_graph: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory):
    """The app over the shipped data and the shipped queries (saved queries in an empty folder)."""
    from kg.app import create_app

    settings = knowledge_graph.settings.replace(queries_dir=tmp_path_factory.mktemp("saved"))
    return create_app(settings, knowledge_graph).test_client()


def shipped_rows(client, name: str, reasoning: str | None = None, **params: str) -> list[dict[str, rdflib.term.Node]]:
    query = {**params, **({"reasoning": reasoning} if reasoning else {})}
    response = client.get(f"/api/queries/{name}/run", query_string=query)
    assert response.status_code == 200, (name, response.get_data(as_text=True))
    result = JSONResultParser().parse(io.StringIO(response.get_data(as_text=True)))
    return [{str(name): value for name, value in row.items()} for row in result.bindings]


def test_the_shipped_catalogue_is_complete_and_documented() -> None:
    files = sorted(SHIPPED.glob("*.rq"))
    assert len(files) >= 15
    catalogue = Catalogue(SHIPPED, Path("/nonexistent"), PREFIXES)
    queries = catalogue.queries()
    assert [q.name for q in queries] == [f.stem for f in files]  # every file parses
    for query in queries:
        assert query.title and query.description and query.tags, query.name
        catalogue.parse(query.name, query.sparql)  # header and token checks a save makes
        for parameter in query.parameters:
            assert parameter.default is not None or not parameter.required, (query.name, parameter.name)
    assert sum(q.reasoning == "owlrl" for q in queries) >= 5
    readme = (SHIPPED / "README.md").read_text().split("## The shipped queries", 1)[1]
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, re.MULTILINE))
    assert listed == {q.name for q in queries}, "queries/README.md lists every shipped query"


def test_every_shipped_query_runs_with_its_defaults_and_passes_the_save_checks(
    shipped_client, knowledge_graph: KnowledgeGraph
) -> None:
    catalogue = Catalogue(SHIPPED, Path("/nonexistent"), PREFIXES)
    evaluator = InProcessEvaluator(knowledge_graph, knowledge_graph.settings)
    for query in catalogue.queries():
        assert shipped_rows(shipped_client, query.name), f"{query.name} answers nothing with its defaults"
        trial_run(query, knowledge_graph, evaluator)
        csv_answer = shipped_client.get(f"/api/queries/{query.name}/run?format=csv&download=1")
        assert csv_answer.status_code == 200 and csv_answer.mimetype == "text/csv"


def _bound_values(rows: list[dict]) -> int:
    return sum(1 for row in rows for value in row.values() if value is not None)


def test_queries_marked_for_reasoning_answer_less_without_it_and_the_others_do_not(shipped_client) -> None:
    catalogue = Catalogue(SHIPPED, Path("/nonexistent"), PREFIXES)
    for query in catalogue.queries():
        with_reasoning = shipped_rows(shipped_client, query.name, "owlrl")
        without = shipped_rows(shipped_client, query.name, "none")
        if query.reasoning == "owlrl":
            assert _bound_values(without) < _bound_values(with_reasoning), query.name
        else:
            key = lambda row: sorted((k, str(v)) for k, v in row.items())  # noqa: E731
            assert sorted(map(key, without)) == sorted(map(key, with_reasoning)), query.name


#: (competency question, canned query, parameters, row filter, columns): the query, run over the API with those
#: parameters, answers the question exactly (rows compacted as the competency tests do, unbound columns dropped).
COMPETENCY_ANSWERS = [
    ("roundtable-date-organiser-series", "event-overview", {}, None, ("date", "organizer", "series", "ordinal")),
    ("exact-post-titles", "posts-and-holders", {}, None, ("person", "title", "organization")),
    ("invited-organisations", "event-roles", {"role": "invitee"}, None, ("agent",)),
    ("invited-leaders-figure", "figures-about", {"subject": "event:high-level-roundtable-2021-01-13"}, None,
     ("value", "unit", "comparator")),
    ("anonymous-speaking-organisations", "statements-at-event", {}, lambda r: r["passage"].endswith("/p35"),
     ("speaker", "kind")),
    ("association-attendees", "event-roles", {"role": "attendee"}, lambda r: not r["agent"].endswith("li-baodong"),
     ("agent", "onBehalfOf")),
    ("pct-madrid-growth", "figures-about", {}, lambda r: r.get("reportedBy"),
     ("measure", "value", "unit", "period", "reportedBy")),
    ("huawei-figures", "figures-about", {"subject": "organization:huawei"}, None,
     ("measure", "value", "unit", "comparator", "reportedBy")),
    ("china-gii-2020", "figures-about", {}, lambda r: r.get("reportedIn"), ("measure", "value", "standing")),
    ("laws-in-force-2021-06-01", "laws-entering-into-force", {}, None, ("law", "pavesWayFor")),
    ("china-treaty-statuses", "treaty-statuses", {}, None, ("treaty", "status")),
    ("policy-plans", "policy-plans", {}, None, ("plan", "appliesTo")),
    ("director-general-took-office", "posts-and-holders", {"organization": "wipo"}, lambda r: r.get("since"),
     ("person", "since")),
    ("cross-collaboration-initiatives", "initiatives-proposed-by", {}, lambda r: r["initiative"].split("/")[-2] ==
     "initiative", ("initiative", "topic")),
    ("four-aspects", "plan-priorities", {"kind": "WorkAspect"}, None, ("ordinal", "priority")),
    ("treaties-and-systems-to-promote", "priority-targets", {}, lambda r: r["priority"].endswith("aspect-1-treaties"),
     ("relation", "target")),
    ("events-to-attend-with-cities", "planned-events", {}, None, ("event", "city")),
    ("platforms-to-promote", "priority-targets", {}, lambda r: r["priority"].endswith("aspect-3-platforms"),
     ("target",)),
    ("regional-priorities", "priority-targets", {}, lambda r: r["relation"] in ("targets region", "core city"),
     ("priority", "target")),
    ("gii-2020-roundtable-government-bodies", "event-roles",
     {"event": "gii-2020-high-level-roundtable", "role": "attendee"}, None, ("agent",)),
    ("provenance-of-huawei-pct-figure", "search-passages", {"text": "over 50,000 PCT patent applications"}, None,
     ("passage", "position")),
    ("schema-persons", "posts-and-holders", {}, None, ("person",)),
    ("schema-attendees", "event-participants", {}, None, ("participant",)),
    ("schema-affiliation-wipo", "people-affiliated-with", {}, None, ("person",)),
    ("business-sector-participants", "participants-by-sector", {}, lambda r: r["kind"] == "person", ("participant",)),
    ("requests-to-wipo", "requests-to-wipo", {}, None, ("speaker",)),
    ("speaking-organisations", "speaking-organisations", {}, None, ("organization",)),
    ("schema-dated-located-events", "dated-events", {}, lambda r: r.get("place"), ("event", "date", "place")),
    ("fairs-the-woc-took-part-in", "events-of-agent", {"kind": "Fair"}, None, ("event",)),
    ("wipo-services", "services-of-provider", {}, None, ("service",)),
    ("statements-on-dispute-resolution", "statements-about-topic", {}, None, ("statement",)),
    ("places-in-northern-china", "places-within", {}, None, ("within",)),
]


@pytest.mark.parametrize(("question_name", "query_name", "params", "keep", "columns"), COMPETENCY_ANSWERS,
                         ids=[entry[0] for entry in COMPETENCY_ANSWERS])
def test_shipped_queries_answer_the_competency_questions(shipped_client, knowledge_graph: KnowledgeGraph,
                                                        question_name, query_name, params, keep, columns) -> None:
    from tests.test_competency import QUESTIONS, compact

    question = next(q for q in QUESTIONS if q.name == question_name)
    prefixes = knowledge_graph.namespaces.prefixes()
    answer = set()
    for row in shipped_rows(shipped_client, query_name, **params):
        plain = {name: str(value) for name, value in row.items() if value is not None}
        if keep is None or keep(plain):
            answer.add(tuple(compact(row[c], prefixes) for c in columns if row.get(c) is not None))
    assert answer == question.expected


def test_shipped_queries_answer_the_remaining_questions_in_words(shipped_client) -> None:
    taihe = shipped_rows(shipped_client, "organization-profile")[0]
    assert str(taihe["mission"]) == "gathering global elites and seeking common values"
    assert "Chairman: Peng Binge" in str(taihe["posts"])
    boao = shipped_rows(shipped_client, "statements-to", addressee="wipo")
    areas = next(str(r["topics"]) for r in boao if str(r["statement"]).endswith("li-baodong-cooperation-with-wipo"))
    assert set(areas.split(", ")) == {"health", "technological innovation", "international security"}
    xi = shipped_rows(shipped_client, "statements-by-speaker", speaker="xi-jinping")
    relayed = [r for r in xi if str(r.get("event", "")).endswith("cpc-political-bureau-25th-group-study-session")]
    assert len(relayed) == 1 and str(relayed[0]["reportedBy"]).endswith("person:li-baodong".replace(":", "/"))
    units = {str(r["unit"]).rsplit("/", 1)[1]: str(r["sector"]).rsplit("/", 1)[1]
             for r in shipped_rows(shipped_client, "organization-units", organization="cpc")}
    assert units == {"cpc-central-committee": "political-party", "cpc-political-bureau": "political-party"}
    arbitration = next(r for r in shipped_rows(shipped_client, "services-of-provider")
                       if str(r["service"]).endswith("wipo-arbitration-and-mediation-services"))
    assert set(str(arbitration["plannedLocations"]).split(", ")) == {"Beijing", "Guangdong"}
    academia = {str(r["participant"]).rsplit("/", 1)[1] for r in shipped_rows(
        shipped_client, "participants-by-sector", sector="academia") if str(r["kind"]) == "person"}
    associations = {str(r["participant"]).rsplit("/", 1)[1] for r in shipped_rows(
        shipped_client, "participants-by-sector", sector="association") if str(r["kind"]) == "person"}
    assert academia == {"yao-weihao", "wang-yan"}
    assert associations == {"li-baodong", "he-zhenfu", "sun-yue", "xie-xiaoyong"}
    members = {str(r["person"]).rsplit("/", 1)[1] for r in shipped_rows(
        shipped_client, "people-affiliated-with", organization="peking-university")}
    assert members == {"yao-weihao"}


def test_the_participants_per_sector_chart(shipped_client) -> None:
    page = shipped_client.get("/query?name=participants-per-sector&run=1").get_data(as_text=True)
    assert page.count("<rect") == len(shipped_rows(shipped_client, "participants-per-sector")) >= 4
