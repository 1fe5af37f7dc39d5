"""Spec: the demo is built through the real generate → ingest → release path, once."""

from __future__ import annotations

from pathlib import Path

import duckdb

from binc.demo import ensure_demo


def test_demo_builds_through_the_real_pipeline_and_reuses_its_work(
    tmp_path: Path, monkeypatch, ledger_dir: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    real_ledgers = sorted(ledger_dir.iterdir())
    paths = ensure_demo(tmp_path / "demo", children=1500)
    key_file = tmp_path / "state" / "binc-demo" / "pseudonym.key"
    assert key_file.exists()
    assert not key_file.is_relative_to(tmp_path / "demo")  # the key never sits beside the data
    assert (key_file.stat().st_mode & 0o777) == 0o600
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    ingested, rejected = con.execute(
        "SELECT count(*), (SELECT count(*) FROM rejects) FROM ingest_log"
    ).fetchall()[0]
    con.close()
    # Identical files (e.g. two header-only exports) are ingested once: same bytes, same content.
    assert ingested == len({p.read_bytes() for p in paths.exports.iterdir()})
    assert rejected > 0  # the generator's deliberate defects went through real validation
    # Synthetic data: the demo's privacy ledger lives in the demo folder, never in the real one.
    assert len(list(paths.ledger.glob("privacy-ledger-*.jsonl"))) == 1
    assert paths.ledger.is_relative_to(tmp_path / "demo")
    assert sorted(ledger_dir.iterdir()) == real_ledgers
    built = paths.release.stat().st_mtime_ns
    again = ensure_demo(tmp_path / "demo", children=1500)
    assert again == paths
    assert paths.release.stat().st_mtime_ns == built
