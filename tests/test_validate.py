"""SHACL validation of the shipped data: it conforms; a deliberately broken addition fails, rule by rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, URIRef
from rdflib.namespace import SH

from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource, shapes_source, shipped_sources
from kg.dataset.validation import ValidationReport, validate
from tests.conftest import BASE, FIXTURES

BROKEN = FIXTURES / "content" / "broken.trig"
KG = BASE + "ontology#"
ID = BASE + "id/"


def kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def broken_report() -> ValidationReport:
    """The shipped files plus the broken fixture, validated."""
    graph = open_dataset(Settings(base_uri=BASE), shipped_sources() + [RdfSource(BROKEN)])
    return validate(graph, shapes_source())


def violations(report: ValidationReport) -> set[tuple[str, str | None]]:
    """(focus node relative to ``<base>id/``, path relative to ``kg:``) of every result."""
    results = report.results_graph
    found = set()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = str(results.value(result, SH.focusNode)).removeprefix(ID)
        path = results.value(result, SH.resultPath)
        found.add((focus, str(path).removeprefix(KG) if path is not None else None))
    return found


def test_shipped_data_conforms(knowledge_graph: KnowledgeGraph) -> None:
    report = validate(knowledge_graph, shapes_source())
    assert report.conforms, report.text


def test_broken_data_fails_on_each_broken_rule(broken_report: ValidationReport) -> None:
    assert not broken_report.conforms
    assert violations(broken_report) == {
        ("person/nameless", "name"),
        ("person/nameless", "affiliatedWith"),
        ("organization/sectorless", "sector"),
        ("statement/unattributed", "speaker"),
        ("statement/unattributed", "source"),
        ("observation/unitless", "period"),
        ("observation/unitless", None),  # a value without a unit: neither branch of the sh:xone holds
        ("participation/roleless", "role"),
        ("post/untitled", "postTitle"),
        ("event/high-level-roundtable-2021-01-13", "startDate"),  # a second date, and not an xsd:date
    }


def test_every_violation_says_what_is_wrong(broken_report: ValidationReport) -> None:
    results = broken_report.results_graph
    for result in results.subjects(RDF.type, SH.ValidationResult):
        message = results.value(result, SH.resultMessage)
        assert message is not None and len(str(message)) > 20


def test_every_shape_has_a_message() -> None:
    shapes = rdflib.Graph()
    shapes.parse(shapes_source().path, format="turtle", publicID=BASE)
    shape_nodes = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    shape_nodes |= {node for node in shapes.objects(None, SH.property)}
    assert len(shape_nodes) > 40
    assert [node for node in shape_nodes if shapes.value(node, SH.message) is None] == []


def test_shapes_are_not_loaded_into_the_reasoned_graph(knowledge_graph: KnowledgeGraph) -> None:
    assert not knowledge_graph.ask("ASK { ?shape a sh:NodeShape }", "owlrl")
    assert all(source.path.name != "shapes.ttl" for source in shipped_sources())


def test_kg_validate_exits_0_on_the_shipped_data() -> None:
    done = kg("validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conforms: True" in done.stdout


def test_kg_validate_exits_1_and_reports_on_broken_data() -> None:
    files = [str(source.path) for source in shipped_sources()] + [str(BROKEN)]
    done = kg("validate", *(arg for path in files for arg in ("--data", path)))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Conforms: False" in done.stdout
    assert "A statement needs a speaker" in done.stdout
    assert str(URIRef(ID + "person/nameless")) in done.stdout


def test_kg_validate_exits_3_when_the_data_is_inconsistent(tmp_path: Path) -> None:
    data = tmp_path / "inconsistent.ttl"
    data.write_text("@prefix ex: <http://example.org/> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                    "ex:x owl:differentFrom ex:x .\n")
    done = kg("validate", "--data", str(data))
    assert done.returncode == 3, done.stdout + done.stderr
    assert ("inconsistent (owlrl): eq-diff1: a resource different from itself: "
            "<http://example.org/x> <http://www.w3.org/2002/07/owl#differentFrom> <http://example.org/x> .") in done.stdout
