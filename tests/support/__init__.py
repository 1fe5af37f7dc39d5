"""Helpers shared by the test suite and the benchmarks (never tests themselves, never fixtures).

Importable as `support` because pyproject.toml puts tests/ on the path (`pythonpath = ["tests"]`);
a benchmark adds tests/ to sys.path itself. Pytest fixtures live in the conftest.py files.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
