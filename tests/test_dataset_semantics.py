"""The dataset a query sees follows SPARQL 1.1's: the default graph is the data's, named graphs stay named."""

from __future__ import annotations

from pathlib import Path

from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE

EX = "http://example.org/ds#"


def _graph(tmp_path: Path, *documents: tuple[str, str]) -> KnowledgeGraph:
    paths = []
    for name, text in documents:
        path = tmp_path / name
        path.write_text(text)
        paths.append(RdfSource(path))
    return open_dataset(Settings(base_uri=BASE), paths)


def test_named_graph_data_is_not_in_the_default_graph_and_graph_sees_only_named_graphs(tmp_path: Path) -> None:
    graph = _graph(tmp_path, ("data.trig", f"<{EX}a> <{EX}p> 1 . <{EX}g> {{ <{EX}b> <{EX}p> 2 }}\n"))
    for mode in ("none", "rdfs", "owlrl"):
        default = graph.select(f"SELECT ?s WHERE {{ ?s <{EX}p> ?o }}", mode)
        assert [str(row["s"]) for row in default] == [EX + "a"], mode
        named = graph.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", mode)
        assert [str(row["g"]) for row in named] == [EX + "g"], mode


def test_a_declared_source_graph_also_asserts_its_triples(tmp_path: Path) -> None:
    graph = _graph(tmp_path, ("data.trig", f"<{EX}g> a <ontology#SourceGraph> . <{EX}g> {{ <{EX}b> <{EX}p> 2 }}\n"))
    assert graph.ask(f"ASK {{ <{EX}b> <{EX}p> 2 }}", "none")
    assert graph.ask(f"ASK {{ GRAPH <{EX}g> {{ <{EX}b> <{EX}p> 2 }} }}", "none")


def test_blank_nodes_of_two_files_stay_apart(tmp_path: Path) -> None:
    for suffix in ("trig", "ttl"):
        graph = _graph(tmp_path, (f"one.{suffix}", f"_:b <{EX}p> 1 .\n"), (f"two.{suffix}", f"_:b <{EX}p> 2 .\n"))
        rows = graph.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{EX}p> ?o }}", "none")
        assert int(rows[0]["n"]) == 2, suffix


def test_the_shipped_article_is_in_the_default_graph_and_its_passages_are_named_graphs(
    knowledge_graph: KnowledgeGraph,
) -> None:
    graphs = {str(row["g"]) for row in knowledge_graph.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs and all(g.startswith(BASE + "graph/source/") for g in graphs)
    assert BASE + "graph/source/p01" in graphs
    people = knowledge_graph.select("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Person }", "none")
    assert int(people[0]["n"]) == 16


def test_a_query_file_s_relative_iris_resolve_against_the_file(tmp_path: Path) -> None:
    """``kg query @q.rq``: ``FROM <data.ttl>`` names the file beside the query, not a graph under KG_BASE_URI."""
    from click.testing import CliRunner

    from kg.cli import main

    data = tmp_path / "data.nq"
    graph_name = (tmp_path / "g.ttl").as_uri()
    data.write_text(f"<{EX}a> <{EX}p> <{EX}b> <{graph_name}> .\n")
    query = tmp_path / "q.rq"
    query.write_text("SELECT ?s FROM <g.ttl> WHERE { ?s ?p ?o }\n")
    result = CliRunner().invoke(main, ["query", f"@{query}", "--data", str(data), "--reasoning", "none",
                                       "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["s", EX + "a"]
    based = CliRunner().invoke(main, ["query", f"@{query}", "--query-base", BASE, "--data", str(data),
                                      "--reasoning", "none", "--format", "csv"])
    assert based.output.split() == ["s"]


def test_a_query_is_given_the_predeclared_prefixes_it_names(tmp_path: Path) -> None:
    graph = _graph(tmp_path, ("a.ttl", f"<{BASE}a> a <{BASE}C> ; <http://www.w3.org/2000/01/rdf-schema#label> \"a\" ."))
    given = graph.namespaces.prefixes_in("SELECT ?l WHERE { ?s rdfs:label ?l ; rdf:type ?c }")
    assert set(given) == {"rdfs", "rdf"}
    assert graph.namespaces.prefixes_in("SELECT * { ?s rdf\\u003Atype ?c }") == graph.namespaces.prefixes()
    assert [row["l"].toPython() for row in graph.select("SELECT ?l WHERE { ?s rdfs:label ?l ; rdf:type ?c }")] == ["a"]
