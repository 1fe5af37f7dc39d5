"""Spec: every kind of bad input gets the right reason, no traceback, and nothing is lost."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from support.exports import TEST_KEY, national_number, row, write_csv

from binc.cli import main
from binc.core.pseudonym_key import PseudonymKey
from binc.ingest.pipeline import ingest_files

TODAY = date(2026, 11, 29)
KEY = PseudonymKey(TEST_KEY)
CHILD_2010 = date(2010, 7, 4)

# (what is wrong, overrides, field, reason fragment)
BAD_ROWS = [
    (
        "wrong check digits",
        {"national_number": "15031212300"},
        "national_number",
        "check digits are wrong",
    ),
    ("too few digits", {"national_number": "1503121"}, "national_number", "11 digits"),
    (
        "1900-rule number for a 2010 child",
        {
            "national_number": national_number(CHILD_2010, 46, rule_2000=False),
            "birth_date": "2010-07-04",
            "sex": "V",
        },
        "national_number",
        "rule for births before 2000",
    ),
    (
        "number of another birth date",
        {"national_number": national_number(date(2015, 3, 13), 123)},
        "national_number",
        "does not agree with birth_date",
    ),
    ("sex against counter", {"sex": "V"}, "sex", "does not agree with the national number"),
    ("impossible date", {"end_date": "2023-02-30"}, "end_date", "not a valid date"),
    ("reversed dates", {"end_date": "2023-01-15"}, "end_date", "must not be before start_date"),
    (
        "referral after start",
        {"referral_date": "2023-03-01"},
        "referral_date",
        "must not be after start_date",
    ),
    ("future end date", {"end_date": "2027-01-01"}, "end_date", "lies in the future"),
    (
        "start before birth",
        {"start_date": "2014-01-01", "referral_date": ""},
        "birth_date",
        "must be before start_date",
    ),
    (
        "unknown trajectory type",
        {"trajectory_type": "coaching"},
        "trajectory_type",
        "unknown code 'coaching'",
    ),
    (
        "unknown family situation",
        {"family_situation": "married"},
        "family_situation",
        "unknown code 'married'",
    ),
    ("unknown programme", {"programme": "1G1P-x"}, "programme", "unknown code"),
    (
        "unknown partnership",
        {"partnership_id": "P17"},
        "partnership_id",
        "unknown partnership 'P17'",
    ),
    (
        "partnership on other care",
        {"programme": "other_youth_care"},
        "partnership_id",
        "must be empty",
    ),
    (
        "missing partnership",
        {"partnership_id": ""},
        "partnership_id",
        "required for programme 1g1p",
    ),
    (
        "unknown municipality",
        {"municipality_nis": "99999"},
        "municipality_nis",
        "unknown NIS code '99999'",
    ),
    ("missing record id", {"record_id": ""}, "record_id", "required"),
    ("missing last name", {"last_name": ""}, "last_name", "required"),
    ("missing start date", {"start_date": "", "referral_date": ""}, "start_date", "required"),
    ("family size 0", {"family_size": "0"}, "family_size", "from 1 to 20"),
    ("family size 25", {"family_size": "25"}, "family_size", "from 1 to 20"),
    ("family size text", {"family_size": "drie"}, "family_size", "from 1 to 20"),
    ("end without reason", {"end_reason": ""}, "end_reason", "required when end_date is set"),
    ("reason without end", {"end_date": "", "follow_up": ""}, "end_reason", "must be empty while"),
    (
        "follow-up while ongoing",
        {"end_date": "", "end_reason": ""},
        "follow_up",
        "only allowed when",
    ),
    ("postal code", {"postal_code": "29300"}, "postal_code", "4 digits"),
    (
        "person aged 35",
        {"national_number": national_number(date(1990, 1, 1), 1), "birth_date": "1990-01-01"},
        "birth_date",
        "35 or older",
    ),
]


@pytest.mark.parametrize(
    ("what", "overrides", "field", "reason"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS]
)
def test_bad_row_is_rejected_with_its_reason(
    tmp_path: Path, what: str, overrides: dict, field: str, reason: str
) -> None:
    export = write_csv(
        tmp_path / "bad.csv", [row(record_id="good"), row(**{"record_id": "bad", **overrides})]
    )
    (counts,) = ingest_files(tmp_path / "w.duckdb", [export], KEY, today=TODAY).files
    assert (counts.read, counts.accepted, counts.rejected) == (2, 1, 1)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    (reject,) = con.execute("SELECT file_name, line, field, reason FROM rejects").fetchall()
    con.close()
    assert reject[:3] == ("bad.csv", 3, field)
    assert reason in reject[3]


def test_reasons_never_repeat_identifying_values(tmp_path: Path) -> None:
    bad = row(
        record_id="bad", sex="Janssens Lotte", national_number="15031212300", postal_code="29300"
    )
    export = write_csv(tmp_path / "a.csv", [bad])
    ingest_files(tmp_path / "w.duckdb", [export], KEY, today=TODAY)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    text = " ".join(str(v) for r in con.execute("SELECT * FROM rejects").fetchall() for v in r)
    con.close()
    for value in ("Janssens", "Lotte", "15031212300", "29300", "Kerkstraat", "2015-03-12"):
        assert value not in text


def test_duplicate_record_id_within_a_file_rejects_every_copy(tmp_path: Path) -> None:
    export = write_csv(tmp_path / "a.csv", [row(), row(record_id="other"), row(family_size="5")])
    (counts,) = ingest_files(tmp_path / "w.duckdb", [export], KEY, today=TODAY).files
    assert (counts.accepted, counts.rejected) == (1, 2)
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    reasons = con.execute("SELECT line, field, reason FROM rejects ORDER BY line").fetchall()
    con.close()
    assert [(line, field) for line, field, _ in reasons] == [(2, "record_id"), (4, "record_id")]
    assert "lines 2, 4" in reasons[0][2]


def test_a_ragged_line_is_rejected_and_the_others_kept(tmp_path: Path) -> None:
    export = write_csv(tmp_path / "a.csv", [row(), row(record_id="two")])
    lines = export.read_text().splitlines()
    lines.insert(2, lines[1].replace("P01-2023-000001", "short") + ",extra,fields")
    export.write_text("\n".join(lines) + "\n")
    (counts,) = ingest_files(tmp_path / "w.duckdb", [export], KEY, today=TODAY).files
    assert (counts.read, counts.accepted, counts.rejected) == (3, 2, 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"record_id,programme\nx,1g1p\n", "missing column(s)"),
        (
            (",".join(row()) + ",email\n" + ",".join(row().values()) + ",a@b.be\n").encode(),
            "unknown column(s) email",
        ),
        (
            (",".join(row()) + "\n" + ",".join(row(last_name="Müller").values()) + "\n").encode(
                "latin-1"
            ),
            "not UTF-8",
        ),
    ],
    ids=["empty", "missing columns", "extra column", "latin-1"],
)
def test_unreadable_files_are_refused_whole_with_a_clear_message(
    tmp_path: Path, capsys, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    good = write_csv(tmp_path / "good.csv", [row()])
    key_file = tmp_path / "key"
    key_file.write_bytes(TEST_KEY)
    status = main(
        [
            "ingest",
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--key-file",
            str(key_file),
            str(bad),
            str(good),
        ]
    )
    captured = capsys.readouterr()
    assert status == 2
    assert message in captured.err
    assert "bad.csv" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert "good.csv: read 1, accepted 1" in captured.out


def test_header_only_file_reads_nothing_and_succeeds(tmp_path: Path, capsys) -> None:
    export = write_csv(tmp_path / "a.csv", [])
    key_file = tmp_path / "key"
    key_file.write_bytes(TEST_KEY)
    assert (
        main(
            [
                "ingest",
                "--warehouse",
                str(tmp_path / "w.duckdb"),
                "--key-file",
                str(key_file),
                str(export),
            ]
        )
        == 0
    )
    assert "read 0, accepted 0, rejected 0" in capsys.readouterr().out


def test_ingest_refuses_to_run_without_a_key(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("BINC_PSEUDONYM_KEY", raising=False)
    export = write_csv(tmp_path / "a.csv", [row()])
    assert main(["ingest", "--warehouse", str(tmp_path / "w.duckdb"), str(export)]) == 2
    assert "no pseudonymisation key" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()
    monkeypatch.setenv("BINC_PSEUDONYM_KEY", "short")
    assert main(["ingest", "--warehouse", str(tmp_path / "w.duckdb"), str(export)]) == 2
    assert "too short" in capsys.readouterr().err
