"""A small real release: synthetic exports → ingest → release, built once per test session.

Used by the app, browser, load and server tests, the attack and fuzz tests, and the export sweep
(tests/app/conftest.py makes it the `app_release` fixture). The build is cached per test session in
a temporary directory that is removed when the test process ends. The build is reproducible, so it is
the same in every build: the exports are seeded, the pseudonymisation key is fixed, and the seeded
generator fixes both the noise and the release's public salt (binc.release.build.seeded_salt), so a
test that needs some cell shown or hidden sees the same cells in every CI run.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from binc.core.pseudonym_key import PseudonymKey
from binc.ingest.pipeline import ingest_files
from binc.release.build import build_release
from binc.release.config import load_config
from binc.release.ledger import use_ledger_dir
from binc.synthetic.generate import generate_exports
from dashboard.navigation import PAGE_NAMES
from support import REPO
from support.warehouses import write_config

APP = REPO / "dashboard" / "app.py"
PAGES = PAGE_NAMES
CHILDREN = 3000
# A test key (the data are synthetic): fixed, so that the pseudonyms, and with them the warehouse,
# are the same in every run.
TEST_KEY = hashlib.sha256(b"binc app tests: synthetic data only").digest()
NOISE_SEED = 11
# The small release holds about a twentieth of the demo's trajectories: under the shipped
# "too uncertain" rule nearly every value on the pages would read "te onzeker", and the page tests
# would see empty charts. So it is built with the shipped config but a rule that finds nothing too
# uncertain (the largest values the config allows); `strict_release()` is the same release with the
# shipped rule, for the tests of "te onzeker".
LENIENT_RULE = {"share_points": 100.0, "count_relative": 10.0, "median_relative": 10.0}


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
    # Shared by the whole session, whichever test builds it first: its privacy ledger lives beside
    # it (small_ledger_dir), not in that test's temporary ledger directory.
    config = write_config(base, **LENIENT_RULE)
    with use_ledger_dir(base / "ledger"):
        build_release(
            base / "warehouse.duckdb",
            base / "release.duckdb",
            config,
            rng=np.random.default_rng(NOISE_SEED),
        )
    return base / "release.duckdb", base / "warehouse.duckdb"


@cache
def release_with_rule(share_points: float, count_relative: float, median_relative: float) -> Path:
    """The small release with another "too uncertain" rule in its metadata (a copy: the same noisy
    tables, nothing measured again, no budget spent)."""
    release, _ = small_release()
    copy = release.with_name(
        f"release-{share_points:g}-{count_relative:g}-{median_relative:g}.duckdb"
    )
    shutil.copyfile(release, copy)
    con = duckdb.connect(str(copy))
    try:
        (document,) = con.execute("SELECT document FROM release_metadata").fetchone()
        metadata = json.loads(document)
        metadata["uncertainty"] = {"share_points": share_points, "count_relative": count_relative,
                                   "median_relative": median_relative}  # fmt: skip
        con.execute("UPDATE release_metadata SET document = ?", [json.dumps(metadata)])
    finally:
        con.close()
    return copy


def strict_release() -> Path:
    """The small release with the shipped rule: most of its values are too uncertain."""
    rule = load_config().uncertainty
    return release_with_rule(rule.share_points, rule.count_relative, rule.median_relative)


def split_rule_release(measure: str, by: tuple[str, ...], where: dict) -> Path:
    """The small release with the shipped rule, except for `measure`'s kind: its limit lies between
    the half-widths of the values that `answer(release, measure, by=by, where=where)` shows, so
    that question has values too uncertain *and* values drawn whatever the small release's draw
    (which values are shown, and how wide they are, differs a little from build to build)."""
    from binc.answering import answer
    from binc.release_file import load_release

    release, _ = small_release()
    answered = answer(load_release(release), measure, by=by, where=where)
    shown = answered.frame.filter(~pl.col("suppressed"))
    half = (shown["ci_high"] - shown["ci_low"]) / 2
    relative = answered.kind in ("count", "median")
    if relative:  # the rule's limit is a fraction of the value
        half = half / shown["value"].abs()
    widths = sorted(set(half.to_list()))
    if len(widths) < 2:
        raise AssertionError(f"{measure} by {by} shows fewer than two distinct widths: {widths}")
    middle = len(widths) // 2
    limit = (widths[middle - 1] + widths[middle]) / 2
    rule = load_config().uncertainty
    limits = {"share_points": rule.share_points, "count_relative": rule.count_relative,
              "median_relative": rule.median_relative}  # fmt: skip
    name = f"{answered.kind}_relative" if relative else "share_points"
    limits[name] = limit
    return release_with_rule(limits["share_points"], limits["count_relative"],
                             limits["median_relative"])  # fmt: skip


def demo_sized_release(floor: int = 0):
    """The small release with every estimate times 40 (about the demo's size), in memory: most
    cells are then above k and their intervals unclipped, while the noise, and so the variances,
    stay the small release's. Cells the small release's noise made 0 stay 0, unless `floor` is
    added to every cell (the tables then no longer add up to each other: for tests of one
    table's intervals only)."""
    from dataclasses import replace

    from binc.release_file import Release, load_release

    small = load_release(small_release()[0])
    return Release(
        path=None,
        metadata=small.metadata,
        measurements={
            n: replace(m, estimate=m.estimate * 40 + floor) for n, m in small.measurements.items()
        },
    )


def small_ledger_dir() -> Path:
    """The privacy ledger directory of the small release's warehouse: release from it in there."""
    return small_release()[0].parent / "ledger"


def app_test():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=60)


def page_path(page: str) -> str:
    return f"app_pages/{page}.py"


def open_page(page: str, query: dict | None = None, handed: list | None = None):
    """An AppTest session of the dashboard on `page`, entered with `query` as its link.
    `handed`: what a download spy saw, emptied after the first run (it drew the default page)."""
    at = app_test()
    if query:
        at.query_params = query
    at.run()
    if handed is not None:
        handed.clear()
    at.switch_page(page_path(page)).run()
    return at
