"""Shared fixtures and the layout of the suite: one folder per kind of test.

- spec/         exact behaviour on tiny hand-made inputs; fast (with app/: `make test-fast`)
- property/     hypothesis: random inputs, invariants that must always hold
- statistical/  many noise draws: distributions, coverage, the differencing attack (marked slow)
- e2e/          the product as users and attackers use it: the command line, pipelines,
                processes and servers; privacy attacks, faults, security, load
- app/          the dashboard's pages in-process (Streamlit AppTest)
- browser/      the dashboard in Debian's chromium (marked browser)

Helpers live in tests/support/ (importable as `support`: pyproject.toml puts tests/ on the path);
a test module never imports another test module, nor anything from benchmarks/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Helpers' asserts (e.g. support/faults.py's one_line) report their values like a test's asserts;
# registered before anything imports them.
pytest.register_assert_rewrite("support")

TESTS = Path(__file__).resolve().parent
# The marker that goes with a folder, so that `-m "not slow"` / `-m "not browser"` keep working.
FOLDER_MARKERS = {"statistical": "slow", "browser": "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(TESTS):
            folder = item.path.relative_to(TESTS).parts[0]
            if folder in FOLDER_MARKERS:
                item.add_marker(FOLDER_MARKERS[folder])


@pytest.fixture(scope="session")
def neighbours(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two populations that differ by one child, ingested through `binc ingest` and released with
    the same noise seed (tests/support/neighbours.py): the privacy-attack tests' world."""
    from support.neighbours import build_neighbours

    return build_neighbours(tmp_path_factory.mktemp("neighbours"))
