"""A small real release: synthetic exports → ingest → release, built once per test session.

Used by the app, browser, load and server tests, the attack and fuzz tests, and the export sweep
(tests/app/conftest.py makes it the `app_release` fixture). The build is cached per test session in
a temporary directory that is removed when the test process ends. The build is reproducible as far
as build_release allows: the exports are seeded, the pseudonymisation key is fixed and the noise is
seeded (but the contribution bounding is salted with the release's random id, so a few cells can
differ by a trajectory or two).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

from binc.core.pseudonym_key import PseudonymKey
from binc.ingest.pipeline import ingest_files
from binc.release.build import build_release
from binc.synthetic.generate import generate_exports
from dashboard.navigation import PAGE_NAMES
from support import REPO

APP = REPO / "dashboard" / "app.py"
PAGES = PAGE_NAMES
CHILDREN = 3000
# A test key (the data are synthetic): fixed, so that the pseudonyms, and with them the warehouse,
# are the same in every run.
TEST_KEY = hashlib.sha256(b"binc app tests: synthetic data only").digest()
NOISE_SEED = 11


def _remove(folder: Path, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked child that happens to run the exit handlers
        shutil.rmtree(folder, ignore_errors=True)


def session_folder(prefix: str) -> Path:
    """A new temporary folder, removed when this process (the test session) exits."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(_remove, folder, os.getpid())
    return folder


@cache
def small_release() -> tuple[Path, Path]:
    """(release, warehouse) of a small synthetic population, built once per test session."""
    base = session_folder("binc-app-tests-")
    generate_exports(base / "exports", children=CHILDREN, seed=11)
    files = sorted((base / "exports").iterdir())
    ingest_files(base / "warehouse.duckdb", files, PseudonymKey(TEST_KEY))
    build_release(
        base / "warehouse.duckdb", base / "release.duckdb", rng=np.random.default_rng(NOISE_SEED)
    )
    return base / "release.duckdb", base / "warehouse.duckdb"


def app_test():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=60)


def page_path(page: str) -> str:
    return f"app_pages/{page}.py"
