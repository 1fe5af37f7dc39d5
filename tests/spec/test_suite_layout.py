"""The test suite's own rules (tests/conftest.py): one folder per kind of test, helpers in
tests/support/, fixtures in conftest.py files, and no test module importing another test module or
a benchmark (the benchmarks import tests/support/, never the other way round)."""

from __future__ import annotations

import ast
from pathlib import Path

from support import REPO, TESTS

KINDS = ("spec", "property", "statistical", "e2e", "app", "browser")
BENCHMARKS = {p.stem for p in (REPO / "benchmarks").glob("*.py")}


def _python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the file (inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_every_test_module_is_in_the_folder_of_its_kind():
    tests = [p.relative_to(TESTS) for p in _python_files() if p.name.startswith("test_")]
    assert len(tests) >= 30  # the walk found the suite
    misplaced = [str(p) for p in tests if len(p.parts) != 2 or p.parts[0] not in KINDS]
    assert misplaced == []


def test_no_module_of_the_suite_imports_a_test_module_or_a_benchmark():
    assert {"load_serve", "fuzz_long"} <= BENCHMARKS  # the control: the benchmarks were found
    wrong = {}
    for path in _python_files():
        bad = sorted(
            name
            for name in _imported(path)
            if name.split(".")[0] in {*KINDS, *BENCHMARKS, "benchmarks", "tests", "conftest"}
            or name.split(".")[-1].startswith("test_")
        )
        if bad:
            wrong[str(path.relative_to(TESTS))] = bad
    assert wrong == {}


def test_fixtures_come_from_conftest_files_not_from_imports():
    unused_import = "noqa" + ": F401"  # how an import kept only for its fixtures is marked
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        assert unused_import not in text, path
        if path.parent.name == "support":
            assert "pytest.fixture" not in text, path
