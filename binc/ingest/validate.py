"""Validate every field of registration format v1, a whole column at a time, and split the rows.

The rules (rules.py) are polars expressions. For every row only their conditions are evaluated (a
row with any firing condition is rejected); reasons are spelled out for the rejected rows alone:
the first failing field and its reason, and the list of all problems. Reasons never repeat an
identifying value (names, national number, address, birth date).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import polars as pl

from binc.core.format_v1 import RETENTION_AGE
from binc.core.national_number import (
    encoded_birth_date,
    is_male_counter,
    is_well_formed,
    normalise,
    valid_before_2000,
    valid_from_2000,
)
from binc.core.pseudonym_key import PseudonymKey
from binc.core.reference import municipalities, nis_crosswalk
from binc.ingest.readers import LINE
from binc.ingest.rules import any_rule_fires, checks, first_reason

FILE = "_file"  # which export of a batch a row comes from
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's 1900 date system, as serial numbers count from it
_DATES = ("birth_date", "referral_date", "start_date", "end_date")
_PLAIN_ISO = r"^\d{4}-\d{2}-\d{2}$"

ACCEPTED_COLUMNS = (
    "record_id",
    "pseudonym",
    "programme",
    "partnership_id",
    "municipality_nis",
    "province_nis",
    "sex",
    "birth_year",
    "age_at_start",
    "family_situation",
    "family_size",
    "trajectory_type",
    "referral_date",
    "start_date",
    "end_date",
    "end_reason",
    "follow_up",
    "retention_until",
    "source_line",
)
REJECTED_COLUMNS = (
    "line",
    "record_id",
    "field",
    "reason",
    "problems",
    "pseudonym",  # when the national number was valid
    "retention_until",
)


@dataclass(frozen=True)
class Validation:
    accepted: pl.DataFrame  # ACCEPTED_COLUMNS, typed; no identifying value
    rejected: pl.DataFrame  # REJECTED_COLUMNS


def parse_date(column: str) -> pl.Expr:
    """YYYY-MM-DD (a zero time part from Excel tolerated), DD/MM/YYYY, or an Excel serial number."""
    value = pl.col(column)
    iso = value.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    day_first = value.str.strptime(pl.Date, "%d/%m/%Y", strict=False)
    serial_days = value.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    serial = pl.lit(EXCEL_EPOCH) + pl.duration(days=serial_days)
    return (
        pl.when(value.str.contains(r"^\d{4}-\d{2}-\d{2}([ T]00:00(:00(\.0+)?)?)?$"))
        .then(iso)
        .when(value.str.contains(r"^\d{1,2}/\d{1,2}/\d{4}$"))
        .then(day_first)
        .when(value.str.contains(r"^\d{1,5}(\.0+)?$") & serial_days.is_between(1, 73_050))
        .then(serial)
        .otherwise(None)
    )


def _date_parsers(frame: pl.DataFrame) -> list[pl.Expr]:
    """Per date column: a plain strptime when every value is plain YYYY-MM-DD, else `parse_date`.

    For such values both give the same date; the general form costs several regexes and parses per
    row, and provider exports nearly always write plain ISO dates.
    """
    plain = frame.select(
        pl.col(c).str.contains(_PLAIN_ISO).or_(pl.col(c).is_null()).all() for c in _DATES
    ).row(0)
    return [
        (
            pl.col(c).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            if all_plain
            else parse_date(c)
        ).alias(f"_{c}")
        for c, all_plain in zip(_DATES, plain, strict=True)
    ]


@cache
def _nis_lookup() -> pl.DataFrame:
    current = municipalities().select(
        pl.col("municipality_nis").alias("_nis_given"), pl.col("municipality_nis").alias("_nis")
    )
    merged = nis_crosswalk().select(
        pl.col("old_nis").alias("_nis_given"), pl.col("new_nis").alias("_nis")
    )
    provinces = municipalities().select(
        pl.col("municipality_nis").alias("_nis"), pl.col("province_nis").alias("_province")
    )
    both = pl.concat(
        [current, merged.filter(~pl.col("_nis_given").is_in(current["_nis_given"].to_list()))]
    )
    return both.join(provinces, on="_nis", how="left")


def _duplicate_lines(frame: pl.DataFrame) -> pl.DataFrame:
    """(file, record_id) → 'lines 3, 7' for ids that occur on several lines of one file."""
    return (
        # is_duplicated() is a cheap hash pass; only the few duplicated ids are grouped.
        frame.filter(
            pl.col("record_id").is_not_null() & pl.struct(FILE, "record_id").is_duplicated()
        )
        .group_by(FILE, "record_id")
        .agg(
            pl.col(LINE).sort().head(5).cast(pl.String).str.join(", ").alias("_dup_lines"),
            pl.len().alias("_n"),
        )
        .filter(pl.col("_n") > 1)
        .drop("_n")
    )


def _with_duplicate_lines(parsed: pl.LazyFrame, duplicates: pl.DataFrame) -> pl.LazyFrame:
    if duplicates.is_empty():  # the usual case: no join over every row for nothing
        return parsed.with_columns(pl.lit(None, dtype=pl.String).alias("_dup_lines"))
    return parsed.join(duplicates.lazy(), on=[FILE, "record_id"], how="left", maintain_order="left")


def _parse(frame: pl.DataFrame, duplicates: pl.DataFrame) -> pl.LazyFrame:
    """The raw text plus every parsed value and lookup the rules need."""
    return (
        frame.lazy()
        .with_columns(
            normalise("national_number").alias("_nn"),
            *_date_parsers(frame),
            pl.col("family_size")
            .str.replace(r"\.0+$", "")
            .cast(pl.Int64, strict=False)
            .alias("_family_size"),
        )
        .join(
            _nis_lookup().lazy(),
            left_on="municipality_nis",
            right_on="_nis_given",
            how="left",
            maintain_order="left",
        )
        .pipe(_with_duplicate_lines, duplicates)
        # Computed once and reused by several rules below.
        .with_columns(
            is_well_formed(pl.col("_nn")).alias("_nn_formed"),
            valid_before_2000(pl.col("_nn")).fill_null(False).alias("_nn_1900"),
            valid_from_2000(pl.col("_nn")).fill_null(False).alias("_nn_2000"),
            is_male_counter(pl.col("_nn")).alias("_nn_male"),
            encoded_birth_date(pl.col("_nn")).alias("_nn_birth"),
            pl.col("_birth_date").dt.strftime("%y%m%d").alias("_birth_yymmdd"),
            pl.col("_birth_date").dt.offset_by(f"{RETENTION_AGE}y").alias("_retention_until"),
        )
        .with_columns(
            pl.when(pl.col("_nn_formed") & (pl.col("_nn_1900") | pl.col("_nn_2000")))
            .then(pl.col("_nn"))
            .alias("_nn_valid")
        )
    )


def validate(frame: pl.DataFrame, key: PseudonymKey, today: date) -> Validation:
    """Check every row of one export; `today` bounds every date (no registrations from the future)."""
    return validate_files([frame], key, today)[0]


def validate_files(
    frames: Sequence[pl.DataFrame], key: PseudonymKey, today: date
) -> list[Validation]:
    """Check several exports at once, each as if alone (a duplicate record_id is one within a file).

    One polars query over all of them: planning the rules is a fixed cost per query, as large as
    checking a few thousand rows, and provider exports are often that small.
    """
    combined = pl.concat(
        [f.with_columns(pl.lit(i, dtype=pl.Int32).alias(FILE)) for i, f in enumerate(frames)],
        how="vertical_relaxed",
    )
    both = _checked(combined, key, today, _duplicate_lines(combined))
    accepted = _per_file(both.accepted, len(frames))
    rejected = _per_file(both.rejected, len(frames))
    return [Validation(a, r) for a, r in zip(accepted, rejected, strict=True)]


def validate_in_pieces(
    frame: pl.DataFrame,
    key: PseudonymKey,
    today: date,
    rows: int,
    run: Callable[[Callable[[pl.DataFrame], Validation], list[pl.DataFrame]], Iterable[Validation]],
) -> Validation:
    """One large export checked in pieces of `rows` rows, which `run` maps over side by side (a
    thread pool's map): the same result as `validate`, as the duplicate record_id check sees
    the whole file, but a single large file keeps both cores busy (hashing a piece holds the GIL
    while polars checks another)."""
    frame = frame.with_columns(pl.lit(0, dtype=pl.Int32).alias(FILE))
    duplicates = _duplicate_lines(frame)
    pieces = [frame.slice(start, rows) for start in range(0, frame.height, rows)]
    checked = list(run(lambda piece: _checked(piece, key, today, duplicates), pieces))
    return Validation(
        accepted=pl.concat([c.accepted for c in checked], how="vertical_relaxed").drop(FILE),
        rejected=pl.concat([c.rejected for c in checked], how="vertical_relaxed").drop(FILE),
    )


def _checked(
    frame: pl.DataFrame, key: PseudonymKey, today: date, duplicates: pl.DataFrame
) -> Validation:
    """Both sides keep the FILE column of `frame`; pseudonyms in place of the numbers."""
    both = _validate(frame, today, duplicates)
    # The normalised national number becomes the pseudonym here; it goes no further.
    return Validation(
        accepted=both.accepted.with_columns(key.pseudonymise(both.accepted["pseudonym"])),
        rejected=both.rejected.with_columns(key.pseudonymise(both.rejected["pseudonym"])),
    )


def _per_file(frame: pl.DataFrame, files: int) -> list[pl.DataFrame]:
    """The rows of each file, without FILE. Rows are still in file order (every step above keeps
    the order), so each file's rows are a slice: no copy, unlike partition_by."""
    if not frame[FILE].is_sorted():  # never seen; kept correct should a step stop keeping order
        frame = frame.sort(FILE, maintain_order=True)
    counts = frame.group_by(FILE).len()
    sizes = dict(zip(counts[FILE].to_list(), counts["len"].to_list(), strict=True))
    frame = frame.drop(FILE)
    slices, offset = [], 0
    for i in range(files):
        slices.append(frame.slice(offset, sizes.get(i, 0)))
        offset += sizes.get(i, 0)
    return slices


def _validate(frame: pl.DataFrame, today: date, duplicates: pl.DataFrame) -> Validation:
    """Both sides keep the FILE column of `frame`; `pseudonym` still holds the normalised number."""
    rules = checks(today)
    # Collected once; lazy from there, so each side reads only the columns it needs.
    parsed = (
        _parse(frame, duplicates).with_columns(any_rule_fires(rules).alias("_bad")).collect().lazy()
    )
    bad = pl.col("_bad")
    # Reasons are spelled out only for the (few) rejected rows.
    reasons = [(field, first_reason(field_rules)) for field, field_rules in rules]
    fields = pl.coalesce(
        [pl.when(reason.is_not_null()).then(pl.lit(field)) for field, reason in reasons]
    )
    problems = pl.concat_list(
        [pl.format("{}: {}", pl.lit(field), reason) for field, reason in reasons]
    )
    rejected = (
        parsed.filter(bad)
        .select(
            pl.col(LINE).alias("line"),
            pl.col("record_id").str.slice(0, 100),
            fields.alias("field"),
            pl.coalesce([reason for _, reason in reasons]).alias("reason"),
            problems.list.drop_nulls().list.join("; ").alias("problems"),
            pl.col("_nn_valid").alias("pseudonym"),
            pl.col("_retention_until").alias("retention_until"),
            pl.col(FILE),
        )
        .collect()
    )
    accepted = (
        parsed.filter(~bad)
        .select(
            "record_id",
            pl.col("_nn_valid").alias("pseudonym"),
            "programme",
            "partnership_id",
            pl.col("_nis").alias("municipality_nis"),
            pl.col("_province").alias("province_nis"),
            "sex",
            pl.col("_birth_date").dt.year().cast(pl.Int16).alias("birth_year"),
            _age_at(pl.col("_start_date")).cast(pl.Int16).alias("age_at_start"),
            "family_situation",
            pl.col("_family_size").cast(pl.Int16).alias("family_size"),
            "trajectory_type",
            pl.col("_referral_date").alias("referral_date"),
            pl.col("_start_date").alias("start_date"),
            pl.col("_end_date").alias("end_date"),
            "end_reason",
            "follow_up",
            pl.col("_retention_until").alias("retention_until"),
            pl.col(LINE).alias("source_line"),
            pl.col(FILE),
        )
        .collect()
    )
    return Validation(accepted=accepted, rejected=rejected)


def _age_at(when: pl.Expr) -> pl.Expr:
    birth = pl.col("_birth_date")
    not_yet = (when.dt.month() * 100 + when.dt.day()) < (birth.dt.month() * 100 + birth.dt.day())
    return when.dt.year() - birth.dt.year() - not_yet.cast(pl.Int32)
