"""Spec: retention until 35, subject access through the key, and a warehouse that holds no identity."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from support.exports import TEST_KEY, national_number, row, write_csv

from binc.cli import main
from binc.core.pseudonym_key import PseudonymKey
from binc.ingest.pipeline import ingest_files
from binc.warehouse.retention import purge

KEY = PseudonymKey(TEST_KEY)
BIRTH = date(1992, 5, 20)  # turns 35 on 2027-05-20


def adult_row(record_id: str) -> dict[str, str]:
    return row(
        record_id=record_id,
        programme="other_youth_care",
        partnership_id="",
        national_number=national_number(BIRTH, 11),
        birth_date="1992-05-20",
        start_date="2012-02-01",
        referral_date="",
        end_date="2012-06-01",
    )


def counts(con: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
    return con.execute(
        "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM trajectories), "
        "(SELECT count(*) FROM trajectory_history), (SELECT count(*) FROM rejects)"
    ).fetchall()[0]


def test_purge_removes_a_person_on_their_35th_birthday_exactly(tmp_path: Path) -> None:
    first = write_csv(
        tmp_path / "a.csv",
        [adult_row("old-1"), row(record_id="child-1"), adult_row("old-bad") | {"sex": "Q"}],
    )
    corrected = write_csv(tmp_path / "b.csv", [adult_row("old-1") | {"family_size": "4"}])
    ingest_files(tmp_path / "w.duckdb", [first, corrected], KEY, today=date(2026, 11, 29))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert counts(con) == (2, 2, 1, 1)
    assert purge(con, date(2027, 5, 19)).persons == 0
    assert counts(con) == (2, 2, 1, 1)
    removed = purge(con, date(2027, 5, 20))
    assert (removed.persons, removed.trajectories, removed.history, removed.rejects) == (1, 1, 1, 1)
    assert counts(con) == (1, 1, 0, 0)
    con.close()


def test_purge_command_prints_how_many_and_refuses_future_dates(tmp_path: Path, capsys) -> None:
    ingest_files(
        tmp_path / "w.duckdb",
        [write_csv(tmp_path / "a.csv", [row()])],
        KEY,
        today=date(2026, 11, 29),
    )
    assert main(["purge", "--warehouse", str(tmp_path / "w.duckdb"), "--as-of", "2026-01-01"]) == 0
    assert "0 persons aged 35 or more" in capsys.readouterr().out
    assert main(["purge", "--warehouse", str(tmp_path / "w.duckdb"), "--as-of", "2999-01-01"]) == 2
    assert "lies in the future" in capsys.readouterr().err
    assert (
        main(["purge", "--warehouse", str(tmp_path / "missing.duckdb"), "--as-of", "2026-01-01"])
        == 2
    )
    assert "no warehouse at this path" in capsys.readouterr().err


def test_subject_access_shows_every_record_of_the_person_and_nothing_of_others(
    tmp_path: Path, capsys
) -> None:
    other = row(
        record_id="someone-else",
        national_number=national_number(date(2016, 1, 1), 3),
        birth_date="2016-01-01",
    )
    first = write_csv(
        tmp_path / "a.csv",
        [row(end_date="", end_reason="", follow_up=""), other, row(record_id="r", sex="V")],
    )
    second = write_csv(tmp_path / "b.csv", [row()])
    ingest_files(tmp_path / "w.duckdb", [first, second], KEY, today=date(2026, 11, 29))
    key_file = tmp_path / "key"
    key_file.write_bytes(TEST_KEY)
    status = main(
        [
            "subject-access",
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--key-file",
            str(key_file),
            "--national-number",
            "15.03.12-123.76",
            "--out",
            str(tmp_path / "sar.xlsx"),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "Registrations (current version): 1" in out
    assert "Earlier versions, replaced by corrections: 1" in out
    assert "Rows refused at ingest (not used in any statistic): 1" in out
    assert "someone-else" not in out
    assert KEY.pseudonym("15031212376") not in out
    assert pl.read_excel(tmp_path / "sar.xlsx", sheet_name="trajectories")[
        "record_id"
    ].to_list() == ["P01-2023-000001"]


def test_subject_access_rejects_a_malformed_number_without_echoing_it(
    tmp_path: Path, capsys
) -> None:
    ingest_files(
        tmp_path / "w.duckdb",
        [write_csv(tmp_path / "a.csv", [row()])],
        KEY,
        today=date(2026, 11, 29),
    )
    key_file = tmp_path / "key"
    key_file.write_bytes(TEST_KEY)
    args = [
        "subject-access",
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--key-file",
        str(key_file),
        "--national-number",
    ]
    assert main([*args, "15031212300"]) == 2
    err = capsys.readouterr().err
    assert "check digits are wrong" in err
    assert "15031212300" not in err
    assert main([*args, national_number(date(2001, 1, 1), 5)]) == 0
    assert "No records of this person" in capsys.readouterr().out


def test_warehouse_file_holds_no_name_national_number_address_or_key(tmp_path: Path) -> None:
    rows = [
        row(
            record_id=f"r{i}",
            last_name=f"Achternaam{i}",
            first_name=f"Voornaam{i}",
            street=f"Straatnaam{i}",
            national_number=national_number(date(2015, 3, 12), 101 + 2 * i),
            house_number="987654",
        )
        for i in range(30)
    ]
    rows.append(
        row(
            record_id="bad",
            last_name="Verworpen",
            trajectory_type="x",
            national_number=national_number(date(2015, 3, 12), 99),
        )
    )
    export = write_csv(tmp_path / "a.csv", rows)
    ingest_files(tmp_path / "w.duckdb", [export], KEY, today=date(2026, 11, 29))
    content = (tmp_path / "w.duckdb").read_bytes()
    wal = tmp_path / "w.duckdb.wal"
    if wal.exists():
        content += wal.read_bytes()
    needles = {
        "Verworpen",
        "Straatnaam",
        "Achternaam",
        "Voornaam",
        "987654",
        "Kerkstraat",
        TEST_KEY.decode(),
    }
    needles |= {r["national_number"] for r in rows}
    for needle in needles:
        assert needle.encode() not in content, needle


def test_purge_does_not_depend_on_a_fresh_persons_table(tmp_path: Path) -> None:
    # As after an ingest run that died before refreshing persons: the rows' own dates still count.
    export = write_csv(tmp_path / "a.csv", [adult_row("old-1"), row(record_id="child-1")])
    ingest_files(tmp_path / "w.duckdb", [export], KEY, today=date(2026, 11, 29))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("DELETE FROM persons")
    removed = purge(con, date(2027, 5, 20))
    assert removed.trajectories == 1
    assert con.execute("SELECT record_id FROM trajectories").fetchall() == [("child-1",)]
    con.close()


def test_persons_hold_the_latest_values_of_each_person(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", [row(record_id="r1", sex="M")])
    # A corrected registration: same person, sex X (allowed with either counter parity).
    second = write_csv(tmp_path / "b.csv", [row(record_id="r1", sex="X")])
    ingest_files(tmp_path / "w.duckdb", [first], KEY, today=date(2026, 11, 29))
    ingest_files(tmp_path / "w.duckdb", [second], KEY, today=date(2026, 11, 29))
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("SELECT sex::VARCHAR, birth_year FROM persons").fetchall() == [("X", 2015)]
    con.close()
