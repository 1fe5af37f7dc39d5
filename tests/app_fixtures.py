"""A small real release for the dashboard tests: synthetic exports → ingest → release, built once.

Shared by test_app.py, test_leakage.py and test_browser.py (imported, not a conftest, so the other
test folders stay independent). The build is cached per test session in a temporary directory.
"""

from __future__ import annotations

import secrets
import tempfile
from functools import cache
from pathlib import Path

import pytest

from dashboard.ingest.pipeline import ingest_files
from dashboard.ingest.pseudonymise import PseudonymKey
from dashboard.release.build import build_release
from dashboard.synthetic.generate import generate_exports

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PAGES = ("overview", "target_group", "duration", "outcomes", "compare", "tables", "method")
CHILDREN = 3000


@cache
def small_release() -> tuple[Path, Path]:
    """(release, warehouse) of a small synthetic population; the key is thrown away."""
    base = Path(tempfile.mkdtemp(prefix="binc-app-tests-"))
    generate_exports(base / "exports", children=CHILDREN, seed=11)
    files = sorted((base / "exports").iterdir())
    ingest_files(base / "warehouse.duckdb", files, PseudonymKey(secrets.token_bytes(32)))
    build_release(base / "warehouse.duckdb", base / "release.duckdb")
    return base / "release.duckdb", base / "warehouse.duckdb"


@pytest.fixture
def app_release(monkeypatch: pytest.MonkeyPatch) -> Path:
    release, _ = small_release()
    monkeypatch.setenv("BINC_RELEASE", str(release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    return release


def app_test():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=60)


def page_path(page: str) -> str:
    return f"app_pages/{page}.py"
