"""Synthetic national register numbers built from the birth date and a daily counter.

Faker's ssn() draws its own birth date, so numbers are built here instead (docs/domain.md §3):
YYMMDD + counter (odd = male, even = female) + check digits 97 − (n mod 97), with a 2 in front
of the nine digits for births from 2000 on. Counters are handed out per birth date and sex like
the register does, which also makes every number unique.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from binc.core.national_number import check_digits

MAX_COUNTER_RANK = 499  # odd 001–997 / even 002–998: 499 numbers per day and sex
_EPOCH = np.datetime64("1970-01-01", "D")


def _rank_within(keys: np.ndarray) -> np.ndarray:
    """0, 1, … among rows with equal key, in row order."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    positions = np.arange(len(keys))
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(starts, positions, 0))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = positions - first
    return rank


def assign_counters(birth_days: np.ndarray, odd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(birth days, counters): sequential per day and parity; a full day moves the rest a day earlier.

    Moving earlier keeps every birth before the child's first start. At the default scale no day
    is ever full; at millions of children a few busy days spill over.
    """
    birth_days = birth_days.astype(np.int64).copy()
    parity = odd.astype(np.int64)
    while True:
        rank = _rank_within(birth_days * 2 + parity)
        full = rank >= MAX_COUNTER_RANK
        if not full.any():
            break
        birth_days[full] -= 1
    return birth_days, 2 * rank + np.where(odd, 1, 2)


def birth_parts(birth_days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) arrays of day numbers."""
    dates = _EPOCH + birth_days.astype("timedelta64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    return years, months, days


def national_numbers(birth_days: np.ndarray, counters: np.ndarray) -> pl.Series:
    """11-digit numbers (text) following the check-digit rule of each birth year."""
    years, months, days = birth_parts(birth_days)
    first_nine = ((years % 100) * 10_000 + months * 100 + days) * 1000 + counters
    digits = first_nine * 100 + check_digits(first_nine, (years >= 2000).astype(np.int64))
    return pl.Series("national_number", digits).cast(pl.String).str.zfill(11)
