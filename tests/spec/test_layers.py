"""Spec: the layers are a contract checked by import-linter, and the check really catches a breach.

`make test` runs `lint-imports` on the code as it is; these tests prove, on a copy of the code,
that the contracts in pyproject.toml fail on an upward import, on a cycle, and on the app
reaching the warehouse through another module (a transitive import).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the two packages and the contracts, which a test may break."""
    for package in ("binc", "dashboard"):
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_code_as_it_is_keeps_every_contract(tree: Path) -> None:
    done = _lint(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


def test_an_upward_import_breaks_the_layers(tree: Path) -> None:
    _append(tree / "binc" / "core" / "errors.py", "import binc.answering.engine  # noqa")
    done = _lint(tree)
    assert done.returncode == 1
    assert "binc.core is not allowed to import binc.answering" in done.stdout


def test_a_cycle_between_siblings_is_found(tree: Path) -> None:
    # ingest → warehouse is allowed; warehouse → ingest closes a cycle (and breaks the layers).
    _append(tree / "binc" / "warehouse" / "persons.py", "import binc.ingest.readers  # noqa")
    done = _lint(tree)
    assert done.returncode == 1
    assert "No cycles are allowed in binc" in done.stdout


def test_the_app_cannot_reach_the_warehouse_even_through_another_module(tree: Path) -> None:
    # export is allowed for the app; export importing the warehouse makes the app reach it.
    _append(tree / "binc" / "export" / "frame.py", "import binc.warehouse.schema  # noqa")
    done = _lint(tree)
    assert done.returncode == 1
    assert "dashboard is not allowed to import binc.warehouse" in done.stdout


def test_nothing_imports_the_app(tree: Path) -> None:
    _append(tree / "binc" / "cli" / "serve.py", "import dashboard.data  # noqa")
    done = _lint(tree)
    assert done.returncode == 1
    assert "binc.cli is not allowed to import dashboard" in done.stdout
