"""Layers import only downward: a package may import the packages below it in `LAYERS`, never above.

This is what keeps the flow one-way (catalog → afas → schemas → warehouse → incremental → assets →
pipelines) and the top-level packages free of cycles: an import that goes up, or sideways into a
package listed later, fails here with the file that does it. Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Lowest first. `afas_simulator` (the local AFAS) knows only the catalog; `settings` (the `AFAS_*`
#: variables, read once) sits above the packages whose settings it types and below the Dagster
#: layers it configures; tests and benchmarks are on top (benchmarks reuse the tests' frame builders
#: and throwaway databases; tests never import benchmarks).
LAYERS = ("catalog", "afas", "afas_simulator", "schemas", "warehouse", "incremental", "settings", "assets",
          "pipelines", "tests", "benchmarks")


def imported_packages(path: Path) -> set[str]:
    """The top-level names a module imports (absolute imports, at any depth of the module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def upward_imports() -> list[str]:
    found = []
    for rank, package in enumerate(LAYERS):
        allowed = set(LAYERS[: rank + 1])
        for path in sorted((ROOT / package).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            for name in sorted(imported_packages(path) & set(LAYERS) - allowed):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_every_top_level_package_is_in_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(LAYERS)


def test_layers_import_only_downward():
    assert upward_imports() == []


def test_an_upward_import_is_found(tmp_path, monkeypatch):
    """The check itself can fail: a module of `catalog` importing `assets` is reported."""
    fake = tmp_path / "catalog"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "bad.py").write_text("def f():\n    from assets.factory import connector_assets\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert upward_imports() == ["catalog/bad.py imports assets"]
