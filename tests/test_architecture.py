"""The architecture of README "Architecture", checked: the import contract of pyproject.toml
([tool.importlinter]: layers, a pure parser, no import circles) and no first-party import hidden
inside a function (the usual way to dodge an import cycle)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from importlinter import api as importlinter_api  # noqa: F401 (configures import-linter's adapters)
from importlinter.application import use_cases

from ipplan import permissions

ROOT = Path(__file__).resolve().parent.parent
#: The project's own top-level packages (those that exist yet: notifications and planparser are
#: added by other branches).
FIRST_PARTY = (
    "config",
    "ipplan",
    "departments",
    "notifications",
    "tasks",
    "webhooks",
    "directory",
    "planparser",
)


def test_import_contracts_are_kept() -> None:
    """`lint-imports` in-process; on failure its report (which imports break which contract) is in
    the captured output."""
    kept = use_cases.lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    assert kept, "broken import contracts: see the report above (or run lint-imports)"


def _modules() -> Iterator[Path]:
    for package in FIRST_PARTY:
        folder = ROOT / package
        if folder.is_dir():
            yield from (path for path in sorted(folder.rglob("*.py")) if "migrations" not in path.parts)


def _first_party(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        if node.level:  # a relative import is always first-party
            return ["." * node.level + (node.module or "")]
        names = [node.module or ""]
    else:
        names = [alias.name for alias in node.names]
    return [name for name in names if name.split(".")[0] in FIRST_PARTY]


def _imports_in_functions(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of each first-party import inside a function body. ``AppConfig.ready()`` is
    exempt: Django documents it as the place where an app imports its models and registers them."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "ready":
                    item.body = []  # skip AppConfig.ready()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    for name in _first_party(inner):
                        yield inner.lineno, name


def test_no_first_party_import_inside_a_function() -> None:
    """Imports of the project's own modules sit at the top of the module; a lazy import is only for
    a heavy optional third-party library (with a comment saying why)."""
    found = sorted(
        {
            f"{path.relative_to(ROOT)}:{line} imports {name}"
            for path in _modules()
            for line, name in _imports_in_functions(ast.parse(path.read_text(encoding="utf-8")))
        }
    )
    assert not found, "first-party imports inside functions:\n" + "\n".join(found)


#: The policy and the queryset method that applies it: the only modules that may narrow a queryset
#: with the policy's private ``_scope``; every other read calls ``restrict()``.
SCOPE_OWNERS = {Path("ipplan/permissions.py"), Path("ipplan/restrict.py")}


def _scope_uses(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) of each import of ``scope``/``_scope`` from a permissions module, each
    ``permissions.scope``/``permissions._scope`` and each call of a bare ``_scope``."""
    names = {"scope", "_scope"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("permissions"):
            for alias in node.names:
                if alias.name in names:
                    yield node.lineno, f"imports {alias.name} from {node.module}"
        elif isinstance(node, ast.Attribute) and node.attr in names:
            if isinstance(node.value, ast.Name) and node.value.id == "permissions":
                yield node.lineno, f"uses permissions.{node.attr}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_scope":
            yield node.lineno, "calls _scope"


def test_only_the_policy_scopes_querysets() -> None:
    """A read narrows a queryset with ``Model.objects.restrict(user, action)`` (or a restricted
    queryset's ``restrict()``); the free function behind it is private to the policy."""
    assert not hasattr(permissions, "scope"), "scope() is private to the policy: use restrict()"
    tests = sorted((ROOT / "tests").rglob("*.py"))
    found = sorted(
        f"{path.relative_to(ROOT)}:{line} {what}"
        for path in [*_modules(), *tests]
        if path.relative_to(ROOT) not in SCOPE_OWNERS
        for line, what in _scope_uses(ast.parse(path.read_text(encoding="utf-8")))
    )
    assert not found, "querysets narrowed outside the policy (use restrict()):\n" + "\n".join(found)
    assert all(any(_scope_uses(ast.parse((ROOT / owner).read_text()))) for owner in SCOPE_OWNERS)
