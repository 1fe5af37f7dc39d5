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

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from binc.core.environment import LEDGER_DIR_ENV

# Helpers' asserts (e.g. support/faults.py's one_line) report their values like a test's asserts;
# registered before anything imports them.
pytest.register_assert_rewrite("support")

TESTS = Path(__file__).resolve().parent
# The marker that goes with a folder, so that `-m "not slow"` / `-m "not browser"` keep working.
FOLDER_MARKERS = {"statistical": "slow", "browser": "browser"}


# The tests that drive chromium run one after another on one worker when the suite runs on both
# cores (`make test`: pytest -n 2 --dist loadgroup): two browsers with their servers at once make
# the page timings they wait on too slow.
CHROMIUM_GROUP = pytest.mark.xdist_group("chromium")
CHROMIUM_MODULES = {"test_proxy.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(TESTS):
            folder = item.path.relative_to(TESTS).parts[0]
            if folder in FOLDER_MARKERS:
                item.add_marker(FOLDER_MARKERS[folder])
            if folder == "browser" or item.path.name in CHROMIUM_MODULES:
                item.add_marker(CHROMIUM_GROUP)


@pytest.fixture(scope="session")
def neighbours(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two populations that differ by one child, ingested through `binc ingest` and released with
    the same noise seed (tests/support/neighbours.py): the privacy-attack tests' world."""
    from support.neighbours import build_neighbours

    return build_neighbours(tmp_path_factory.mktemp("neighbours"))


# ---- the privacy ledger: never the real one ------------------------------------------------------
# Every release a test builds is accounted in a privacy ledger (binc/release/ledger.py), by default
# in ~/.local/state/binc/ledger. The tests use temporary ledger directories instead, through
# BINC_LEDGER_DIR, which subprocesses inherit: one for the session (the releases that session- and
# module-scoped fixtures build) and, for each test, a copy of it, so a test continues the ledgers
# of the fixtures' warehouses and its own releases stay its own.


@pytest.fixture(scope="session", autouse=True)
def session_ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("ledger-session")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(LEDGER_DIR_ENV, str(folder))
        yield folder


@pytest.fixture(autouse=True)
def ledger_dir(
    request: pytest.FixtureRequest,
    session_ledger_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """This test's ledger directory (BINC_LEDGER_DIR): the session's ledgers as they are now, or
    an empty one for a test marked `empty_ledger` (the ledger tests count from zero)."""
    folder = tmp_path_factory.mktemp("ledger")
    if request.node.get_closest_marker("empty_ledger") is None:
        shutil.copytree(session_ledger_dir, folder, dirs_exist_ok=True)
    monkeypatch.setenv(LEDGER_DIR_ENV, str(folder))
    return folder
