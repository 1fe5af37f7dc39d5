"""Belgian national register numbers (rijksregisternummer), checked as whole columns.

Layout YYMMDD SSS CC: a birth date, a daily counter (odd = male, even = female) and check digits
CC = 97 − (YYMMDDSSS mod 97); for births from 2000 on, a 2 is put in front of the nine digits
first. The century is only knowable from which rule the check digits follow, so a number is
checked against its birth date: a 2010 child with check digits of the pre-2000 rule is wrong.
(`stdnum.be.nn` implements the same rules one value at a time; the tests compare against it.)
"""

from __future__ import annotations

from typing import Any

import polars as pl

_SEPARATORS = r"[.\-\s/]"
# For births from 2000 on, a 2 is put in front of the nine digits before taking the remainder.
FROM_2000 = 2_000_000_000


def check_digits(first_nine: Any, born_from_2000: Any) -> Any:
    """The check digits 97 − ((2 × 10⁹ if born from 2000) + YYMMDDSSS) mod 97: the one rule, for a
    polars expression (validation) or numpy arrays (the synthetic generator) alike."""
    return 97 - (first_nine + FROM_2000 * born_from_2000) % 97


def normalise(column: str) -> pl.Expr:
    """Digits only; a 10-digit value regains the leading zero that spreadsheets drop (2000–2009 births)."""
    # A spreadsheet may show the number as a float ("15031212376.0"): drop that tail before the
    # separators, whose dots would otherwise swallow it into the digits.
    digits = pl.col(column).str.replace(r"\.0+$", "").str.replace_all(_SEPARATORS, "")
    return pl.when(digits.str.contains(r"^\d{10}$")).then("0" + digits).otherwise(digits)


def is_well_formed(normalised: pl.Expr) -> pl.Expr:
    return normalised.str.contains(r"^\d{11}$")


def _first_nine(normalised: pl.Expr) -> pl.Expr:
    return normalised.str.slice(0, 9).cast(pl.Int64, strict=False)


def _check_digits(normalised: pl.Expr) -> pl.Expr:
    return normalised.str.slice(9, 2).cast(pl.Int64, strict=False)


def valid_before_2000(normalised: pl.Expr) -> pl.Expr:
    return check_digits(_first_nine(normalised), 0) == _check_digits(normalised)


def valid_from_2000(normalised: pl.Expr) -> pl.Expr:
    return check_digits(_first_nine(normalised), 1) == _check_digits(normalised)


def encoded_birth_date(normalised: pl.Expr) -> pl.Expr:
    """YYMMDD as written in the number (century not included)."""
    return normalised.str.slice(0, 6)


def is_male_counter(normalised: pl.Expr) -> pl.Expr:
    return normalised.str.slice(6, 3).cast(pl.Int64, strict=False) % 2 == 1
