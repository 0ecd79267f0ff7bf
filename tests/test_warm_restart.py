"""A restarted ``oxigraph:PATH`` dataset reasons nothing: its first write reads the reasoner's state saved beside the
store (plus the changes logged since) instead of recomputing the closure, and the closure it maintains stays the
closure of what is asserted — after a clean close, after ``kill -9``, and with a damaged or foreign state file."""

from __future__ import annotations

import json
import pickle
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.dataset import KnowledgeGraph, open_dataset
from kg.dataset.bulk_load import load_files
from kg.reasoning.closure import Closure
from kg.reasoning.explain import derivation_tree
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import FIXTURES
from tests.live_server import live_server
from tests.test_durability import EX, _env, _kill_group, _update

FAMILY = FIXTURES / "family.ttl"
STATE = "ipkg-reasoner-owlrl.pickle"


def _open(store: Path, lines: list[str]) -> KnowledgeGraph:
    graph = open_dataset(Settings(store=f"oxigraph:{store}"), [RdfSource(FAMILY)], lines.append)
    graph.ensure_reasoned("owlrl", lines.append)
    return graph


def _quad(subject: str, predicate: str, obj: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(EX + subject), ox.NamedNode(EX + predicate), ox.NamedNode(EX + obj), ox.DefaultGraph())


def _assert_closure_of_asserted(graph: KnowledgeGraph) -> None:
    """The stored closure graph and the kept closure are exactly those of the asserted triples, computed afresh."""
    fresh = Closure.of_ntriples("owlrl", graph.store.dump_ntriples(graph.layout.asserted))
    expected = set(fresh.ntriples(fresh.additions()).splitlines())
    stored = set(graph.store.dump_ntriples(graph.layout.closure("owlrl")).splitlines())
    assert stored == expected
    kept = graph.closure("owlrl")
    assert set(kept.ntriples(kept.engine.known).splitlines()) == set(fresh.ntriples(fresh.engine.known).splitlines())


def _reasoned(lines: list[str]) -> bool:
    return any(line.startswith("reasoning (owlrl, engine") for line in lines)


def _write_and_reopen(store: Path, close: bool) -> tuple[KnowledgeGraph, list[str]]:
    """Build, write twice (one inference gained, one lost), stop (cleanly or not), reopen."""
    graph = _open(store, [])
    graph.apply_changes([_quad("cid", "hasChild", "eve")], [])
    graph.apply_changes([], [_quad("bob", "hasChild", "cid")])
    if close:
        graph.close()
    else:  # as a kill -9 after the last commit: nothing more is saved
        graph.store.close()
    lines: list[str] = []
    return _open(store, lines), lines


def test_the_first_write_after_a_clean_restart_reads_the_saved_state(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = tmp_path / "store"
    graph, lines = _write_and_reopen(store, close=True)
    assert (store / STATE).exists()
    assert not _reasoned(lines)
    with caplog.at_level("INFO", logger="kg.reasoning"):
        graph.apply_changes([], [_quad("ann", "hasChild", "bob")])
    assert f"read the reasoner's state (owlrl) from {STATE}" in caplog.text
    assert "later change" not in caplog.text
    assert not _reasoned(lines)
    _assert_closure_of_asserted(graph)
    graph.close()


def test_after_a_kill_the_changes_since_the_saved_state_come_from_the_log(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    store = tmp_path / "store"
    graph, lines = _write_and_reopen(store, close=False)
    with caplog.at_level("INFO", logger="kg.reasoning"):
        graph.apply_changes([_quad("eve", "hasChild", "fay")], [])
    assert "and 2 later changes from the log" in caplog.text
    assert not _reasoned(lines)
    _assert_closure_of_asserted(graph)
    ancestor = ox.Triple(ox.NamedNode(EX + "cid"), ox.NamedNode(EX + "ancestorOf"), ox.NamedNode(EX + "fay"))
    assert ancestor in set(graph.store.triples(graph.layout.closure("owlrl")))
    closure = graph.closure("owlrl")
    fact = closure.fact(ancestor)
    assert fact is not None
    asserted = set(graph.store.triples(graph.layout.asserted))
    tree = derivation_tree(closure, fact)
    assert tree.inferred and {leaf.triple for leaf in tree.leaves()} <= asserted
    graph.close()


@pytest.mark.parametrize("damage", ["truncated", "other reasoner", "not a closure"])
def test_an_unusable_state_file_means_the_closure_is_computed_again(tmp_path: Path, damage: str,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    store = tmp_path / "store"
    graph = _open(store, [])
    graph.apply_changes([_quad("cid", "hasChild", "eve")], [])
    graph.close()
    path = store / STATE
    content = path.read_bytes()
    header, _, body = content.partition(b"\n")
    if damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    elif damage == "other reasoner":
        path.write_bytes(json.dumps({**json.loads(header), "reasoner": "fast:0000"}).encode() + b"\n" + body)
    else:
        path.write_bytes(header + b"\n" + pickle.dumps({"not": "a closure"}))
    graph = _open(store, [])
    with caplog.at_level("INFO", logger="kg.reasoning"):
        graph.apply_changes([], [_quad("ann", "hasChild", "bob")])
    assert "the closure is computed again" in caplog.text
    _assert_closure_of_asserted(graph)
    graph.close()


def test_a_bulk_load_discards_the_saved_state(tmp_path: Path) -> None:
    store = tmp_path / "store"
    graph = _open(store, [])
    assert (store / STATE).exists()
    extra = tmp_path / "extra.nt"
    extra.write_text(f"<{EX}eve> <{EX}hasChild> <{EX}ann> .\n", encoding="utf-8")
    load_files(graph, [extra], lambda _line: None, show_bars=False)
    graph.ensure_reasoned("owlrl")
    graph.apply_changes([_quad("ann", "hasChild", "gus")], [])
    _assert_closure_of_asserted(graph)
    graph.close()
    lines: list[str] = []
    graph = _open(store, lines)
    graph.apply_changes([], [_quad("ann", "hasChild", "gus")])
    assert not _reasoned(lines)
    _assert_closure_of_asserted(graph)
    graph.close()


def _ask(server: object, text: str) -> bool:
    query = urllib.parse.urlencode({"query": text, "reasoning": "owlrl"})
    reply = server.request("GET", f"/sparql?{query}", headers={"Accept": "application/sparql-results+json"})  # type: ignore[attr-defined]
    assert reply.status == 200, reply.text
    return json.loads(reply.text)["boolean"]


def test_a_server_killed_after_writes_restarts_without_reasoning_and_keeps_inferring(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with live_server(tmp_path, FAMILY, env=_env(store)) as server:
        assert _update(server, f"INSERT DATA {{ <{EX}cid> <{EX}hasChild> <{EX}eve> }}") == 200
        assert _update(server, f"DELETE DATA {{ <{EX}bob> <{EX}hasChild> <{EX}cid> }}") == 200
        _kill_group(server)
    restarted = tmp_path / "restarted"
    restarted.mkdir()
    with live_server(restarted, FAMILY, env=_env(store)) as server:
        assert _update(server, f"INSERT DATA {{ <{EX}bob> <{EX}hasChild> <{EX}cid> }}") == 200
        assert _ask(server, f"ASK {{ <{EX}ann> <{EX}ancestorOf> <{EX}eve> }}")
        assert _update(server, f"DELETE DATA {{ <{EX}cid> <{EX}hasChild> <{EX}eve> }}") == 200
        assert not _ask(server, f"ASK {{ <{EX}ann> <{EX}ancestorOf> <{EX}eve> }}")
        log = server.log()
    assert "reasoning (owlrl, engine" not in log
    assert "and 2 later changes from the log" in log


class Refused(Exception):
    """What the check below raises."""


def test_a_refused_change_never_reaches_the_saved_state(tmp_path: Path) -> None:
    """A closure computed inside a change (its file was unusable) is saved only between changes: a change refused
    after it (here by a check, as the SHACL guard refuses) leaves no trace in the file, even one that keeps the
    number of asserted triples (one removed, one added) and then a kill."""
    store = tmp_path / "store"
    graph = _open(store, [])
    graph.close()
    (store / STATE).unlink()
    graph = _open(store, [])

    def refuse(_removed: object, _added: object) -> None:
        raise Refused()

    graph.checks.append(refuse)
    with pytest.raises(Refused):
        graph.apply_changes([_quad("cid", "hasChild", "eve")], [_quad("bob", "hasChild", "cid")])
    graph.store.close()  # killed: nothing saved at close
    graph = _open(store, [])
    graph.apply_changes([_quad("ann", "likes", "bob")], [])
    _assert_closure_of_asserted(graph)
    graph.close()
