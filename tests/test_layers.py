"""The package's folders are floors: a module imports only from its own folder or the floors below it.

Bottom to top: the ground modules (settings, users, namespaces, terms, sources, formats) → sparql (the language) → store →
reasoning → dataset → evaluation → linked_data, canned (side by side, neither imports the other) → web →
app, server, cli.  Every import counts, including those inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kg"

FLOORS: list[tuple[str, ...]] = [
    ("kg", "kg.settings", "kg.users", "kg.namespaces", "kg.terms", "kg.sources", "kg.formats"),
    ("kg.sparql",),
    ("kg.store",),
    ("kg.reasoning",),
    ("kg.dataset",),
    ("kg.evaluation",),
    ("kg.linked_data", "kg.canned"),
    ("kg.web",),
    ("kg.app", "kg.rsgi", "kg.server", "kg.cli", "kg.event_loop", "kg.log_stream"),
]


def room(module: str) -> str:
    """The floor entry ``module`` belongs to: its top folder (``kg.store``) or, on the ground, itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def floor_of(module: str) -> int:
    """The floor number of ``module``'s room."""
    name = room(module)
    for number, rooms in enumerate(FLOORS):
        if name in rooms:
            return number
    raise AssertionError(f"{module} is in no floor: add its folder to FLOORS in {Path(__file__).name}")


def module_name(path: Path) -> str:
    """The dotted name of the module at ``path``."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every ``kg`` module ``path`` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.split(".")[0] == "kg":
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "kg")
    return found


def is_upward(importer: str, imported: str) -> bool:
    """True if ``imported`` is on a higher floor, or in a peer room of the same floor (ground and top excepted)."""
    if imported == "kg" or room(imported) == room(importer):
        return False
    below, above = floor_of(importer), floor_of(imported)
    return above > below or (above == below and below not in (0, len(FLOORS) - 1))


def upward_imports() -> list[str]:
    """``importer -> imported`` for every upward import in the package."""
    return [
        f"{module_name(path)} -> {imported}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for imported in sorted(imports(path))
        if is_upward(module_name(path), imported)
    ]


def test_no_module_imports_from_a_floor_above_it() -> None:
    assert upward_imports() == []


def test_every_module_is_on_a_floor() -> None:
    for path in PACKAGE.rglob("*.py"):
        floor_of(module_name(path))


@pytest.mark.parametrize("importer, imported, upward", [
    ("kg.store.remote", "kg.sparql.lexer", False),
    ("kg.sparql.formats", "kg.store.oxigraph", True),
    ("kg.canned.run", "kg.linked_data.describe", True),
    ("kg.web.errors", "kg.rsgi", True),
])
def test_the_rule_tells_upward_from_downward(importer: str, imported: str, upward: bool) -> None:
    """The rule the walk applies (so that the walk can fail)."""
    assert is_upward(importer, imported) is upward
