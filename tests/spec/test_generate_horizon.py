"""Spec: `binc generate --first-year/--last-year` simulates a long horizon of start years.

The default horizon (2019–2025) writes exactly what it wrote before the option existed; a longer
one keeps each year's volume, lets children age across cohorts and brings some of them back in
later start years under the same identity (what lifetime privacy accounting has to bound).
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from binc.cli import main
from binc.synthetic.generate import build_registrations, default_children, generate_exports
from binc.synthetic.recipe import RECIPE

SEED = 7
FIRST, LAST = 2019, 2038  # 20 start years, 13 of them after 2025
LONG = RECIPE.with_horizon(FIRST, LAST)
LONG_CHILDREN = 5000
PARTNERSHIPS = [f"P{i:02d}" for i in range(1, 17)]
LATE = ("P08", "P16")  # recognised in 2021

# sha256 over the sorted (file name, sha256 of the file) of `generate_exports(DIR, 300, 7)` (CSV),
# computed with the generator as it was before the horizon became configurable.
DEFAULT_HORIZON_DIGEST = "fba6c8c7db5d96ff9c2c4d047d91dd9e7edbfaa0fd381c8baa7d81af280fd7db"


def digest(directory: Path) -> str:
    total = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        total.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def age_years() -> pl.Expr:
    return (pl.col("start_date") - pl.col("birth_date")).dt.total_days() / 365.25


@pytest.fixture(scope="module")
def long_valid() -> pl.DataFrame:
    """The 20-year horizon's rows without deliberate defects (corrections keep the identity)."""
    return build_registrations(LONG_CHILDREN, SEED, LONG).filter(pl.col("_defect").is_null())


@pytest.fixture(scope="module")
def long_written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("long")
    generate_exports(out, 1200, SEED, first_year=FIRST, last_year=LAST)
    return out


# --- the default horizon is unchanged ----------------------------------------------------------


@pytest.mark.parametrize("explicit", [False, True])
def test_the_default_horizon_writes_the_same_bytes_as_before(
    tmp_path: Path, explicit: bool
) -> None:
    years = {"first_year": 2019, "last_year": 2025} if explicit else {}
    generate_exports(tmp_path, 300, SEED, **years)
    assert len(list(tmp_path.iterdir())) == 115
    assert digest(tmp_path) == DEFAULT_HORIZON_DIGEST


def test_the_default_number_of_children_scales_with_the_years_volume() -> None:
    assert default_children() == RECIPE.default_children == 50_000
    assert default_children(2019, 2025) == 50_000
    per_weight = 50_000 / sum(RECIPE.year_weights.values())  # ≈ 7,194
    # after 2025 every year weighs as 2025 (1.20); before 2019 as 2019 (0.70)
    assert default_children(2026, 2026) == round(per_weight * 1.20)
    assert default_children(FIRST, LAST) == round(per_weight * (6.95 + 13 * 1.20))
    assert default_children(2015, 2018) == round(per_weight * 4 * 0.70)


# --- files per year and partnership ------------------------------------------------------------


def test_a_20_year_horizon_writes_every_year_and_partnership_from_its_first_year(
    long_written: Path,
) -> None:
    names = {p.name for p in long_written.iterdir()}
    expected = {f"{year}_other_youth_care.csv" for year in range(FIRST, LAST + 1)}
    for year in range(FIRST, LAST + 1):
        expected |= {f"{year}_1g1p_{p}.csv" for p in PARTNERSHIPS if p not in LATE or year >= 2021}
    assert names == expected
    assert len(names) == 16 * 20 - 4 + 20
    assert sorted(names)[0] == "2019_1g1p_P01.csv"
    assert sorted(names)[-1] == "2038_other_youth_care.csv"


def test_every_start_year_has_rows_and_late_partnerships_start_in_2021(
    long_valid: pl.DataFrame,
) -> None:
    one_g = long_valid.filter(pl.col("programme") == "1g1p")
    assert set(one_g["_start_year"]) == set(range(FIRST, LAST + 1))
    late = one_g.filter(pl.col("partnership_id").is_in(LATE))
    assert late["start_date"].min() >= date(2021, 1, 1)
    assert set(late["_start_year"]) == set(range(2021, LAST + 1))
    # files and start years agree
    assert (long_valid["_file"].str.slice(0, 4).cast(pl.Int64) >= long_valid["_start_year"]).all()


def test_the_yearly_volume_after_2025_stays_at_the_2025_level(long_valid: pl.DataFrame) -> None:
    per_year = dict(
        long_valid.filter(pl.col("programme") == "1g1p").group_by("_start_year").len().iter_rows()
    )
    level_2025 = per_year[2025]
    for year in range(2026, LAST + 1):  # flat weight 1.20; returning children add a few %
        assert 0.85 * level_2025 <= per_year[year] <= 1.2 * level_2025, year


@pytest.mark.parametrize(
    ("first", "last", "files"),
    [
        (2015, 2018, 14 * 4 + 4),  # before P08 and P16 existed: none of their files or families
        (2023, 2030, 16 * 8 + 8),
        (2060, 2060, 16 + 1),
    ],
)
def test_other_horizons(tmp_path: Path, first: int, last: int, files: int) -> None:
    summary = generate_exports(tmp_path, 400, SEED, first_year=first, last_year=last)
    assert len(summary.files) == files
    frame = build_registrations(400, SEED, RECIPE.with_horizon(first, last))
    valid = frame.filter(pl.col("_defect").is_null())
    assert valid["_start_year"].is_between(first, last).all()
    assert valid["start_date"].min() >= date(first, 1, 1)
    for column in ("birth_date", "referral_date", "start_date", "end_date"):
        assert valid[column].max() <= date(last + 1, 3, 31), column
    if last < 2021:
        assert not frame["partnership_id"].is_in(LATE).any()


# --- ages and cohorts --------------------------------------------------------------------------


def test_ages_at_start_are_within_bounds_for_every_row(long_valid: pl.DataFrame) -> None:
    aged = long_valid.with_columns(age_years().alias("age"))
    assert (aged["birth_date"] < aged["start_date"]).all()
    one_g = aged.filter(pl.col("programme") == "1g1p")
    assert one_g["age"].min() >= 0
    assert one_g["age"].max() < RECIPE.max_age + 1  # 0–17, a small tail to 24
    assert 0.01 <= (one_g["age"] >= 18).mean() <= 0.06
    # other youth care: around the first 1G1P start, at most 7 years after it
    assert aged.filter(pl.col("programme") == "other_youth_care")["age"].max() < 32


def test_every_start_year_has_children_of_all_ages_from_later_cohorts_too(
    long_valid: pl.DataFrame,
) -> None:
    one_g = long_valid.filter(pl.col("programme") == "1g1p").with_columns(
        (age_years() // 6).cast(pl.Int64).alias("band")  # 0–5, 6–11, 12–17
    )
    bands = one_g.group_by("_start_year").agg(pl.col("band").unique())
    for year, present in bands.iter_rows():
        assert {0, 1, 2} <= set(present), year
    births = one_g["birth_date"].dt.year()
    assert births.min() <= FIRST - 17
    assert births.max() >= LAST - 1  # born during the horizon, helped in it


# --- returning children ------------------------------------------------------------------------


def test_returning_children_come_back_in_later_start_years_in_the_expected_share(
    long_valid: pl.DataFrame,
) -> None:
    years = (
        long_valid.filter(pl.col("programme") == "1g1p")
        .group_by("_child_id")
        .agg(
            pl.col("_start_year").n_unique().alias("years"),
            (pl.col("_start_year").max() - pl.col("_start_year").min()).alias("span"),
        )
    )
    returning = years.filter(pl.col("years") >= 2)
    share = returning.height / years.height
    assert 0.10 <= share <= 0.20
    assert abs(share - RECIPE.returning_children_share) <= 0.04
    spans = returning["span"]
    assert (spans == 1).any()  # 1 to several years apart
    assert (spans >= 7).any()
    assert spans.max() <= 19
    assert 0.08 <= (spans >= 7).mean() <= 0.3  # some come back in a later life stage
    assert (years["years"] >= 3).any()


def test_a_returning_child_has_the_same_identity_in_every_export(long_valid: pl.DataFrame) -> None:
    one_g = long_valid.filter(pl.col("programme") == "1g1p")
    returning = one_g.group_by("_child_id").agg(pl.col("_start_year").n_unique().alias("years"))
    rows = long_valid.join(returning.filter(pl.col("years") >= 2), on="_child_id").with_columns(
        pl.col("national_number").str.replace_all(r"[.\-]", "").alias("number")
    )
    assert rows["_file"].n_unique() > 50
    identity = ["number", "last_name", "first_name", "birth_date", "sex"]
    per_child = rows.group_by("_child_id").agg(
        pl.col("_file").n_unique().alias("files"), *(pl.col(c).n_unique() for c in identity)
    )
    assert (per_child["files"] >= 2).all()
    assert per_child.select(identity).max_horizontal().max() == 1
    # and one child never shows up under another child's number
    assert rows.select("number", "_child_id").unique()["number"].is_unique().all()


def test_returning_children_start_only_after_the_previous_trajectory_started(
    long_valid: pl.DataFrame,
) -> None:
    """No two 1G1P trajectories of one child start on the same day (row order stays defined)."""
    one_g = long_valid.filter(
        pl.col("programme") == "1g1p",
        pl.col("_correction").is_null() | (pl.col("_correction") == "original"),
    )
    assert one_g.select("_child_id", "start_date").is_unique().all()


# --- ongoing at the export date ----------------------------------------------------------------


def test_about_fifteen_percent_of_the_last_seven_years_are_ongoing(
    long_valid: pl.DataFrame,
) -> None:
    recent = long_valid.filter(pl.col("_start_year") > LAST - 7)
    assert 0.12 <= recent["end_date"].is_null().mean() <= 0.18
    old = long_valid.filter(pl.col("_start_year") < LAST - 10)
    assert old["end_date"].is_null().mean() < 0.01


# --- determinism and arguments -----------------------------------------------------------------


def test_the_same_seed_writes_the_same_bytes_over_a_long_horizon(
    long_written: Path, tmp_path: Path
) -> None:
    generate_exports(tmp_path / "again", 1200, SEED, first_year=FIRST, last_year=LAST)
    generate_exports(tmp_path / "other", 1200, SEED + 1, first_year=FIRST, last_year=LAST)
    assert digest(tmp_path / "again") == digest(long_written)
    assert digest(tmp_path / "other") != digest(long_written)


def test_cli_accepts_a_horizon(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["generate", "--out", str(tmp_path), "--children", "300", "--first-year", "2024",
         "--last-year", "2031", "--seed", "2"]
    )  # fmt: skip
    assert code == 0
    assert "wrote 136 csv files" in capsys.readouterr().out
    assert (tmp_path / "2031_1g1p_P16.csv").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--first-year", "2014"], "--first-year and --last-year must lie within 2015–2060 (got 2014–2025)"),
        (["--last-year", "2061"], "must lie within 2015–2060 (got 2019–2061)"),
        (["--first-year", "2030", "--last-year", "2020"], "--last-year must not be before --first-year (got 2030–2020)"),
        (["--first-year", "2015", "--last-year", "2055"], "may span at most 40 start years (got 41: 2015–2055)"),
        (["--first-year", "2026"], "--last-year must not be before --first-year (got 2026–2025)"),
    ],
)  # fmt: skip
def test_cli_rejects_a_bad_horizon_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    code = main(["generate", "--out", str(tmp_path / "out"), *arguments])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_rejects_a_year_that_is_not_a_number(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--out", str(tmp_path), "--first-year", "twenty"])
    assert exit_info.value.code == 2


def test_the_help_says_future_years_are_simulated(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "SIMULATED FUTURE" in text
    assert "--first-year" in text
    assert "--last-year" in text
    assert "summed yearly volume weights" in text
