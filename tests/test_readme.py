"""The README's table of settings says what the code does: every setting, its variable and its default."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from kg.settings import PROJECT_ROOT, Settings, env_name

README = PROJECT_ROOT / "README.md"
HEADER = "| variable | default | meaning |"


def settings_table(readme: str) -> dict[str, str]:
    """Each variable the README's settings table names, with the default it gives (as written, without backticks)."""
    lines = readme.splitlines()
    start = lines.index(HEADER) + 2  # below the header and its separator
    table: dict[str, str] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        variables, defaults, _meaning = (cell.strip() for cell in line.strip("|").split("|", 2))
        names = re.findall(r"`(KG_\w+)`", variables)
        values = re.findall(r"`([^`]*)`", defaults) or [defaults]
        if len(values) == 1:
            values *= len(names)
        assert len(values) == len(names), f"the row {line!r} gives {len(values)} defaults for {len(names)} variables"
        for name, value in zip(names, values, strict=True):
            assert name not in table, f"{name} has two rows"
            table[name] = value
    return table


def as_written(field_name: str, value: Any) -> str:
    """How the README writes the default ``value`` of ``field_name``."""
    if field_name == "base_uri":
        return value.replace(f":{Settings().port}/", ":<port>/")
    if value is None or value == ():
        return "unset"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Path):
        return str(value.relative_to(PROJECT_ROOT))
    return str(value)


def disagreements(readme: str) -> list[str]:
    """What the README's settings table says that the code does not (empty when they agree)."""
    table = settings_table(readme)
    defaults = Settings()
    found = []
    for spec in fields(Settings):
        name = env_name(spec.name)
        expected = as_written(spec.name, getattr(defaults, spec.name))
        if name not in table:
            found.append(f"{name} ({spec.name}) has no row; its default is {expected!r}")
        elif table[name] != expected:
            found.append(f"{name}: the README says the default is {table[name]!r}, the code {expected!r}")
    read = {env_name(spec.name) for spec in fields(Settings)}
    found += [f"{name} has a row but the code reads no such variable" for name in table if name not in read]
    return found


def test_the_settings_table_agrees_with_the_code() -> None:
    assert disagreements(README.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(("change", "said"), [
    (("| `KG_REASONER` | `fast` |", "| `KG_REASONER` | `owlrl` |"), "KG_REASONER: the README says"),
    (("| `KG_QUERY_TIMEOUT` | `10` |", "| `KG_QUERY_TIMEOUT` | `10.5` |"), "KG_QUERY_TIMEOUT: the README says"),
    (("`KG_ALLOW_SERVICE`, `KG_ALLOW_LOAD` | off", "`KG_ALLOW_SERVICE`, `KG_ALLOW_LOAD` | on"), "KG_ALLOW_LOAD"),
    (("`KG_HOST`, `KG_PORT` | `127.0.0.1`, `8000`", "`KG_HOST`, `KG_PORT` | `127.0.0.1`, `80`"), "KG_PORT"),
    (("| `KG_DATA` |", "| `KG_DATA_FILES` |"), "KG_DATA_FILES has a row but the code reads no such variable"),
])
def test_a_table_that_disagrees_is_caught(change: tuple[str, str], said: str) -> None:
    readme = README.read_text(encoding="utf-8")
    assert change[0] in readme
    found = disagreements(readme.replace(change[0], change[1]))
    assert any(said in line for line in found), found


def test_a_missing_row_is_caught() -> None:
    readme = README.read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `KG_DEFAULT_REASONING` |"))
    assert disagreements(readme.replace(row + "\n", "")) == [
        "KG_DEFAULT_REASONING (default_reasoning) has no row; its default is 'owlrl'"]
