"""Spec: `binc generate` writes realistic, deterministic provider exports in registration format v1."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from stdnum.be import nn
from support.exports import TEST_KEY

from binc.cli import main
from binc.core.format_v1 import COLUMNS
from binc.core.pseudonym_key import PseudonymKey
from binc.core.reference import nis_crosswalk, postal_codes
from binc.ingest.readers import read_export
from binc.ingest.validate import validate
from binc.synthetic.generate import build_registrations, generate_exports

CHILDREN = 2000
SEED = 7
EXPORT_DATE = date(2026, 3, 31)
INGEST_TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def registrations() -> pl.DataFrame:
    """Every generated row with the generator's own notes (_defect, _correction, _file, _child_id)."""
    return build_registrations(8000, SEED)


@pytest.fixture(scope="module")
def valid(registrations: pl.DataFrame) -> pl.DataFrame:
    return registrations.filter(pl.col("_defect").is_null())


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    generate_exports(out, CHILDREN, SEED)
    return out


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(
    written: Path, tmp_path: Path
) -> None:
    generate_exports(tmp_path / "again", CHILDREN, SEED)
    generate_exports(tmp_path / "other", CHILDREN, SEED + 1)
    assert digests(tmp_path / "again") == digests(written)
    assert digests(tmp_path / "other") != digests(written)


def test_files_per_partnership_and_year_sort_chronologically_and_p08_p16_start_in_2021(
    written: Path,
) -> None:
    names = sorted(p.name for p in written.iterdir())
    assert names[0] == "2019_1g1p_P01.csv"
    assert names[-1] == "2025_other_youth_care.csv"
    assert [n[:4] for n in names] == sorted(n[:4] for n in names)
    for year in (2019, 2020):
        assert f"{year}_1g1p_P08.csv" not in names
        assert f"{year}_1g1p_P16.csv" not in names
    assert {"2021_1g1p_P08.csv", "2021_1g1p_P16.csv"} <= set(names)
    assert len(names) == 16 * 7 - 4 + 7


def test_providers_differ_excel_style_and_plain_csv(written: Path) -> None:
    excel = (written / "2021_1g1p_P02.csv").read_bytes()
    plain = (written / "2021_1g1p_P01.csv").read_bytes()
    assert excel.startswith(b"\xef\xbb\xbf")
    assert b";" in excel.split(b"\n")[0]
    assert b"\r\n" in excel
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert plain.split(b"\n")[0].count(b",") == 19
    excel_rows = pl.read_csv(excel, separator=";", infer_schema=False)
    assert excel_rows["start_date"].str.contains(r"^\d{2}/\d{2}/\d{4}$").all()
    assert excel_rows["national_number"].str.contains(r"^\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}$").any()


def test_no_1g1p_rows_for_late_partnerships_before_2021(valid: pl.DataFrame) -> None:
    late = valid.filter(pl.col("partnership_id").is_in(["P08", "P16"]))
    assert late.height > 0
    assert late["start_date"].min() >= date(2021, 1, 1)


def test_every_valid_national_number_is_valid_and_agrees_with_birth_date_and_sex(
    valid: pl.DataFrame,
) -> None:
    for number, birth, sex in valid.select("national_number", "birth_date", "sex").iter_rows():
        assert nn.is_valid(number), number
        # stdnum infers the century from the check digits: 2000+ births must use the 2000 rule.
        assert nn.get_birth_date(number) == birth
        if sex != "X":
            assert nn.get_gender(number) == ("M" if sex == "M" else "F")


def test_national_numbers_are_unique_per_child(valid: pl.DataFrame) -> None:
    numbers = valid.select(
        pl.col("national_number").str.replace_all(r"[.\-]", ""), "_child_id"
    ).unique()
    assert numbers["national_number"].n_unique() == numbers["_child_id"].n_unique()


def test_postal_code_belongs_to_the_municipality(valid: pl.DataFrame) -> None:
    crosswalk = dict(nis_crosswalk().select("old_nis", "new_nis").iter_rows())
    links = set(postal_codes().select("postal_code", "municipality_nis").iter_rows())
    pairs = valid.select("postal_code", "municipality_nis").unique().iter_rows()
    assert all((code, crosswalk.get(nis, nis)) in links for code, nis in pairs)


def test_merged_municipalities_carry_their_old_code_before_2025(valid: pl.DataFrame) -> None:
    old_codes = set(nis_crosswalk()["old_nis"]) - set(nis_crosswalk()["new_nis"])
    early = valid.filter(pl.col("start_date").dt.year() < 2025)["municipality_nis"]
    late = valid.filter(pl.col("start_date").dt.year() == 2025)["municipality_nis"]
    assert early.is_in(list(old_codes)).any()
    assert not late.is_in(list(old_codes)).any()


def test_about_fifteen_percent_are_ongoing(valid: pl.DataFrame) -> None:
    share = valid["end_date"].is_null().mean()
    assert 0.12 <= share <= 0.18


def test_median_duration_is_about_four_months(valid: pl.DataFrame) -> None:
    ended = valid.filter(pl.col("programme") == "1g1p", pl.col("end_date").is_not_null())
    days = (ended["end_date"] - ended["start_date"]).dt.total_days()
    assert 100 <= days.median() <= 140
    assert 20 <= days.quantile(0.1) <= 45
    assert 220 <= days.quantile(0.9) <= 320
    assert days.max() <= 540


def test_end_reason_and_follow_up_only_with_an_end(valid: pl.DataFrame) -> None:
    ongoing = valid.filter(pl.col("end_date").is_null())
    assert ongoing["end_reason"].is_null().all()
    assert ongoing["follow_up"].is_null().all()
    ended = valid.filter(pl.col("end_date").is_not_null())
    assert ended["end_reason"].is_not_null().all()


def test_short_trajectories_drop_out_more(valid: pl.DataFrame) -> None:
    ended = valid.filter(pl.col("end_date").is_not_null()).with_columns(
        (pl.col("end_date") - pl.col("start_date")).dt.total_days().alias("days"),
        pl.col("end_reason").is_in(["family_withdrew", "no_contact", "moved_away", "other"]).alias("dropout"),
    )  # fmt: skip
    short = ended.filter(pl.col("days") < 30)["dropout"].mean()
    long = ended.filter(pl.col("days") > 200)["dropout"].mean()
    assert short > long + 0.1


def test_no_date_after_the_export_date(valid: pl.DataFrame) -> None:
    for column in ("birth_date", "referral_date", "start_date", "end_date"):
        assert valid[column].max() <= EXPORT_DATE, column
    referred = valid.filter(pl.col("referral_date").is_not_null())
    assert (referred["referral_date"] <= referred["start_date"]).all()
    assert (valid["birth_date"] < valid["start_date"]).all()


def test_siblings_share_a_family_and_some_children_have_many_trajectories(
    valid: pl.DataFrame,
) -> None:
    per_child = valid.group_by("_child_id").agg(
        pl.len().alias("n"), (pl.col("programme") == "other_youth_care").any().alias("oyc")
    )
    assert per_child["n"].max() >= 4
    assert 0.01 <= (per_child["n"] >= 4).mean() <= 0.15
    assert 0.15 <= per_child["oyc"].mean() <= 0.5
    first_1g1p = (
        valid.filter(pl.col("programme") == "1g1p")
        .group_by("_child_id")
        .agg(pl.col("start_date").min().alias("first"))
    )
    oyc = valid.filter(pl.col("programme") == "other_youth_care").join(first_1g1p, on="_child_id")
    assert (oyc["start_date"] < oyc["first"]).any()
    assert (oyc["start_date"] > oyc["first"]).any()


def test_family_sizes_and_situations_are_plausible(valid: pl.DataFrame) -> None:
    assert valid["family_size"].is_between(2, 10).all()
    shares = valid["family_situation"].value_counts(normalize=True)
    share = dict(shares.iter_rows())
    assert 0.38 <= share["two_parents"] <= 0.52
    assert 0.24 <= share["single_parent"] <= 0.36
    mean_size = dict(
        valid.group_by("family_situation").agg(pl.col("family_size").mean()).iter_rows()
    )
    assert mean_size["single_parent"] < mean_size["two_parents"]


def test_corrections_reuse_a_record_id_in_a_later_file(registrations: pl.DataFrame) -> None:
    resent = registrations.filter(
        pl.col("_correction").is_not_null() & (pl.col("_correction") != "original")
    )
    assert 0.002 <= resent.height / registrations.height <= 0.01
    originals = registrations.filter(pl.col("_correction") == "original")
    paired = resent.join(originals, on="record_id", suffix="_first")
    assert paired.height == resent.height
    assert (paired["_file"].str.slice(0, 4) > paired["_file_first"].str.slice(0, 4)).all()
    changed = [c for c in COLUMNS if c != "record_id"]
    assert all(
        any(row[c] != row[f"{c}_first"] for c in changed) for row in paired.iter_rows(named=True)
    )
    ids = registrations.filter(
        pl.col("_correction").is_null() | (pl.col("_correction") == "original")
    )
    assert ids["record_id"].is_unique().all()


def test_about_one_percent_invalid_each_rejected_by_ingest_for_its_one_defect(
    written: Path,
) -> None:
    """Ingest's own validation rejects exactly the defective rows, each for a single reason."""
    # One validation over all files; the file name keeps corrected record_ids apart.
    frames = [
        read_export(path).frame.with_columns(
            pl.format("{}:{}", pl.lit(path.name), "record_id").alias("record_id")
        )
        for path in sorted(written.iterdir())
    ]
    checked = validate(pl.concat(frames), PseudonymKey(TEST_KEY), INGEST_TODAY)
    read = checked.accepted.height + checked.rejected.height
    rejected = checked.rejected.height
    assert not checked.rejected["problems"].str.contains(";").any()
    assert 0.006 <= rejected / read <= 0.014
    expected = build_registrations(CHILDREN, SEED)["_defect"].is_not_null().sum()
    assert rejected == expected


def test_every_kind_of_defect_occurs(registrations: pl.DataFrame) -> None:
    kinds = set(registrations["_defect"].drop_nulls())
    assert len(kinds) == 11


@pytest.mark.parametrize("file_format", ["xlsx", "parquet"])
def test_other_formats_hold_the_same_rows(file_format: str, tmp_path: Path) -> None:
    summary = generate_exports(tmp_path, 300, SEED, file_format)
    assert all(p.suffix == f".{file_format}" for p in summary.files)
    rows = sum(read_export(p).frame.height for p in summary.files)
    assert rows == summary.rows


def test_cli_prints_one_summary_line_without_personal_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["generate", "--out", str(tmp_path), "--children", "200", "--seed", "1"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert len(out) == 1
    assert "200 children" in out[0]
    assert "files" in out[0]
    names = set(
        pl.read_csv(tmp_path / "2023_other_youth_care.csv", infer_schema=False)["last_name"]
    )
    assert not any(name in out[0] for name in names)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--children", "0"], "--children must be between 1"),
        (["--children", "-5"], "--children must be between 1"),
        (["--children", "99999999"], "--children must be between 1"),
        (["--seed", "-1"], "--seed must be zero or a positive"),
    ],
)
def test_cli_rejects_bad_arguments_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    code = main(["generate", "--out", str(tmp_path), *arguments])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err
    assert len(err.splitlines()) == 1


def test_cli_rejects_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--out", str(tmp_path), "--format", "json"])
    assert exit_info.value.code == 2
