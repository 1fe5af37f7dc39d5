"""The rules of registration format v1, as polars expressions over a parsed export.

Each field has an ordered list of rules `(row is wrong when, reason)`. Validation evaluates only the
conditions for every row (cheap booleans) and spells out reasons only for the rows that fail, so a
mostly valid file never pays for formatting messages. Reasons never repeat an identifying value; a
code that is not on its list is echoed only when it looks like a code.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from binc.core.format_v1 import MAX_FAMILY_SIZE, MIN_FAMILY_SIZE, RETENTION_AGE
from binc.core.reference import codes, partnerships
from binc.ingest.readers import RAGGED

_SAFE_ECHO = r"^[A-Za-z0-9_+\-]{1,30}$"

Rule = tuple[pl.Expr, pl.Expr | str]  # (row is wrong when, reason)
FieldRules = tuple[str, list[Rule]]


def _echo(column: str) -> pl.Expr:
    value = pl.col(column)
    return (
        pl.when(value.str.contains(_SAFE_ECHO))
        .then(pl.format("'{}'", value))
        .otherwise(pl.lit("(value not shown)"))
    )


def first_reason(rules: list[Rule]) -> pl.Expr:
    """The reason of the first rule that fires, else null."""
    (condition, reason), *others = rules
    chain: Then | ChainedThen = pl.when(condition).then(_message(reason))
    for condition, reason in others:
        chain = chain.when(condition).then(_message(reason))
    return chain.otherwise(None)


def _message(reason: pl.Expr | str) -> pl.Expr:
    return pl.lit(reason) if isinstance(reason, str) else reason


def any_rule_fires(checks: list[FieldRules]) -> pl.Expr:
    """True when some rule fires; a null condition does not fire, exactly as in `first_reason`."""
    return pl.any_horizontal(
        [condition.fill_null(False) for _, rules in checks for condition, _ in rules]
    )


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
def checks(today: date) -> list[FieldRules]:
    """(field, rules) in the order a provider reads the row."""
    col = pl.col
    formed, rule_1900, rule_2000 = col("_nn_formed"), col("_nn_1900"), col("_nn_2000")
    birth, start, end = col("_birth_date"), col("_start_date"), col("_end_date")
    is_1g1p = col("programme") == "1g1p"
    has_birth = birth.is_not_null()
    male_counter = col("_nn_male")
    ended, reason_given = col("end_date").is_not_null(), col("end_reason").is_not_null()
    return [
        ("line", [(col(RAGGED).is_not_null(), col(RAGGED))]),
        (
            "record_id",
            [
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
            ],
        ),
        ("programme", _code_rules("programme", codes("programme"))),
        (
            "partnership_id",
            [
                (is_1g1p & col("partnership_id").is_null(), "required for programme 1g1p"),
                (
                    is_1g1p & ~col("partnership_id").is_in(list(partnerships()["partnership_id"])),
                    pl.format("unknown partnership {} (allowed: P01–P16)", _echo("partnership_id")),
                ),
                (
                    (col("programme") == "other_youth_care") & col("partnership_id").is_not_null(),
                    "must be empty for programme other_youth_care",
                ),
            ],
        ),
        (
            "national_number",
            [
                (col("national_number").is_null(), "required"),
                (~formed, "must have 11 digits (dots, dash and spaces allowed)"),
                (~(rule_1900 | rule_2000), "check digits are wrong"),
                (
                    has_birth & (col("_nn_birth") != col("_birth_yymmdd")),
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
            ],
        ),
        ("last_name", [(col("last_name").is_null(), "required")]),
        ("first_name", [(col("first_name").is_null(), "required")]),
        (
            "birth_date",
            [
                *_date_rules("birth_date", today, required=True),
                (
                    pl.lit(today) >= col("_retention_until"),
                    f"the person is {RETENTION_AGE} or older: BINC keeps data only until age {RETENTION_AGE}",
                ),
                (start.is_not_null() & (birth >= start), "must be before start_date"),
            ],
        ),
        (
            "sex",
            [
                *_code_rules("sex", codes("sex")),
                (
                    formed
                    & (
                        ((col("sex") == "M") & ~male_counter) | ((col("sex") == "V") & male_counter)
                    ),
                    "does not agree with the national number (odd counter = M, even = V)",
                ),
            ],
        ),
        (
            "postal_code",
            [
                (
                    col("postal_code").is_not_null() & ~col("postal_code").str.contains(r"^\d{4}$"),
                    "must be 4 digits",
                )
            ],
        ),
        (
            "municipality_nis",
            [
                (col("municipality_nis").is_null(), "required"),
                (
                    col("_nis").is_null(),
                    pl.format(
                        "unknown NIS code {} (use the 2025 code of a Flemish or Brussels municipality)",
                        _echo("municipality_nis"),
                    ),
                ),
            ],
        ),
        ("family_situation", _code_rules("family_situation", codes("family_situation"))),
        (
            "family_size",
            [
                (col("family_size").is_null(), "required"),
                (
                    ~col("_family_size")
                    .is_between(MIN_FAMILY_SIZE, MAX_FAMILY_SIZE)
                    .fill_null(False),
                    f"must be a whole number from {MIN_FAMILY_SIZE} to {MAX_FAMILY_SIZE}",
                ),
            ],
        ),
        ("trajectory_type", _code_rules("trajectory_type", codes("trajectory_type"))),
        (
            "referral_date",
            [
                *_date_rules("referral_date", today, required=False),
                (col("_referral_date") > start, "must not be after start_date"),
            ],
        ),
        ("start_date", _date_rules("start_date", today, required=True)),
        (
            "end_date",
            [
                *_date_rules("end_date", today, required=False),
                (end < start, "must not be before start_date"),
            ],
        ),
        (
            "end_reason",
            [
                (ended & ~reason_given, "required when end_date is set"),
                (
                    ~ended & reason_given,
                    "must be empty while the trajectory is ongoing (no end_date)",
                ),
                *_code_rules("end_reason", codes("end_reason"), required=False),
            ],
        ),
        (
            "follow_up",
            [
                (
                    ~ended & col("follow_up").is_not_null(),
                    "only allowed when the trajectory has ended",
                ),
                *_code_rules("follow_up", codes("follow_up"), required=False),
            ],
        ),
    ]
