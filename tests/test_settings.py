"""Settings are checked when they are read: a bad value ends any ``kg`` command with one line and exit code 2."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.reasoning import ENGINES, MODES
from kg.settings import PROJECT_ROOT, REASONERS, REASONING_MODES, Settings, SettingsError, load_settings
from tests.conftest import FIXTURES

FAMILY = str(FIXTURES / "family.ttl")
WHOLE = "a whole number of at least 1"

#: (field, kg arguments, environment, what the message must say): every field has at least one.
REJECTED: list[tuple[str, list[str], dict[str, str], list[str]]] = [
    ("base_uri", ["--base-uri", "ftp://example.org/", "reason"], {}, ["'--base-uri'", "KG_BASE_URI", "http(s)"]),
    ("base_uri", ["reason"], {"KG_BASE_URI": "http://example.org/kg"}, ["KG_BASE_URI", "ending with '/'"]),
    ("base_uri", ["reason"], {"KG_BASE_URI": "kg/"}, ["KG_BASE_URI", "absolute"]),
    ("base_uri", ["reason"], {"KG_BASE_URI": "http://example.org/#"}, ["KG_BASE_URI", "without query or fragment"]),
    ("base_uri", ["reason"], {"KG_BASE_URI": "http://example.org:http/"}, ["KG_BASE_URI"]),
    ("store", ["--store", "bogus", "reason"], {}, ["'--store'", "KG_STORE", "oxigraph:PATH"]),
    ("store", ["reason", "--store", "oxigraph:"], {}, ["KG_STORE", "directory"]),
    ("store", ["reason"], {"KG_STORE": "sparql:ftp://u:s3cret@host/"}, ["KG_STORE", "http(s)"]),
    ("write_token", ["reason"], {"KG_WRITE_TOKEN": "two words"}, ["KG_WRITE_TOKEN", "visible ASCII"]),
    ("query_timeout", ["reason"], {"KG_QUERY_TIMEOUT": "ten"}, ["KG_QUERY_TIMEOUT", "positive number of seconds"]),
    ("query_timeout", ["reason"], {"KG_QUERY_TIMEOUT": "0"}, ["KG_QUERY_TIMEOUT", "positive number of seconds"]),
    ("query_timeout", ["reason"], {"KG_QUERY_TIMEOUT": "nan"}, ["KG_QUERY_TIMEOUT", "positive number of seconds"]),
    ("queue_timeout", ["serve"], {"KG_QUEUE_TIMEOUT": "-1"}, ["KG_QUEUE_TIMEOUT", "positive number of seconds"]),
    ("body_timeout", ["serve"], {"KG_BODY_TIMEOUT": "0"}, ["KG_BODY_TIMEOUT", "positive number of seconds"]),
    ("min_free_memory_mb", ["serve"], {"KG_MIN_FREE_MEMORY_MB": "1GB"}, ["KG_MIN_FREE_MEMORY_MB", WHOLE]),
    ("max_result_rows", ["reason"], {"KG_MAX_RESULT_ROWS": "0"}, ["KG_MAX_RESULT_ROWS", WHOLE]),
    ("max_request_bytes", ["reason"], {"KG_MAX_REQUEST_BYTES": "1MB"}, ["KG_MAX_REQUEST_BYTES", WHOLE]),
    ("max_query_length", ["reason"], {"KG_MAX_QUERY_LENGTH": "-5"}, ["KG_MAX_QUERY_LENGTH", WHOLE]),
    ("max_nesting_depth", ["reason"], {"KG_MAX_NESTING_DEPTH": "1.5"}, ["KG_MAX_NESTING_DEPTH", WHOLE]),
    ("max_operators", ["reason"], {"KG_MAX_OPERATORS": "0"}, ["KG_MAX_OPERATORS", WHOLE]),
    ("max_triple_patterns", ["reason"], {"KG_MAX_TRIPLE_PATTERNS": ""}, ["KG_MAX_TRIPLE_PATTERNS", WHOLE]),
    ("max_values_rows", ["reason"], {"KG_MAX_VALUES_ROWS": "0"}, ["KG_MAX_VALUES_ROWS", WHOLE]),
    ("allow_service", ["reason"], {"KG_ALLOW_SERVICE": "maybe"}, ["KG_ALLOW_SERVICE", "true", "off"]),
    ("allow_load", ["reason"], {"KG_ALLOW_LOAD": "2"}, ["KG_ALLOW_LOAD", "true", "off"]),
    ("axiomatic_triples", ["reason"], {"KG_AXIOMATIC_TRIPLES": "all"}, ["KG_AXIOMATIC_TRIPLES", "true", "off"]),
    ("split_cpus", ["serve"], {"KG_SPLIT_CPUS": "half"}, ["KG_SPLIT_CPUS", "true", "off"]),
    ("default_reasoning", ["query", "ASK {}"], {"KG_DEFAULT_REASONING": "owl"}, ["KG_DEFAULT_REASONING", "none, rdfs, owlrl"]),
    ("reasoner", ["--reasoner", "nope", "reason"], {}, ["'--reasoner'", "KG_REASONER", "'nope'", "fast, owlrl"]),
    ("reasoner", ["queries", "list"], {"KG_REASONER": "nope"}, ["KG_REASONER", "fast, owlrl"]),
    ("shacl", ["queries", "list"], {"KG_SHACL": "strict"}, ["KG_SHACL", "enforce, report, off"]),
    ("host", ["serve", "--host", "::1"], {}, ["'--host'", "KG_HOST", "[::1]"]),
    ("host", ["serve"], {"KG_HOST": "0.0.0.0:80"}, ["KG_HOST", "host name or IP address"]),
    ("port", ["serve", "--port", "0"], {}, ["'--port'", "KG_PORT", "1 to 65535"]),
    ("port", ["serve"], {"KG_PORT": "65536"}, ["KG_PORT", "1 to 65535"]),
    ("port", ["reason"], {"KG_PORT": "http"}, ["KG_PORT", "1 to 65535"]),
    ("workers", ["serve"], {"KG_WORKERS": "0"}, ["KG_WORKERS", WHOLE]),
    ("max_workers", ["serve"], {"KG_MAX_WORKERS": "none"}, ["KG_MAX_WORKERS", WHOLE]),
    ("threads", ["serve"], {"KG_THREADS": "0"}, ["KG_THREADS", WHOLE]),
    ("queries_dir", ["reason"], {"KG_QUERIES_DIR": FAMILY}, ["KG_QUERIES_DIR", "not a directory"]),
    ("data_files", ["serve"], {"KG_DATA": f"{FAMILY}{os.pathsep}/nowhere/data.ttl"}, ["KG_DATA", "/nowhere/data.ttl", "not a file"]),
    ("users_file", ["reason"], {"KG_USERS": "/nowhere/users.toml"}, ["KG_USERS", "/nowhere/users.toml", "cannot be read"]),
    ("users_file", ["reason"], {"KG_USERS": FAMILY}, ["KG_USERS", "family.ttl", "not TOML", "line"]),
]


def _run(arguments: list[str], environment: dict[str, str]) -> tuple[int, str]:
    """Run ``kg ARGUMENTS`` in-process with only ``environment``'s ``KG_*`` variables: exit code and output."""
    unset: dict[str, str | None] = {name: None for name in os.environ if name.startswith("KG_")}
    result = CliRunner().invoke(main, arguments, env={**unset, **environment})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_every_setting_has_a_rejected_value_below() -> None:
    assert {spec.name for spec in fields(Settings)} == {case[0] for case in REJECTED}


@pytest.mark.parametrize(("field", "arguments", "environment", "said"), REJECTED,
                         ids=[f"{case[0]}-{'-'.join(case[1])}-{'-'.join(case[2].values())}" for case in REJECTED])
def test_a_bad_setting_ends_the_command_with_one_line(field: str, arguments: list[str], environment: dict[str, str],
                                                      said: list[str]) -> None:
    code, output = _run(arguments, environment)
    assert code == 2, output
    message = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(message) == 1, output
    for fragment in said:
        assert fragment in message[0], message[0]
    assert "Traceback" not in output and "s3cret" not in output and "two words" not in output


def test_a_bad_reasoner_in_a_real_process_prints_no_traceback() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    done = subprocess.run([sys.executable, "-m", "kg.cli", "--reasoner", "nope", "reason"], capture_output=True,
                          text=True, timeout=120, env=environment)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "KG_REASONER is 'nope'; use one of fast, owlrl" in done.stderr


def test_good_values_of_every_kind_are_taken() -> None:
    settings = load_settings({"port": "9000", "data_files": (Path(FAMILY),)}, environ={
        "KG_BASE_URI": "https://example.org/kg/", "KG_STORE": "oxigraph:/tmp/store", "KG_WRITE_TOKEN": "s3cret-T0ken",
        "KG_QUERY_TIMEOUT": "2.5", "KG_ALLOW_SERVICE": "yes", "KG_DEFAULT_REASONING": "rdfs", "KG_REASONER": "owlrl",
        "KG_HOST": "[::1]", "KG_WORKERS": "3", "KG_DATA": "/ignored/by/the/flag.ttl"})
    assert (settings.base_uri, settings.base_path, settings.store_spec.kind) == ("https://example.org/kg/", "/kg/", "oxigraph")
    assert (settings.query_timeout, settings.allow_service, settings.host, settings.port) == (2.5, True, "[::1]", 9000)
    assert settings.data_files == (Path(FAMILY),)
    assert load_settings(environ={"KG_PORT": "9000"}).base_uri == "http://localhost:9000/"


def test_values_of_the_wrong_type_are_refused_too() -> None:
    with pytest.raises(SettingsError, match="KG_PORT is a str"):
        Settings(port="80")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="KG_WORKERS is a bool"):
        Settings(workers=True)
    assert Settings(query_timeout=3).query_timeout == 3.0


def test_the_engines_and_modes_are_the_ones_settings_accept() -> None:
    assert set(ENGINES) == set(REASONERS)
    assert tuple(MODES) == REASONING_MODES


def _kg_imports(module: str) -> list[str]:
    tree = ast.parse((PROJECT_ROOT / "kg" / f"{module}.py").read_text())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    return [name for name in imported if name == "kg" or name.startswith("kg.")]


def test_settings_import_nothing_else_from_the_package() -> None:
    """Settings stand on the ground: their one import from ``kg`` is the users file's reader, which imports none."""
    assert _kg_imports("settings") == ["kg.users"]
    assert _kg_imports("users") == []
    assert not (PROJECT_ROOT / "kg" / "store" / "spec.py").exists()
