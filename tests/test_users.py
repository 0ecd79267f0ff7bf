"""Named writers with roles: the users file, roles on every write route, per-role limits, tokens kept secret."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask, g
from flask.testing import FlaskClient

from kg import users as users_module
from kg.app import create_app
from kg.cli import main
from kg.dataset import KnowledgeGraph, open_dataset
from kg.evaluation.pool import WorkerPool
from kg.settings import Settings, SettingsError, load_settings
from kg.sources import RdfSource
from kg.sparql.errors import HttpError
from kg.users import ADMIN, hash_token, read_users
from kg.web.auth import caller_of, require_write_token
from tests.conftest import BASE, FIXTURES

TOKENS = {"reader": "reader-token-7f3a9", "writer": "writer-token-c81e2", "boss": "admin-token-55d0b"}
LEGACY = "legacy-write-token-91ab"
WRONG = "not-a-known-token-4242"
FAMILY = "http://example.org/family#"
QUERY = "#+ title: Anything\nSELECT ?s WHERE { ?s ?p ?o } LIMIT 1\n"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
"""Slow but bounded: four copies of the family data joined (1.3 million rows counted, about half a second)."""


def users_text(extra: str = "") -> str:
    """A users file: a reader, a writer and an admin (``boss``), with the roles' limits in ``extra``."""
    return extra + "".join(f'\n[users.{name}]\nrole = "{role}"\ntoken_hash = "{hash_token(TOKENS[name])}"\n'
                           for name, role in (("reader", "read"), ("writer", "write"), ("boss", "admin")))


def write_users(directory: Path, extra: str = "") -> Path:
    path = directory / "users.toml"
    path.write_text(users_text(extra))
    return path


def family_graph(settings: Settings) -> KnowledgeGraph:
    graph = open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")])
    for mode in ("rdfs", "owlrl"):
        graph.ensure_reasoned(mode)
    return graph


def make_app(tmp_path: Path, extra: str = "", **changes: object) -> Flask:
    settings = Settings(base_uri=BASE, users_file=write_users(tmp_path, extra), write_token=LEGACY,
                        queries_dir=tmp_path / "saved", **changes)  # type: ignore[arg-type]
    app = create_app(settings, family_graph(settings))
    app.config["TESTING"] = True
    return app


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


# -- every write route ---------------------------------------------------------------------------------------

WriteRoute = Callable[[FlaskClient, "str | None"], int]


def sparql_update(client: FlaskClient, token: str | None) -> int:
    return client.post("/sparql", data=f'INSERT DATA {{ <{FAMILY}x> <{FAMILY}p> "v" }}',
                       content_type="application/sparql-update", headers=bearer(token)).status_code


def store_put(client: FlaskClient, token: str | None) -> int:
    return client.put("/store?graph=urn:g", data=f"<{FAMILY}a> <{FAMILY}b> <{FAMILY}c> .",
                      content_type="text/turtle", headers=bearer(token)).status_code


def store_post(client: FlaskClient, token: str | None) -> int:
    return client.post("/store?graph=urn:g", data=f"<{FAMILY}a> <{FAMILY}b> <{FAMILY}d> .",
                       content_type="text/turtle", headers=bearer(token)).status_code


def store_delete(client: FlaskClient, token: str | None) -> int:
    client.put("/store?graph=urn:gone", data="<urn:a> <urn:b> <urn:c> .", content_type="text/turtle",
               headers=bearer(TOKENS["boss"]))
    return client.delete("/store?graph=urn:gone", headers=bearer(token)).status_code


def canned_put(client: FlaskClient, token: str | None) -> int:
    return client.put("/api/queries/mine", data=QUERY, content_type="application/sparql-query",
                      headers=bearer(token)).status_code


def canned_delete(client: FlaskClient, token: str | None) -> int:
    canned_put(client, TOKENS["boss"])
    return client.delete("/api/queries/mine", headers=bearer(token)).status_code


def canned_restore(client: FlaskClient, token: str | None) -> int:
    canned_put(client, TOKENS["boss"])
    return client.post("/api/queries/mine/history/1/restore", headers=bearer(token)).status_code


def page_save(client: FlaskClient, token: str | None) -> int:
    """The query page's save: the token is a form field (a browser sends no bearer header)."""
    form = {"save_name": "paged", "sparql": QUERY, "save_title": "Paged", "token": token or ""}
    return client.post("/query/save", data=form).status_code


ROUTES: list[WriteRoute] = [sparql_update, store_put, store_post, store_delete, canned_put, canned_delete,
                            canned_restore, page_save]
CALLERS = {"no token": (None, 401), "wrong token": (WRONG, 401), "read": (TOKENS["reader"], 403),
           "write": (TOKENS["writer"], 200), "admin": (TOKENS["boss"], 200), "KG_WRITE_TOKEN": (LEGACY, 200)}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.__name__)
def test_every_write_route_enforces_the_callers_role(tmp_path: Path, route: WriteRoute, caller: str) -> None:
    token, expected = CALLERS[caller]
    client = make_app(tmp_path).test_client()
    status = route(client, token)
    if expected == 200:
        assert status in (200, 201, 204, 302), status
    else:
        assert status == expected


@pytest.mark.parametrize("caller", ["no token", "wrong token", "read"])
def test_refusals_say_how_to_authenticate_and_change_nothing(tmp_path: Path, caller: str) -> None:
    token, expected = CALLERS[caller]
    client = make_app(tmp_path).test_client()
    reply = client.put("/store?graph=urn:g", data="<urn:a> <urn:b> <urn:c> .", content_type="text/turtle",
                       headers=bearer(token))
    assert reply.status_code == expected
    challenge = reply.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert ('error="insufficient_scope"' in challenge) == (caller == "read")
    assert client.get("/store?graph=urn:g").status_code == 404


def test_the_writers_name_is_known_to_the_request_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(tmp_path)
    with app.test_client() as client, caplog.at_level(logging.INFO, logger="kg.requests"):
        assert sparql_update(client, TOKENS["writer"]) == 200
        assert g.writer == "writer"
    assert "user=writer" in caplog.text


def test_an_admin_only_action_refuses_a_writer(tmp_path: Path) -> None:
    """What only ``admin`` may do (the change log's revert) asks ``require_write_token(needs=ADMIN)``."""
    app = make_app(tmp_path)
    with app.test_request_context():
        g.caller = caller_of(TOKENS["writer"])
        with pytest.raises(HttpError) as refused:
            require_write_token(needs=ADMIN)
        assert refused.value.status == 403 and "admin" in refused.value.message
        g.caller = caller_of(TOKENS["boss"])
        assert require_write_token(needs=ADMIN).name == g.writer == "boss"


def test_kg_write_token_alone_is_one_writer(tmp_path: Path) -> None:
    settings = Settings(base_uri=BASE, write_token=LEGACY, queries_dir=tmp_path / "saved")
    client = create_app(settings, family_graph(settings)).test_client()
    assert sparql_update(client, LEGACY) == 200
    assert sparql_update(client, WRONG) == 401
    assert [(user.name, user.role.name) for user in settings.users.users] == [("KG_WRITE_TOKEN", "write")]


def test_a_token_never_appears_in_a_log_or_an_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    bodies: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for token in (*TOKENS.values(), LEGACY, WRONG):
            for route in ROUTES:
                route(client, token)
            for headers in (bearer(token), {**bearer(token), "Accept": "application/json"},
                            {**bearer(token), "Accept": "text/html"}):
                for reply in (client.post("/sparql", data="CLEAR ALL x", content_type="application/sparql-update",
                                          headers=headers),
                              client.get("/sparql", query_string={"query": "SELECT nonsense"}, headers=headers),
                              client.put("/store?graph=urn:g", data="not turtle", content_type="text/turtle",
                                         headers=headers),
                              client.delete("/api/queries/none", headers=headers)):
                    bodies.append(reply.get_data(as_text=True) + str(reply.headers))
            bodies.append(client.post("/query/save", data={"save_name": "x", "sparql": "nonsense",
                                                            "token": token}).get_data(as_text=True))
    for token in (*TOKENS.values(), LEGACY, WRONG):
        assert token not in caplog.text
        assert not any(token in body for body in bodies)


# -- per-role limits -----------------------------------------------------------------------------------------


def test_each_role_has_its_row_cap(tmp_path: Path) -> None:
    extra = "[roles.read]\nrow_cap = 2\n[roles.admin]\nrow_cap = 8\n[roles.anonymous]\nrow_cap = 1\n"
    client = make_app(tmp_path, extra, max_result_rows=4).test_client()
    query = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 20", "reasoning": "owlrl"}

    def rows(token: str | None) -> tuple[int, str | None]:
        reply = client.get("/sparql", query_string=query, headers={**bearer(token), "Accept": "text/csv"})
        assert reply.status_code == 200, reply.get_data(as_text=True)
        return len(reply.get_data(as_text=True).strip().splitlines()) - 1, reply.headers.get("X-SPARQL-MaxRows")

    assert rows(None)[0] == 1
    assert rows(TOKENS["reader"])[0] == 2
    assert rows(TOKENS["writer"])[0] == 4  # no limit of its own: KG_MAX_RESULT_ROWS
    assert rows(TOKENS["boss"])[0] == 8  # above KG_MAX_RESULT_ROWS: a trusted role may get more


def test_each_role_has_its_time_limit(tmp_path: Path) -> None:
    """A slow but bounded query: stopped (503) for a role with a tiny time limit, answered for a trusted one."""
    extra = "[roles.read]\ntime_limit = 0.05\n[roles.admin]\ntime_limit = 120\n"
    settings = Settings(base_uri=BASE, users_file=write_users(tmp_path, extra), workers=1, query_timeout=0.05)
    graph = family_graph(settings)
    pool = WorkerPool(graph, settings)
    try:
        client = create_app(settings, graph, evaluator=pool).test_client()
        query = {"query": SLOW, "reasoning": "owlrl"}
        stopped = client.get("/sparql", query_string=query, headers=bearer(TOKENS["reader"]))
        assert stopped.status_code == 503
        assert "time limit of the caller's role" in stopped.get_data(as_text=True)
        assert client.get("/sparql", query_string=query).status_code == 503  # anonymous: KG_QUERY_TIMEOUT
        answered = client.get("/sparql", query_string=query, headers=bearer(TOKENS["boss"]))
        assert answered.status_code == 200, answered.get_data(as_text=True)
    finally:
        pool.close()


def test_a_disabled_anonymous_role_needs_a_token_for_reads(tmp_path: Path) -> None:
    client = make_app(tmp_path, "[roles.anonymous]\nenabled = false\n").test_client()
    for path in ("/sparql?query=ASK%7B%7D", "/store?default", "/api/queries", "/query"):
        refused = client.get(path)
        assert refused.status_code == 401, path
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert client.get(path, headers=bearer(TOKENS["reader"])).status_code == 200, path
    assert client.options("/sparql").status_code == 204  # CORS preflights carry no token


def test_an_unknown_token_is_refused_on_reads_too(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    assert client.get("/sparql?query=ASK%7B%7D", headers=bearer(WRONG)).status_code == 401
    assert client.get("/sparql?query=ASK%7B%7D", headers=bearer(TOKENS["reader"])).status_code == 200


def test_whoami_says_which_role_a_token_has(tmp_path: Path) -> None:
    client = make_app(tmp_path, "[roles.admin]\ntime_limit = 60\n", query_timeout=3).test_client()
    assert client.get("/api/whoami", headers=bearer(TOKENS["boss"])).json == {
        "name": "boss", "role": "admin", "may_write": True, "time_limit": 60.0, "row_cap": 100_000}
    assert client.get("/api/whoami").json["role"] == "anonymous"
    assert client.get("/api/whoami", headers=bearer(LEGACY)).json["name"] == "KG_WRITE_TOKEN"
    refused = client.get("/api/whoami", headers=bearer(WRONG))
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"


# -- the file and its tokens ---------------------------------------------------------------------------------


def test_tokens_are_stored_as_sha256_hashes_and_compared_in_constant_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hash_token("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    known = read_users(write_users(tmp_path))
    compared: list[tuple[str, str]] = []

    def compare_digest(a: str, b: str) -> bool:
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(users_module.hmac, "compare_digest", compare_digest)
    assert known.identify(TOKENS["reader"]).name == "reader"  # type: ignore[union-attr]
    assert len(compared) == 3  # every user compared, even after the first match
    assert known.identify(WRONG) is None
    assert not any(token in (tmp_path / "users.toml").read_text() for token in TOKENS.values())


@pytest.mark.parametrize("text, said", [
    ("[users.ann\nrole = 1\n", ["users.toml", "line 1"]),
    ('[users.ann]\nrole = "root"\n', ["users.toml, line 2", "role", "read, write, admin"]),
    ('[users.ann]\nrole = "read"\ntoken_hash = "plain-secret"\n', ["line 3", "sha256:"]),
    ('[roles.read]\ntime_limit = -1\n', ["line 2", "positive number"]),
    ('[roles.guest]\n', ["line 1", "unknown role 'guest'"]),
    ('[roles.read]\nenabled = false\n', ["line 2", "unknown key 'enabled'"]),
    ('[users.KG_WRITE_TOKEN]\nrole = "read"\n', ["line 1", "not allowed"]),
])
def test_a_bad_users_file_is_refused_naming_the_file_line_and_problem(
    tmp_path: Path, text: str, said: list[str]
) -> None:
    path = tmp_path / "users.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={"KG_USERS": str(path)})
    message = str(raised.value)
    assert raised.value.field == "users_file" and message.startswith("KG_USERS")
    for part in said:
        assert part in message
    assert "plain-secret" not in message


def test_a_missing_users_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="KG_USERS.*missing.toml.*cannot be read"):
        load_settings(environ={"KG_USERS": str(tmp_path / "missing.toml")})


def test_kg_users_add_list_remove(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    runner = CliRunner()
    added = runner.invoke(main, ["users", "add", "alice", "admin"], env={"KG_USERS": str(path)})
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()
    assert len(token) >= 43 and token not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert runner.invoke(main, ["users", "add", "bob", "read", "--file", str(path)]).exit_code == 0
    again = runner.invoke(main, ["users", "add", "bob", "write", "--file", str(path)])
    assert again.exit_code == 1 and "exists" in again.output
    listed = runner.invoke(main, ["users", "list", "--file", str(path)])
    assert listed.stdout == "alice\tadmin\nbob\tread\n" and "sha256" not in listed.output
    settings = Settings(base_uri=BASE, users_file=path)
    assert settings.users.identify(token).name == "alice"  # type: ignore[union-attr]
    assert runner.invoke(main, ["users", "remove", "alice", "--file", str(path)]).exit_code == 0
    assert runner.invoke(main, ["users", "list", "--file", str(path)]).stdout == "bob\tread\n"
    assert Settings(base_uri=BASE, users_file=path).users.identify(token) is None
    missing = runner.invoke(main, ["users", "remove", "carol", "--file", str(path)])
    assert missing.exit_code == 1 and "no user 'carol'" in missing.output
    nowhere = runner.invoke(main, ["users", "list"], env={"KG_USERS": ""})
    assert nowhere.exit_code == 2 and "--file" in nowhere.output


def test_kg_users_keeps_the_operators_comments_and_roles(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text("# our users\n[roles.admin]\ntime_limit = 60  # trusted\n")
    runner = CliRunner()
    assert runner.invoke(main, ["users", "add", "ann", "write", "--file", str(path)]).exit_code == 0
    assert runner.invoke(main, ["users", "remove", "ann", "--file", str(path)]).exit_code == 0
    assert path.read_text() == "# our users\n[roles.admin]\ntime_limit = 60  # trusted\n"
