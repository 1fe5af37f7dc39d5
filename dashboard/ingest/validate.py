"""Validate every field of registration format v1, a whole column at a time, and split the rows.

Each check is a polars expression giving a reason (text) or null. A row with any reason is
rejected; the first failing field and its reason are kept, with the list of all problems. Reasons
never repeat an identifying value (names, national number, address, birth date); a code that is
not on its list is echoed only when it looks like a code, so a name typed into the wrong column
cannot end up in the rejects table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import polars as pl

from dashboard.ingest import national_number as nn
from dashboard.ingest.format_v1 import MAX_FAMILY_SIZE, MIN_FAMILY_SIZE, RETENTION_AGE
from dashboard.ingest.pseudonymise import PseudonymKey
from dashboard.ingest.readers import LINE, RAGGED
from dashboard.reference import codes, municipalities, nis_crosswalk, partnerships

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's 1900 date system, as serial numbers count from it
_SAFE_ECHO = r"^[A-Za-z0-9_+\-]{1,30}$"

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
    "pseudonym",
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


def _echo(column: str) -> pl.Expr:
    value = pl.col(column)
    return (
        pl.when(value.str.contains(_SAFE_ECHO))
        .then(pl.format("'{}'", value))
        .otherwise(pl.lit("(value not shown)"))
    )


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
    """record_id → 'lines 3, 7' for ids that occur on several lines of this file."""
    return (
        # is_duplicated() is a cheap hash pass; only the few duplicated ids are grouped.
        frame.filter(pl.col("record_id").is_not_null() & pl.col("record_id").is_duplicated())
        .group_by("record_id")
        .agg(
            pl.col(LINE).sort().head(5).cast(pl.String).str.join(", ").alias("_dup_lines"),
            pl.len().alias("_n"),
        )
        .filter(pl.col("_n") > 1)
        .drop("_n")
    )


def validate(frame: pl.DataFrame, key: PseudonymKey, today: date) -> Validation:
    """Check every row of one export; `today` bounds every date (no registrations from the future)."""
    number = nn.normalise("national_number")
    dates = ("birth_date", "referral_date", "start_date", "end_date")
    parsed = (
        frame.lazy()
        .with_columns(
            number.alias("_nn"),
            *(parse_date(c).alias(f"_{c}") for c in dates),
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
        .join(_duplicate_lines(frame).lazy(), on="record_id", how="left", maintain_order="left")
        # Computed once and reused by several rules below.
        .with_columns(
            nn.is_well_formed(pl.col("_nn")).alias("_nn_formed"),
            nn.valid_before_2000(pl.col("_nn")).fill_null(False).alias("_nn_1900"),
            nn.valid_from_2000(pl.col("_nn")).fill_null(False).alias("_nn_2000"),
            nn.is_male_counter(pl.col("_nn")).alias("_nn_male"),
            nn.encoded_birth_date(pl.col("_nn")).alias("_nn_birth"),
        )
        .with_columns(
            pl.when(pl.col("_nn_formed") & (pl.col("_nn_1900") | pl.col("_nn_2000")))
            .then(pl.col("_nn"))
            .alias("_nn_valid")
        )
        .collect()
    )
    parsed = key.pseudonymise(parsed, "_nn_valid")
    checks = _checks(today)
    fields = pl.coalesce(
        [pl.when(reason.is_not_null()).then(pl.lit(field)) for field, reason in checks]
    )
    parsed = parsed.with_columns(
        fields.alias("_field"),
        _age_at(pl.col("_start_date")).alias("_age_at_start"),
        pl.col("_birth_date").dt.offset_by(f"{RETENTION_AGE}y").alias("_retention_until"),
    )
    # Reasons are spelled out only for the (few) rejected rows.
    first_reason = pl.coalesce([reason for _, reason in checks])
    problems = pl.concat_list(
        [pl.format("{}: {}", pl.lit(field), reason) for field, reason in checks]
    )
    bad = pl.col("_field").is_not_null()
    rejected = parsed.filter(bad).select(
        pl.col(LINE).alias("line"),
        pl.col("record_id").str.slice(0, 100),
        pl.col("_field").alias("field"),
        first_reason.alias("reason"),
        problems.list.drop_nulls().list.join("; ").alias("problems"),
        pl.col("pseudonym"),
        pl.col("_retention_until").alias("retention_until"),
    )
    accepted = parsed.filter(~bad).select(
        "record_id",
        "pseudonym",
        "programme",
        "partnership_id",
        pl.col("_nis").alias("municipality_nis"),
        pl.col("_province").alias("province_nis"),
        "sex",
        pl.col("_birth_date").dt.year().cast(pl.Int16).alias("birth_year"),
        pl.col("_age_at_start").cast(pl.Int16).alias("age_at_start"),
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
    )
    return Validation(accepted=accepted, rejected=rejected)


def _age_at(when: pl.Expr) -> pl.Expr:
    birth = pl.col("_birth_date")
    not_yet = (when.dt.month() * 100 + when.dt.day()) < (birth.dt.month() * 100 + birth.dt.day())
    return when.dt.year() - birth.dt.year() - not_yet.cast(pl.Int32)


Rule = tuple[pl.Expr, pl.Expr | str]  # (row is wrong when, reason)


def _first(*rules: Rule) -> pl.Expr:
    """The reason of the first rule that fires, else null."""
    chain = None
    for condition, reason in rules:
        message = pl.lit(reason) if isinstance(reason, str) else reason
        chain = (
            pl.when(condition).then(message)
            if chain is None
            else chain.when(condition).then(message)
        )
    return chain.otherwise(None)


def _code_rules(column: str, allowed: tuple[str, ...], *, required: bool = True) -> list[Rule]:
    value = pl.col(column)
    unknown = pl.format("unknown code {} (allowed: {})", _echo(column), pl.lit(", ".join(allowed)))
    rules: list[Rule] = [(value.is_null(), "required")] if required else []
    return [*rules, (value.is_not_null() & ~value.is_in(list(allowed)), unknown)]


def _date_rules(column: str, today: date, *, required: bool) -> list[Rule]:
    given, parsed = pl.col(column), pl.col(f"_{column}")
    rules: list[Rule] = [(given.is_null(), "required")] if required else []
    return [
        *rules,
        (given.is_not_null() & parsed.is_null(), "not a valid date (use YYYY-MM-DD or DD/MM/YYYY)"),
        (parsed > pl.lit(today), "lies in the future"),
    ]


@cache
def _checks(today: date) -> list[tuple[str, pl.Expr]]:
    """(field, reason-or-null) in the order a provider reads the row."""
    col = pl.col
    formed, rule_1900, rule_2000 = col("_nn_formed"), col("_nn_1900"), col("_nn_2000")
    birth, start, end = col("_birth_date"), col("_start_date"), col("_end_date")
    is_1g1p = col("programme") == "1g1p"
    has_birth = birth.is_not_null()
    male_counter = col("_nn_male")
    ended, reason_given = col("end_date").is_not_null(), col("end_reason").is_not_null()
    return [
        ("line", col(RAGGED)),
        (
            "record_id",
            _first(
                (col("record_id").is_null(), "required"),
                (col("record_id").str.len_chars() > 100, "longer than 100 characters"),
                (
                    col("_dup_lines").is_not_null(),
                    pl.format(
                        "the same record_id occurs on several lines of this file (lines {}); "
                        "send one row per registration and corrections in a later file",
                        col("_dup_lines"),
                    ),
                ),
            ),
        ),
        ("programme", _first(*_code_rules("programme", codes("programme")))),
        (
            "partnership_id",
            _first(
                (is_1g1p & col("partnership_id").is_null(), "required for programme 1g1p"),
                (
                    is_1g1p & ~col("partnership_id").is_in(list(partnerships()["partnership_id"])),
                    pl.format("unknown partnership {} (allowed: P01–P16)", _echo("partnership_id")),
                ),
                (
                    (col("programme") == "other_youth_care") & col("partnership_id").is_not_null(),
                    "must be empty for programme other_youth_care",
                ),
            ),
        ),
        (
            "national_number",
            _first(
                (col("national_number").is_null(), "required"),
                (~formed, "must have 11 digits (dots, dash and spaces allowed)"),
                (
                    ~(rule_1900 | rule_2000),
                    "check digits are wrong",
                ),
                (
                    has_birth & (col("_nn_birth") != birth.dt.strftime("%y%m%d")),
                    "does not agree with birth_date",
                ),
                (
                    has_birth & (birth.dt.year() >= 2000) & ~rule_2000,
                    "check digits follow the rule for births before 2000, but birth_date is in 2000 or later",
                ),
                (
                    has_birth & (birth.dt.year() < 2000) & ~rule_1900,
                    "check digits follow the rule for births from 2000, but birth_date is before 2000",
                ),
            ),
        ),
        ("last_name", _first((col("last_name").is_null(), "required"))),
        ("first_name", _first((col("first_name").is_null(), "required"))),
        (
            "birth_date",
            _first(
                *_date_rules("birth_date", today, required=True),
                (
                    pl.lit(today) >= birth.dt.offset_by(f"{RETENTION_AGE}y"),
                    f"the person is {RETENTION_AGE} or older: BINC keeps data only until age {RETENTION_AGE}",
                ),
                (start.is_not_null() & (birth >= start), "must be before start_date"),
            ),
        ),
        (
            "sex",
            _first(
                *_code_rules("sex", codes("sex")),
                (
                    formed
                    & (
                        ((col("sex") == "M") & ~male_counter) | ((col("sex") == "V") & male_counter)
                    ),
                    "does not agree with the national number (odd counter = M, even = V)",
                ),
            ),
        ),
        (
            "postal_code",
            _first(
                (
                    col("postal_code").is_not_null() & ~col("postal_code").str.contains(r"^\d{4}$"),
                    "must be 4 digits",
                )
            ),
        ),
        (
            "municipality_nis",
            _first(
                (col("municipality_nis").is_null(), "required"),
                (
                    col("_nis").is_null(),
                    pl.format(
                        "unknown NIS code {} (use the 2025 code of a Flemish or Brussels municipality)",
                        _echo("municipality_nis"),
                    ),
                ),
            ),
        ),
        ("family_situation", _first(*_code_rules("family_situation", codes("family_situation")))),
        (
            "family_size",
            _first(
                (col("family_size").is_null(), "required"),
                (
                    ~col("_family_size")
                    .is_between(MIN_FAMILY_SIZE, MAX_FAMILY_SIZE)
                    .fill_null(False),
                    f"must be a whole number from {MIN_FAMILY_SIZE} to {MAX_FAMILY_SIZE}",
                ),
            ),
        ),
        ("trajectory_type", _first(*_code_rules("trajectory_type", codes("trajectory_type")))),
        (
            "referral_date",
            _first(
                *_date_rules("referral_date", today, required=False),
                (col("_referral_date") > start, "must not be after start_date"),
            ),
        ),
        ("start_date", _first(*_date_rules("start_date", today, required=True))),
        (
            "end_date",
            _first(
                *_date_rules("end_date", today, required=False),
                (end < start, "must not be before start_date"),
            ),
        ),
        (
            "end_reason",
            _first(
                (ended & ~reason_given, "required when end_date is set"),
                (
                    ~ended & reason_given,
                    "must be empty while the trajectory is ongoing (no end_date)",
                ),
                *_code_rules("end_reason", codes("end_reason"), required=False),
            ),
        ),
        (
            "follow_up",
            _first(
                (
                    ~ended & col("follow_up").is_not_null(),
                    "only allowed when the trajectory has ended",
                ),
                *_code_rules("follow_up", codes("follow_up"), required=False),
            ),
        ),
    ]
