"""Two neighbouring populations for the privacy-attack tests: `without` and `with` one extra child.

Both are built as a data steward would, through the real `binc ingest` (hand-made exports), and
released with the real config and the same noise seed: the noise is identical, only the one child
differs. tests/conftest.py builds them once per session (the `neighbours` fixture) for
tests/e2e/test_attacks.py and tests/statistical/test_differencing.py.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from binc.cli import main
from binc.core import reference
from binc.release.build import build_release
from support.exports import national_number, row, write_csv
from support.warehouses import TWO_TABLE_CONFIG

TODAY = date(2026, 11, 29)
# Two tables with a large ε each, so the likelihood-ratio bound is tight enough to be measured with
# a few hundred draws; the mechanism is the same code whatever ε the config declares.
SMALL_CONFIG = TWO_TABLE_CONFIG
EPSILON_YEAR, EPSILON_CELL = 0.5, 1.0  # a year total uses one table; a cell is fitted to both
# 2023 population: 40 children in P01 and a few in P02, P04, P05 (small but present); P03 and the
# other partnerships have no data. The neighbour adds one child with 8 trajectories in P03.
PRESENT = {"P01": 40, "P02": 3, "P04": 2, "P05": 4}
# Every other year: 400 children in P01, so that no year falls below k even with the real config's
# noise (scale 75 on the year table). A small year would need a complementary cell — 2023 itself —
# and hide the 2023 total the tests below watch (answering/patterns.py: a total follows the pattern
# of the year table).
BACKGROUND_YEARS, BACKGROUND_CHILDREN = ("2019", "2020", "2021", "2022", "2024", "2025"), 400
EXTRA_PARTNERSHIP, EXTRA_TRAJECTORIES = "P03", 8
TRUE_2023 = {"without": sum(PRESENT.values()), "with": sum(PRESENT.values()) + 3}  # c = 3


def _municipality_of(partnership: str) -> str:
    munis = reference.municipalities().filter(pl.col("partnership_id") == partnership)
    return munis["municipality_nis"][0]


def _child_rows(
    number: int, partnership: str, trajectories: int = 1, year: str = "2023"
) -> list[dict[str, str]]:
    birth = date(2012, 1 + number % 12, 1 + number % 28)
    types = reference.codes("trajectory_type")
    return [
        row(
            record_id=f"{partnership}-{number}-{j}",
            partnership_id=partnership,
            municipality_nis=_municipality_of(partnership),
            # odd counter: sex M; (birth, counter) stays unique for numbers below 6,972
            national_number=national_number(birth, 2 * (number % 498) + 1),
            birth_date=birth.isoformat(),
            trajectory_type=types[j % len(types)],
            referral_date=f"{year}-01-10",
            start_date=f"{year}-02-{1 + j:02d}",
            end_date=f"{year}-06-15",
        )
        for j in range(trajectories)
    ]


def _ingest(tmp: Path, name: str, rows: list[dict[str, str]]) -> Path:
    """Through the real command line, as a data steward would."""
    export = write_csv(tmp / name / f"{name}.csv", rows)
    key = tmp / "key"
    if not key.exists():
        key.write_text(secrets.token_hex(32))
    warehouse = tmp / f"{name}.duckdb"
    out = io.StringIO()
    argv = ["ingest", "--warehouse", str(warehouse), "--key-file", str(key)]
    with contextlib.redirect_stdout(out):
        status = main([*argv, "--today", TODAY.isoformat(), str(export)])
    assert status == 0
    assert f"read {len(rows)}, accepted {len(rows)}, rejected 0" in out.getvalue()
    return warehouse


def build_neighbours(tmp: Path) -> dict[str, Path]:
    """Warehouses `without` and `with` the extra child, a release of each with the real config
    (same noise seed), and SMALL_CONFIG as a file ("small-config")."""
    base: list[dict[str, str]] = []
    number = 0
    for partnership, children in PRESENT.items():
        for _ in range(children):
            base += _child_rows(number, partnership)
            number += 1
    for year in BACKGROUND_YEARS:
        for _ in range(BACKGROUND_CHILDREN):
            base += _child_rows(number, "P01", year=year)
            number += 1
    extra = _child_rows(5000, EXTRA_PARTNERSHIP, EXTRA_TRAJECTORIES)  # nobody else's number
    paths: dict[str, Path] = {}
    for name, rows in (("without", base), ("with", base + extra)):
        paths[name] = _ingest(tmp, name, rows)
        (tmp / f"r-{name}").mkdir()
        out = tmp / f"r-{name}" / "release.duckdb"
        build_release(paths[name], out, rng=np.random.default_rng(8))
        paths[f"release-{name}"] = out
    (tmp / "small.toml").write_text(SMALL_CONFIG, encoding="utf-8")
    paths["small-config"] = tmp / "small.toml"
    return paths
