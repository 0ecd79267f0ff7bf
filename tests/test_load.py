"""``kg load``: every RDF format (gzip too) into a persistent store, checked first, reasoned once; run as a user runs it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.test_cli import kg

FAMILY = str(FIXTURES / "family.ttl")
EX = "http://example.org/load#"


def _files(folder: Path) -> list[Path]:
    """One file per format; the closure needs several of them together (class in one, instance in another)."""
    ontology = folder / "ontology.ttl"
    ontology.write_text(f"@prefix ex: <{EX}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                        "ex:Professor rdfs:subClassOf ex:Teacher . ex:teaches rdfs:domain ex:Teacher .\n")
    triples = folder / "people.nt.gz"
    with gzip.open(triples, "wt", encoding="utf-8") as handle:
        handle.write(f"<{EX}ada> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Professor> .\n")
        handle.write(f'<{EX}ada> <http://www.w3.org/2000/01/rdf-schema#label> "Ada Lovelace"@en .\n')
    quads = folder / "courses.trig"
    # A source graph (declared so in the default graph, class relative to the base): its triple is asserted too.
    quads.write_text(f"<{EX}courses> a <ontology#SourceGraph> . <{EX}courses> {{ <{EX}bea> <{EX}teaches> <{EX}logic> . }}\n")
    jsonld = folder / "rooms.jsonld"
    jsonld.write_text(json.dumps({"@id": f"{EX}logic", f"{EX}room": [{"@value": "B12"}]}))
    rdfxml = folder / "extra.rdf"
    rdfxml.write_text(f'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">'
                      f'<rdf:Description rdf:about="{EX}cid"><ex:teaches rdf:resource="{EX}art"/></rdf:Description></rdf:RDF>\n')
    return [ontology, triples, quads, jsonld, rdfxml]


def _count(store: str, pattern: str, reasoning: str = "none") -> int:
    done = kg("--store", store, "query", "--data", FAMILY, "--reasoning", reasoning, "--format", "csv",
              f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def test_every_format_is_loaded_and_reasoned_once(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'store'}"
    files = _files(tmp_path)
    done = kg("load", "--store", store, "--data", FAMILY, *map(str, files))
    assert done.returncode == 0, done.stderr
    assert "loaded 5 files into the store at" in done.stdout and "8 new asserted triples" in done.stdout
    assert "checking people.nt.gz" in done.stderr and "loading people.nt.gz" in done.stderr  # progress bars
    assert done.stderr.count("reasoned (owlrl)") == 1 and done.stderr.count("reasoned (rdfs)") == 1
    teachers = f"?t a <{EX}Teacher>"
    assert _count(store, teachers, "owlrl") == 3  # ada (subclass), bea and cid (domain): across files
    assert _count(store, teachers, "none") == 0
    assert _count(store, f"GRAPH <{EX}courses> {{ ?s ?p ?o }}") == 1
    assert _count(store, f'<{EX}logic> <{EX}room> "B12"') == 1
    again = kg("--store", store, "load", "--no-progress", "--data", FAMILY, str(files[1]))
    assert again.returncode == 0, again.stderr
    assert "0 new asserted triples" in again.stdout and "checking" not in again.stderr


def test_a_bad_file_is_named_with_its_line_and_nothing_is_loaded(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'store'}"
    good = _files(tmp_path)[0]
    bad = tmp_path / "broken.nt"
    bad.write_text(f"<{EX}a> <{EX}p> <{EX}b> .\n<{EX}a> <{EX}p> <{EX}c> .\n<{EX}a> <{EX}p> \"unterminated .\n")
    done = kg("--store", store, "load", "--data", FAMILY, str(good), str(bad))
    assert done.returncode == 1
    assert f"{bad}: " in done.stderr and "line 3" in done.stderr and "nothing was loaded" in done.stderr
    assert _count(store, f"?s <{EX}p> ?o") == 0
    assert _count(store, "?s ?p ?o") == _count(f"oxigraph:{tmp_path / 'fresh'}", "?s ?p ?o")  # the family data only


def test_unknown_formats_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    odd = tmp_path / "data.csv"
    odd.write_text("a,b\n")
    done = kg("--store", f"oxigraph:{tmp_path / 'store'}", "load", "--data", FAMILY, str(odd))
    assert done.returncode == 1
    assert "data.csv: unknown RDF format" in done.stderr


def test_loading_into_memory_is_refused_with_what_to_do_instead(tmp_path: Path) -> None:
    done = kg("load", str(_files(tmp_path)[0]))
    assert done.returncode == 2
    assert "--store oxigraph:PATH" in done.stderr and "kg serve --data FILE" in done.stderr


def test_a_loaded_store_reopens_without_reading_the_files_again(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'store'}"
    files = _files(tmp_path)
    assert kg("--store", store, "load", "--no-progress", "--data", FAMILY, *map(str, files)).returncode == 0
    done = kg("-v", "--store", store, "query", "--data", FAMILY, f"ASK {{ <{EX}ada> a <{EX}Teacher> }}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "yes"
    assert "sources unchanged, closures up to date" in done.stderr
    assert "loaded " not in done.stderr and "reasoning" not in done.stderr


@pytest.mark.parametrize("changed", ["loaded file", "seed"])
def test_an_interrupted_load_is_reported_on_the_next_start(tmp_path: Path, changed: str) -> None:
    store = tmp_path / "store"
    files = _files(tmp_path)
    assert kg("--store", f"oxigraph:{store}", "load", "--no-progress", "--data", FAMILY, str(files[0])).returncode == 0
    manifest_path = store / "ipkg-manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest.update(loading=[str(files[1])], clean=False)
    manifest_path.write_text(json.dumps(manifest))
    seed = FAMILY
    if changed == "seed":
        seed_copy = tmp_path / "family.ttl"
        seed_copy.write_text(Path(FAMILY).read_text() + "\n")
        seed = str(seed_copy)
    done = kg("-v", "--store", f"oxigraph:{store}", "query", "--data", seed, "ASK {}")
    assert done.returncode == 0, done.stderr
    if changed == "seed":
        assert "an interrupted `kg load`" in done.stderr and "is served as it is" in done.stderr
    else:
        assert "a `kg load` of" in done.stderr and "was interrupted" in done.stderr and "run it again" in done.stderr
        assert "closures will be recomputed" in done.stderr
