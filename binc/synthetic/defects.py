"""Imperfect providers: corrections re-sent in a later file, and rows with one deliberate defect.

Ingest must replace a corrected record and reject each defective row with a clear reason, so
every defect here breaks exactly one rule of registration format v1 (docs/design.md §5) and leaves the
rest of the row valid. `_defect` / `_correction` name what was done, for tests; they are not
written to the exports.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from binc.synthetic import draws
from binc.synthetic.recipe import Recipe
from binc.synthetic.registrations import FILE, START_YEAR, file_stem

DEFECT, CORRECTION = "_defect", "_correction"
DEFECTS = (
    "check_digits",  # national number with wrong check digits
    "number_not_birth_date",  # national number does not agree with birth_date
    "rule_1900",  # pre-2000 check digits for a child born in 2000 or later
    "end_before_start",
    "start_before_birth",
    "future_date",  # an end date decades after the export date (a typed year)
    "unknown_code",
    "missing_field",
    "family_size",  # 0 or 25
    "end_reason_without_end",
    "unknown_municipality",
)
CORRECTIONS = ("end_registered", "family_size", "trajectory_type")
MISSING_FIELDS = (
    "first_name",
    "last_name",
    "national_number",
    "start_date",
    "trajectory_type",
    "municipality_nis",
    "family_size",
    "sex",
)


def _pick(rng: np.random.Generator, eligible: np.ndarray, share: float, total: int) -> np.ndarray:
    wanted = min(len(eligible), round(share * total))
    return np.sort(rng.choice(eligible, size=wanted, replace=False))


def _labels(name: str, n: int, rows: np.ndarray, values: np.ndarray) -> pl.Series:
    """Text column, null except `values` at `rows`."""
    empty = pl.repeat(None, n, dtype=pl.String, eager=True).alias(name)
    return empty.scatter(rows, pl.Series(values, dtype=pl.String)) if len(rows) else empty


def add_corrections(recipe: Recipe, frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Rows sent once with a mistake (or before the end was known), then corrected a year later.

    The correction carries the true values, so the warehouse ends up with the truth.
    """
    rng = draws.stream(seed, "corrections")
    n = frame.height
    eligible = np.flatnonzero(frame[START_YEAR].to_numpy() < recipe.last_year)
    rows = _pick(rng, eligible, recipe.correction_share, n)
    ended = frame["end_date"].is_not_null().to_numpy()[rows]
    kind = np.where(ended, rng.integers(0, 3, len(rows)), rng.integers(1, 3, len(rows)))
    step = np.zeros(n, dtype=np.int64)
    step[rows] = rng.integers(1, 5, len(rows))
    types = list(recipe.trajectory_types)
    frame = frame.with_columns(
        _labels(CORRECTION, n, rows, np.array(CORRECTIONS)[kind]), pl.Series("_step", step)
    )
    correction_rows = frame.filter(pl.col(CORRECTION).is_not_null()).with_columns(
        file_stem(pl.col(START_YEAR) + 1, pl.col("programme"), pl.col("partnership_id")).alias(FILE)
    )
    kind_is = pl.col(CORRECTION).eq
    wrong_type_index = (
        pl.col("trajectory_type").replace_strict(types, list(range(len(types)))) + pl.col("_step")
    ) % len(types)
    originals = frame.with_columns(
        pl.when(kind_is("end_registered")).then(None).otherwise(c).name.keep()
        for c in ("end_date", "end_reason", "follow_up")
    ).with_columns(
        pl.when(kind_is("family_size"))
        .then(
            pl.when(pl.col("family_size") > 2)
            .then(pl.col("family_size") - 1)
            .otherwise(pl.col("family_size") + pl.col("_step"))
        )
        .otherwise("family_size")
        .alias("family_size"),
        pl.when(kind_is("trajectory_type"))
        .then(wrong_type_index.replace_strict(list(range(len(types))), types))
        .otherwise("trajectory_type")
        .alias("trajectory_type"),
        # The first version is no correction; the flag marks the row that replaces it.
        pl.when(pl.col(CORRECTION).is_not_null()).then(pl.lit("original")).alias(CORRECTION),
    )
    return pl.concat([originals, correction_rows]).drop("_step")


def _check_digits(first_nine: pl.Expr, rule_2000: bool) -> pl.Expr:
    return 97 - (first_nine + (2_000_000_000 if rule_2000 else 0)) % 97


def _number(first_nine_text: pl.Expr, check: pl.Expr) -> pl.Expr:
    return first_nine_text + check.cast(pl.String).str.zfill(2)


def add_defects(recipe: Recipe, frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """About `invalid_share` of rows get one defect each (never a row involved in a correction)."""
    rng = draws.stream(seed, "defects")
    n = frame.height
    eligible = np.flatnonzero(frame[CORRECTION].is_null().to_numpy())
    rows = _pick(rng, eligible, recipe.invalid_share, n)
    frame = frame.with_columns(
        _labels(DEFECT, n, rows, np.array(DEFECTS)[rng.integers(0, len(DEFECTS), len(rows))])
    )
    # Only the chosen rows are rewritten; the row order is restored by the caller's sort.
    # (A precomputed mask filters a wide frame far faster than an expression does.)
    chosen = np.zeros(n, dtype=bool)
    chosen[rows] = True
    sound, frame = frame.filter(pl.Series(~chosen)), frame.filter(pl.Series(chosen))
    # _variant picks the field or value within a kind (840 is divisible by every variant count);
    # _shift is how many days a moved date moves.
    frame = frame.with_columns(
        pl.Series("_variant", rng.integers(0, 840, frame.height)),
        pl.Series("_shift", rng.integers(1, 61, frame.height)),
    )
    # Only a child born in 2000 or later can carry the wrong (pre-2000) rule.
    frame = frame.with_columns(
        pl.when((pl.col(DEFECT) == "rule_1900") & (pl.col("birth_date").dt.year() < 2000))
        .then(pl.lit("check_digits"))
        .otherwise(DEFECT)
        .alias(DEFECT)
    )
    col, is_ = pl.col, pl.col(DEFECT).eq
    variant = col("_variant")
    missing = {f: is_("missing_field") & (variant % len(MISSING_FIELDS) == i) for i, f in enumerate(MISSING_FIELDS)}  # fmt: skip
    first_nine_text = col("national_number").str.slice(0, 9)
    first_nine = first_nine_text.cast(pl.Int64)
    given = col("national_number").str.slice(9, 2).cast(pl.Int64)
    wrong = (given + 3) % 100
    wrong = (
        pl.when((wrong == _check_digits(first_nine, False)) | (wrong == _check_digits(first_nine, True)))
        .then((given + 5) % 100)
        .otherwise(wrong)
    )  # fmt: skip
    shift = pl.duration(days=col("_shift"))
    ended = col("end_date").is_not_null()
    # 2050–2059 for the default export date (2026): the decade starting 21–30 years after it.
    future_decade = (recipe.export_date.year // 10 + 3) * 10
    typed_year = col("end_date").fill_null(col("start_date")).dt.year() % 10 + future_decade
    base = col("end_date").fill_null(col("start_date"))
    future = pl.date(typed_year, base.dt.month(), pl.min_horizontal(base.dt.day(), 28))

    def keep_unless(name: str, *rules: tuple[pl.Expr, pl.Expr | None]) -> pl.Expr:
        chain: Then | ChainedThen | None = None
        for condition, value in rules:
            value = pl.lit(None) if value is None else value
            chain = (
                pl.when(condition).then(value)
                if chain is None
                else chain.when(condition).then(value)
            )
        if chain is None:
            raise ValueError(f"keep_unless({name!r}) needs at least one rule")
        return chain.otherwise(col(name)).alias(name)

    broken = frame.with_columns(
        keep_unless(
            "national_number",
            (is_("check_digits"), _number(first_nine_text, wrong)),
            (is_("rule_1900"), _number(first_nine_text, _check_digits(first_nine, False))),
            (missing["national_number"], None),
        ),
        keep_unless("birth_date", (is_("number_not_birth_date"), col("birth_date") - shift)),
        keep_unless(
            "start_date",
            (is_("start_before_birth"), col("birth_date") - shift),
            (missing["start_date"], None),
        ),
        keep_unless("referral_date", (is_("start_before_birth"), None)),
        keep_unless(
            "end_date",
            (is_("end_before_start"), col("start_date") - shift),
            (is_("future_date"), future),
            (is_("end_reason_without_end"), None),
        ),
        keep_unless(
            "end_reason",
            (
                is_("end_before_start") | is_("future_date") | is_("end_reason_without_end"),
                col("end_reason").fill_null(pl.lit("family_withdrew")),
            ),
        ),
        keep_unless("follow_up", (is_("end_reason_without_end") & ended, None)),
        keep_unless(
            "trajectory_type",
            (is_("unknown_code") & (variant % 3 == 0), pl.lit("coaching")),
            (missing["trajectory_type"], None),
        ),
        keep_unless(
            "family_situation", (is_("unknown_code") & (variant % 3 == 1), pl.lit("eenoudergezin"))
        ),
        keep_unless(
            "sex", (is_("unknown_code") & (variant % 3 == 2), pl.lit("F")), (missing["sex"], None)
        ),
        keep_unless(
            "family_size",
            (is_("family_size"), pl.when(variant % 2 == 0).then(0).otherwise(25)),
            (missing["family_size"], None),
        ),
        keep_unless(
            "municipality_nis",
            (
                is_("unknown_municipality"),
                pl.when(variant % 2 == 0).then(pl.lit("11999")).otherwise(pl.lit("62063")),
            ),
            (missing["municipality_nis"], None),
        ),
        keep_unless("first_name", (missing["first_name"], None)),
        keep_unless("last_name", (missing["last_name"], None)),
    ).drop("_variant", "_shift")
    return pl.concat([sound, broken])
