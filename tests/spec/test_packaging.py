"""Spec: the runtime dependencies in pyproject.toml are exactly what the code under binc/ and
dashboard/ imports, and test oracles stay in the dev extra."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from support import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
OURS = {"binc", "dashboard"}
# Dependencies no module names in an import statement, each with the reason it is a runtime one.
USED_WITHOUT_IMPORT = {
    "fastexcel": "polars' Excel reader, engine='calamine' (ingest of .xlsx, `binc audit`)",
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for folder in OURS:
        for file in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - OURS - set(sys.stdlib_module_names) - {"__future__"}


def _distributions_of(modules: set[str]) -> set[str]:
    owners = packages_distributions()
    missing = sorted(m for m in modules if m not in owners)
    assert not missing, f"imported but installed by no distribution: {missing}"
    return {_name(owners[m][0]) for m in modules}


def test_runtime_dependencies_are_what_the_code_imports() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    imported = _distributions_of(_imported_top_level_modules())
    assert imported - declared == set(), "imported at run time but not a runtime dependency"
    assert declared - imported == set(USED_WITHOUT_IMPORT), "declared but never imported"


def test_test_oracles_are_dev_dependencies_only() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    dev = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}
    oracles = {"diffprivlib", "scikit-learn", "python-stdnum", "openpyxl", "hypothesis", "pytest"}
    assert oracles <= dev
    assert not oracles & declared
    assert not _distributions_of(_imported_top_level_modules()) & oracles
