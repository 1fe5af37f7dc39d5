"""Spec: `binc ingest` validates, pseudonymises and loads provider exports, keeping rejects with reasons."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from support.exports import OTHER_KEY, TEST_KEY, national_number, row, write_csv

from binc.core.pseudonym_key import PseudonymKey
from binc.ingest import pipeline
from binc.ingest.pipeline import ingest_files

TODAY = date(2026, 11, 29)
KEY = PseudonymKey(TEST_KEY)


def ingest(tmp_path: Path, *files: Path, key: PseudonymKey = KEY, warehouse: str = "w.duckdb"):
    return ingest_files(tmp_path / warehouse, list(files), key, today=TODAY)


def table(tmp_path: Path, sql: str, warehouse: str = "w.duckdb") -> list[tuple]:
    con = duckdb.connect(str(tmp_path / warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def expected_pseudonym(number: str, key: bytes = TEST_KEY) -> str:
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def test_a_valid_row_is_stored_without_identifying_values(tmp_path: Path) -> None:
    export = write_csv(tmp_path / "p01.csv", [row()])
    report = ingest(tmp_path, export)
    (counts,) = report.files
    assert (counts.read, counts.accepted, counts.rejected, counts.inserted) == (1, 1, 0, 1)
    stored = table(
        tmp_path,
        "SELECT record_id, pseudonym, programme::VARCHAR, partnership_id::VARCHAR, municipality_nis, province_nis, "
        "sex::VARCHAR, birth_year, age_at_start, family_situation::VARCHAR, family_size, trajectory_type::VARCHAR, "
        "referral_date, start_date, end_date, end_reason::VARCHAR, follow_up::VARCHAR, source_line FROM trajectories",
    )
    assert stored == [
        (
            "P01-2023-000001",
            expected_pseudonym(national_number(date(2015, 3, 12), 123)),
            "1g1p",
            "P01",
            "11008",
            "10000",
            "M",
            2015,
            7,
            "single_parent",
            3,
            "coaching_short",
            date(2023, 1, 10),
            date(2023, 2, 1),
            date(2023, 6, 15),
            "goals_reached",
            "none",
            2,
        )
    ]
    assert table(tmp_path, "SELECT birth_year, sex::VARCHAR, retention_until FROM persons") == [
        (2015, "M", date(2050, 3, 12))
    ]


def test_age_at_start_counts_completed_years(tmp_path: Path) -> None:
    birth = date(2010, 6, 15)
    rows = [
        row(
            record_id="a",
            national_number=national_number(birth, 1),
            birth_date="2010-06-15",
            start_date="2020-06-14",
            referral_date="",
            end_date="",
            end_reason="",
            follow_up="",
        ),
        row(
            record_id="b",
            national_number=national_number(birth, 1),
            birth_date="2010-06-15",
            start_date="2020-06-15",
            referral_date="",
            end_date="",
            end_reason="",
            follow_up="",
        ),
    ]
    ingest(tmp_path, write_csv(tmp_path / "x.csv", rows))
    assert table(tmp_path, "SELECT record_id, age_at_start FROM trajectories ORDER BY 1") == [
        ("a", 9),
        ("b", 10),
    ]


def test_same_person_in_two_files_gets_one_pseudonym_and_another_key_another(
    tmp_path: Path,
) -> None:
    first = write_csv(tmp_path / "a.csv", [row(record_id="A-1")])
    second = write_csv(
        tmp_path / "b.csv",
        [row(record_id="B-1", partnership_id="P02", national_number="15.03.12-123.76")],
    )
    ingest(tmp_path, first, second)
    pseudonyms = table(tmp_path, "SELECT DISTINCT pseudonym FROM trajectories")
    assert len(pseudonyms) == 1
    assert table(tmp_path, "SELECT count(*) FROM persons") == [(1,)]
    ingest(tmp_path, first, key=PseudonymKey(OTHER_KEY), warehouse="other.duckdb")
    other = table(tmp_path, "SELECT pseudonym FROM trajectories", warehouse="other.duckdb")
    assert other[0][0] != pseudonyms[0][0]
    assert other[0][0] == expected_pseudonym(national_number(date(2015, 3, 12), 123), OTHER_KEY)


def test_reingesting_the_same_file_changes_nothing(tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "a.csv", [row(), row(record_id="bad", trajectory_type="coaching")]
    )
    ingest(tmp_path, export)
    snapshot = [
        table(tmp_path, f"SELECT * FROM {t} ORDER BY ALL")
        for t in ("trajectories", "persons", "rejects", "trajectory_history")
    ]
    version = table(tmp_path, "SELECT value FROM warehouse_meta WHERE key = 'data_version'")
    (again,) = ingest(tmp_path, export).files
    assert again.already_ingested
    assert snapshot == [
        table(tmp_path, f"SELECT * FROM {t} ORDER BY ALL")
        for t in ("trajectories", "persons", "rejects", "trajectory_history")
    ]
    assert version == table(tmp_path, "SELECT value FROM warehouse_meta WHERE key = 'data_version'")


def test_a_known_record_id_with_new_values_is_a_correction_and_the_old_version_is_kept(
    tmp_path: Path,
) -> None:
    ongoing = row(end_date="", end_reason="", follow_up="")
    first = write_csv(tmp_path / "2023.csv", [ongoing])
    resent_same = write_csv(tmp_path / "2024a.csv", [ongoing, row(record_id="other")])
    corrected = write_csv(tmp_path / "2024b.csv", [row(family_size="4")])
    ingest(tmp_path, first)
    (same,) = ingest(tmp_path, resent_same).files
    assert (same.unchanged, same.inserted, same.replaced) == (1, 1, 0)
    (fix,) = ingest(tmp_path, corrected).files
    assert (fix.read, fix.accepted, fix.replaced, fix.inserted) == (1, 1, 1, 0)
    assert table(
        tmp_path,
        "SELECT family_size, end_reason::VARCHAR FROM trajectories WHERE record_id = 'P01-2023-000001'",
    ) == [(4, "goals_reached")]
    assert table(tmp_path, "SELECT family_size, end_date FROM trajectory_history") == [(3, None)]


def _chain_of_corrections(tmp_path: Path) -> list[Path]:
    """Five files that insert, re-send, correct twice, move a record to another child and re-send."""
    ongoing = row(end_date="", end_reason="", follow_up="")
    other_child = national_number(date(2014, 5, 2), 7)
    versions = [
        [ongoing, row(record_id="b")],
        [ongoing, row(record_id="c")],  # unchanged + new
        [row(), row(record_id="b", family_size="5")],  # two corrections
        [row(family_size="4"), row(record_id="c")],  # a second correction + unchanged
        [row(family_size="4", national_number=other_child, birth_date="2014-05-02", sex="M")],
    ]
    return [write_csv(tmp_path / f"f{i}.csv", rows) for i, rows in enumerate(versions)]


@pytest.mark.parametrize("group_rows", [1_000_000, 3])
def test_one_run_over_many_files_equals_one_run_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group_rows: int
) -> None:
    # Files are written in groups (one transaction each); 3 rows splits this run into three groups.
    monkeypatch.setattr(pipeline, "GROUP_ROWS", group_rows)
    files = _chain_of_corrections(tmp_path)
    together = ingest(tmp_path, *files, warehouse="together.duckdb")
    one_by_one = [ingest(tmp_path, f, warehouse="apart.duckdb").files[0] for f in files]
    assert list(together.files) == one_by_one
    assert [(c.inserted, c.replaced, c.unchanged) for c in one_by_one] == [
        (2, 0, 0),
        (1, 0, 1),
        (0, 2, 0),
        (0, 1, 1),
        (0, 1, 0),
    ]
    queries = [
        "SELECT * EXCLUDE (ingest_id) FROM trajectories ORDER BY ALL",
        "SELECT * EXCLUDE (ingest_id, replaced_at, replaced_by_ingest) FROM trajectory_history ORDER BY ALL",
        "SELECT * FROM persons ORDER BY ALL",
        "SELECT file_name, rows_read, accepted, rejected, inserted, replaced, unchanged FROM ingest_log ORDER BY ALL",
    ]
    for sql in queries:
        assert table(tmp_path, sql, "together.duckdb") == table(tmp_path, sql, "apart.duckdb"), sql
    # Which file wrote each version, and which file replaced it, is the same too.
    lineage = (
        "SELECT h.record_id, h.family_size, w.file_name, r.file_name FROM trajectory_history h "
        "JOIN ingest_log w ON w.ingest_id = h.ingest_id JOIN ingest_log r ON r.ingest_id = h.replaced_by_ingest "
        "ORDER BY ALL"
    )
    assert table(tmp_path, lineage, "together.duckdb") == table(tmp_path, lineage, "apart.duckdb")
    assert len(table(tmp_path, lineage, "together.duckdb")) == 4


def test_pre_2025_municipality_codes_are_mapped_to_2025_geography(tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "a.csv",
        [row(municipality_nis="44043"), row(record_id="z", municipality_nis="11056")],
    )
    ingest(tmp_path, export)
    assert table(
        tmp_path, "SELECT municipality_nis, province_nis FROM trajectories ORDER BY record_id"
    ) == [
        ("44088", "40000"),
        ("46030", "40000"),
    ]


def test_other_youth_care_needs_no_partnership(tmp_path: Path) -> None:
    export = write_csv(tmp_path / "a.csv", [row(programme="other_youth_care", partnership_id="")])
    (counts,) = ingest(tmp_path, export).files
    assert counts.accepted == 1
    assert table(tmp_path, "SELECT partnership_id FROM trajectories") == [(None,)]


def test_separators_bom_trailing_spaces_and_header_case_are_tolerated(tmp_path: Path) -> None:
    spaced = {k: f" {v} " for k, v in row().items()}
    export = write_csv(tmp_path / "a.csv", [spaced], separator=";", bom=True)
    export.write_text(
        export.read_text(encoding="utf-8-sig").replace("record_id", "Record_ID"),
        encoding="utf-8-sig",
    )
    (counts,) = ingest(tmp_path, export).files
    assert (counts.accepted, counts.rejected) == (1, 0)


def test_day_first_dates_and_excel_serials_are_read(tmp_path: Path) -> None:
    # 44958 is 2023-02-01 in Excel's 1900 date system.
    export = write_csv(tmp_path / "a.csv", [row(birth_date="12/03/2015", start_date="44958")])
    (counts,) = ingest(tmp_path, export).files
    assert counts.accepted == 1
    assert table(tmp_path, "SELECT start_date FROM trajectories") == [(date(2023, 2, 1),)]


def test_xlsx_and_parquet_exports_are_read(tmp_path: Path) -> None:
    frame = pl.DataFrame([row(), row(record_id="second", trajectory_type="nonsense")])
    frame.write_excel(tmp_path / "a.xlsx")
    frame.with_columns(pl.col("record_id") + "-pq").write_parquet(tmp_path / "b.parquet")
    report = ingest(tmp_path, tmp_path / "a.xlsx", tmp_path / "b.parquet")
    assert [(c.read, c.accepted, c.rejected) for c in report.files] == [(2, 1, 1), (2, 1, 1)]
    assert table(tmp_path, "SELECT file_name, line, field FROM rejects ORDER BY file_name") == [
        ("a.xlsx", 3, "trajectory_type"),
        ("b.parquet", 3, "trajectory_type"),
    ]


def test_national_numbers_with_a_lost_leading_zero_are_restored(tmp_path: Path) -> None:
    number = national_number(date(2005, 1, 2), 7)
    export = write_csv(
        tmp_path / "a.csv",
        [row(national_number=number.lstrip("0"), birth_date="2005-01-02", start_date="2023-02-01")],
    )
    (counts,) = ingest(tmp_path, export).files
    assert counts.accepted == 1


def test_a_national_number_written_as_a_spreadsheet_float_is_read(tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "a.csv", [row(national_number=national_number(date(2015, 3, 12), 123) + ".0")]
    )
    (counts,) = ingest(tmp_path, export).files
    assert (counts.accepted, counts.rejected) == (1, 0)


def test_a_schema_1_warehouse_is_upgraded_in_place_and_keeps_its_rows(tmp_path: Path) -> None:
    ingest(tmp_path, write_csv(tmp_path / "a.csv", [row(record_id="a")]))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(  # how version 1 stored a registration: with an md5 of its values
        "ALTER TABLE trajectories ADD COLUMN row_hash VARCHAR DEFAULT 'x'; "
        "ALTER TABLE trajectory_history ADD COLUMN row_hash VARCHAR DEFAULT 'x'; "
        "UPDATE warehouse_meta SET value = '1' WHERE key = 'schema_version'"
    )
    con.close()
    (counts,) = ingest(tmp_path, write_csv(tmp_path / "b.csv", [row(record_id="b")])).files
    assert counts.inserted == 1
    assert table(tmp_path, "SELECT record_id FROM trajectories ORDER BY 1") == [("a",), ("b",)]
    assert table(tmp_path, "SELECT value FROM warehouse_meta WHERE key = 'schema_version'") == [
        ("2",)
    ]
    columns = table(
        tmp_path, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'trajectories'"
    )
    assert ("row_hash",) not in columns


def test_persons_left_behind_are_caught_up_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_csv(tmp_path / "a.csv", [row(record_id="a")])
    # As if the rows had been written without their persons (an older version did that).
    monkeypatch.setattr(pipeline.persons, "refresh", lambda con: None)
    monkeypatch.setattr(pipeline.persons, "refresh_in_transaction", lambda con: None)
    ingest(tmp_path, first)
    assert table(tmp_path, "SELECT count(*) FROM persons") == [(0,)]
    monkeypatch.undo()
    (again,) = ingest(tmp_path, first).files  # only "already ingested" files
    assert again.already_ingested
    assert table(tmp_path, "SELECT birth_year, sex::VARCHAR FROM persons") == [(2015, "M")]
    assert table(tmp_path, "SELECT value FROM warehouse_meta WHERE key = 'persons_through'") == [
        ("1",)
    ]


def _mixed_export(tmp_path: Path) -> Path:
    """Valid rows, bad ones, a record_id sent on two lines far apart, ISO and day-first dates."""
    rows = []
    for i in range(14):
        child = national_number(date(2015, 3, 12), 101 + 2 * i)
        rows.append(row(record_id=f"R{i:02d}", national_number=child, family_size=str(2 + i % 5)))
    rows[1]["sex"] = "Q"  # unknown code
    rows[4]["start_date"] = "2023-02-30"  # no such date
    rows[6]["national_number"] = "15031212399"  # wrong check digits
    rows[9]["record_id"] = "R02"  # the same record_id as line 4, in another piece
    rows[11].update(referral_date="10/01/2023", start_date="01/02/2023")  # day-first dates
    return write_csv(tmp_path / "big.csv", rows)


def test_a_large_file_checked_in_pieces_gives_exactly_the_whole_file_result(
    tmp_path: Path,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from binc.ingest.readers import read_export
    from binc.ingest.validate import validate, validate_in_pieces

    frame = read_export(_mixed_export(tmp_path)).frame
    whole = validate(frame, KEY, TODAY)
    assert len(whole.rejected) == 5  # both copies of R02 among them
    assert len(whole.accepted) == 9
    with ThreadPoolExecutor(2) as pool:
        for rows in (1, 3, 5, 14, 100):
            pieces = validate_in_pieces(frame, KEY, TODAY, rows, pool.map)
            assert pieces.accepted.equals(whole.accepted), rows
            assert pieces.rejected.equals(whole.rejected), rows


def test_ingest_of_a_file_in_pieces_stores_the_same_as_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from binc.ingest import prepare

    export = _mixed_export(tmp_path)
    whole = ingest(tmp_path, export, warehouse="whole.duckdb")
    monkeypatch.setattr(prepare, "_PIECE_ROWS", 4)
    in_pieces = ingest(tmp_path, export, warehouse="pieces.duckdb")
    assert in_pieces.files == whole.files
    for sql in (
        "SELECT * EXCLUDE (ingest_id) FROM trajectories ORDER BY ALL",
        "SELECT * EXCLUDE (ingest_id) FROM rejects ORDER BY ALL",
        "SELECT * FROM persons ORDER BY ALL",
    ):
        assert table(tmp_path, sql, "whole.duckdb") == table(tmp_path, sql, "pieces.duckdb"), sql


def test_persons_refreshed_group_by_group_equal_a_full_recomputation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each group refreshes only the persons it touched, from the rows it wrote where it can; the
    # result must be what recomputing every person from all rows gives (latest version wins).
    monkeypatch.setattr(pipeline, "GROUP_ROWS", 1)
    ingest(tmp_path, *_chain_of_corrections(tmp_path))
    full = """
        SELECT pseudonym, arg_max(birth_year, v), arg_max(sex, v), arg_max(retention_until, v)
        FROM (
            SELECT *, ingest_id::BIGINT * 4294967296 + source_line AS v
            FROM (SELECT pseudonym, birth_year, sex, retention_until, ingest_id, source_line
                  FROM trajectories
                  UNION ALL
                  SELECT pseudonym, birth_year, sex, retention_until, ingest_id, source_line
                  FROM trajectory_history)
        )
        GROUP BY pseudonym ORDER BY ALL
    """
    stored = table(tmp_path, "SELECT * FROM persons ORDER BY ALL")
    assert stored == table(tmp_path, full)
    assert len(stored) == 2  # the chain's last file moved a registration to another child
