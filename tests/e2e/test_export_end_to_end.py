"""End to end through the real CLI: synthetic exports → ingest → release → export (every format) → audit
(the installed `binc audit` command in its own process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from binc.cli import main


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("e2e")
    key_file = base / "pseudonym.key"
    key_file.write_text("end-to-end-test-key-0123456789-abcdef\n")
    assert (
        main(["generate", "--out", str(base / "exports"), "--children", "300", "--seed", "3"]) == 0
    )
    files = sorted(str(p) for p in (base / "exports").glob("*.csv"))
    warehouse = base / "w.duckdb"
    assert main(["ingest", "--warehouse", str(warehouse), "--key-file", str(key_file), *files]) == 0
    assert main(["release", "--warehouse", str(warehouse), "--out", str(base / "release")]) == 0
    return base / "release"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_an_exported_table_with_totals_passes_the_audit(release: Path, tmp_path: Path, fmt):
    out = tmp_path / f"trajectories.{fmt}"
    args = ["export", "--release", str(release), "--measure", "trajectories"]
    args += ["--by", "year,sex", "--totals", "--format", fmt, "--out", str(out)]
    assert main(args) == 0
    audit = subprocess.run(
        [str(Path(sys.executable).parent / "binc"), "audit", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert audit.stdout.startswith("audit passed: ")


def test_the_csv_export_follows_the_contract(release: Path, tmp_path: Path):
    out = tmp_path / "t.csv"
    args = ["export", "--release", str(release), "--measure", "trajectories", "--by", "year,sex"]
    args += ["--totals", "--format", "csv", "--out", str(out), "--language", "en"]
    assert main(args) == 0
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.columns == [
        "year",
        "year_label",
        "sex",
        "sex_label",
        "value",
        "ci_low",
        "ci_high",
        "suppressed",
        "too_uncertain",
    ]
    assert frame.filter(pl.col("sex") == "TOTAL")["sex_label"].unique().to_list() == ["Total"]
    hidden = frame.filter(pl.col("suppressed") == "true")
    assert hidden["value"].null_count() == hidden.height
    assert set(hidden["too_uncertain"]) <= {"false"}  # a hidden value is never "too uncertain"
    # a too uncertain value keeps its numbers (version 2 of the contract)
    unsure = frame.filter(pl.col("too_uncertain") == "true")
    assert unsure["value"].null_count() == 0
    book = json.loads((tmp_path / "t.codebook.json").read_text())
    assert book["format"] == "binc-export/2"
    assert book["disclosure"]["k"] is not None
    assert book["release"]


def test_an_unknown_measure_is_refused_with_the_list_of_measures(release: Path, tmp_path, capsys):
    args = ["export", "--release", str(release), "--measure", "no_such_measure", "--by", "year"]
    args += ["--format", "csv", "--out", str(tmp_path / "t.csv")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no_such_measure" in err
