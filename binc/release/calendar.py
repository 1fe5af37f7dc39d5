"""The publication calendar: definitive figures per closed start year, provisional ones in between.

A start year is *open* until its public closing date (`closing_day` of the year `closing_lag_years`
after it: 30 June two years later, when nearly all its trajectories have ended) and *closed* from
that day on. A calendar release (config `[calendar]`):
- measures a closed start year once, with the table's full budget: its **definitive** figures;
  every later release carries them forward unchanged (the same noisy counts and estimates: no new
  budget, identical numbers), taken from the previous release's file;
- measures an open start year with `provisional_share` × the table's budget: **provisional**
  figures, at most `provisional_releases` times; after that, later releases carry the last
  provisional figures forward until the year closes;
- a **correction release** (`binc release --correct YEAR`) measures a closed year's definitive
  figures again, with the full budget, recorded in the ledger as phase "correction" (it adds to
  what that start year got, so to the per-child bound) and named in the release notes; later
  releases carry the corrected figures forward.
Registrations that arrive for a closed start year enter none of its figures (they are frozen): each
release counts the kept trajectories of closed years first ingested since the ledger's last
release (`ingest_watermark`) with `late_share` of the release's total, publishes that count per
start year like every count (noisy, interval, hidden below k) and names it in its notes. Each
trajectory enters at most one such count, so it costs a child at most one `late_share`.
Each calendar release states what changed since the previous one (`release_notes`): start years
with their first figures, years that became definitive, provisional figures measured again, and
corrections.
The ledger (binc/release/ledger.py) records each slice with its phase and refuses a second
definitive measurement; its per-child bound makes the lifetime loss of a child at most what one
start year gets over its life: `per_child_budget` below, before the release is built.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from binc.core.errors import UserError

DEFINITIVE = "definitive"
PROVISIONAL = "provisional"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip


@dataclass(frozen=True)
class Calendar:
    closing_lag_years: int  # a start year closes in the year this many years after it
    closing_month: int
    closing_day: int
    provisional_share: float  # of each table's budget, per provisional measurement
    provisional_releases: int  # at most this many provisional measurements of a start year
    late_share: float  # of the release's total, for the late registrations of closed years

    def closes(self, year: int) -> date:
        """The day start year `year` closes (its definitive figures can be measured from then)."""
        return date(year + self.closing_lag_years, self.closing_month, self.closing_day)

    def phase(self, year: int, as_of: date) -> str:
        return DEFINITIVE if as_of >= self.closes(year) else PROVISIONAL

    def provisional_budget(self, budget: float) -> float:
        """A table's budget (ε or ρ) for one provisional measurement of an open start year."""
        return budget * self.provisional_share

    def per_child_budget(self, tables: float, budget_total: float) -> float:
        """The per-child lifetime bound of this calendar (ε, or ρ for zCDP), for tables whose
        budgets add up to `tables` in releases of `budget_total`: every start year gets one
        definitive and up to `provisional_releases` provisional measurements over its life, and a
        child's loss is at most what one start year gets (binc/release/ledger.py); plus one late
        count (`late_share` of the total: each trajectory enters at most one)."""
        schedule = tables + self.provisional_releases * self.provisional_budget(tables)
        return schedule + budget_total * self.late_share

    def text(self) -> str:
        """The rule in a sentence (English; the method page has its own words per language)."""
        return (
            f"a start year closes on {self.closing_day} {MONTHS[self.closing_month - 1]} "
            f"{self.closing_lag_years} year(s) after it; then it is measured once (definitive "
            f"figures, carried forward unchanged); before, at most {self.provisional_releases} "
            f"times with {self.provisional_share:g} of the budget (provisional figures); late "
            f"registrations of closed years are counted with {self.late_share:g} of it"
        )

    def as_metadata(self) -> dict[str, Any]:
        return {
            "closing": self.text(),
            "closing_lag_years": self.closing_lag_years,
            "closing_day": f"{self.closing_month:02d}-{self.closing_day:02d}",
            "provisional_share": self.provisional_share,
            "provisional_releases": self.provisional_releases,
            "late_share": self.late_share,
        }


def parse_calendar(raw: Mapping[str, Any], path: Path) -> Calendar | None:
    """The `[calendar]` section, or None when the config has none (every release then measures
    every start year again with the full budget)."""
    section = raw.get("calendar")
    if section is None:
        return None

    def fail(field: str, message: str) -> UserError:
        return UserError(f"{path}: [calendar] {field}: {message}")

    if not isinstance(section, Mapping):
        raise fail("", "must be a table of closing_lag_years, closing_day, provisional_share, "
                   "provisional_releases and late_share")  # fmt: skip
    allowed = (
        "closing_lag_years",
        "closing_day",
        "provisional_share",
        "provisional_releases",
        "late_share",
    )
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise fail(unknown[0], f"unknown field; allowed: {', '.join(allowed)}")
    for name in allowed:
        if name not in section:
            raise fail(name, "missing (e.g. closing_lag_years = 2, closing_day = \"06-30\", "
                       "provisional_share = 0.4, provisional_releases = 10, late_share = 0.2)")  # fmt: skip
    lag = section["closing_lag_years"]
    if not isinstance(lag, int) or isinstance(lag, bool) or not 0 <= lag <= 10:
        raise fail("closing_lag_years", f"{lag!r} is not a whole number of years from 0 to 10")
    day_text = section["closing_day"]
    try:
        month, day = (int(part) for part in str(day_text).split("-"))
        date(2001, month, day)  # not 29 February: every year has the day
    except ValueError:
        raise fail(
            "closing_day", f'{day_text!r} is not a day of the year as MM-DD, e.g. "06-30"'
        ) from None
    fractions = {}
    for name in ("provisional_share", "late_share"):
        value = section[name]
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not (math.isfinite(value) and 0 < value <= 1)
        ):
            raise fail(name, f"{value!r} is not a fraction of the budget above 0 and at most 1")
        fractions[name] = float(value)
    times = section["provisional_releases"]
    if not isinstance(times, int) or isinstance(times, bool) or not 1 <= times <= 100:
        raise fail("provisional_releases", f"{times!r} is not a whole number from 1 to 100")
    return Calendar(lag, month, day, fractions["provisional_share"], times, fractions["late_share"])


@dataclass(frozen=True)
class YearSlice:
    """Where one start year's figures of a table come from in a calendar release."""

    year: int
    phase: str  # definitive | provisional
    release_id: str  # the release that measured them (this one's id when `measured`)
    measured: bool  # measured by this release (else carried forward from the previous one)
    correction: bool = False  # measured again by a correction release (definitive figures)


def plan_slices(
    calendar: Calendar,
    years: tuple[int, ...],
    as_of: date,
    release_id: str,
    definitive: Mapping[int, list[str]],
    provisional: Mapping[int, list[str]],
    corrected: Collection[int] = (),
) -> tuple[YearSlice, ...]:
    """For each start year, measure now or carry forward, given which releases measured it before
    (the ledger's `measured`, for one table: `definitive` holds, per year, the release whose
    definitive figures stand, a correction's if any). `corrected`: closed years this correction
    release measures again (UserError for a year without definitive figures)."""
    missing = sorted(set(corrected) - set(definitive))
    if missing:
        raise UserError(
            f"--correct {missing[0]}: start year {missing[0]} has no definitive figures to "
            "correct; a start year is measured definitively once it closes"
        )
    out = []
    for year in years:
        phase = calendar.phase(year, as_of)
        if year in corrected:
            out.append(YearSlice(year, DEFINITIVE, release_id, measured=True, correction=True))
        elif year in definitive:  # (also when a changed closing rule would reopen the year)
            out.append(YearSlice(year, DEFINITIVE, definitive[year][0], measured=False))
        elif (
            phase == PROVISIONAL and len(provisional.get(year, ())) >= calendar.provisional_releases
        ):
            out.append(YearSlice(year, PROVISIONAL, provisional[year][-1], measured=False))
        else:
            out.append(YearSlice(year, phase, release_id, measured=True))
    return tuple(out)


# What a start year's figures did since the previous release (release notes).
NEW, BECAME_DEFINITIVE, UPDATED, CORRECTED = "new", "definitive", "updated", "corrected"


def release_notes(
    slices: tuple[YearSlice, ...], before: Mapping[str, Mapping[str, Any]] | None
) -> list[dict[str, str]]:
    """What changed since the previous release, per start year (years carried forward unchanged
    are not listed). `before`: the previous release's `calendar.years` (None: no previous)."""
    notes = []
    for piece in slices:
        year = str(piece.year)
        earlier = (before or {}).get(year)
        if piece.correction:
            change = CORRECTED
        elif earlier is None:
            change = NEW
        elif not piece.measured:
            continue
        elif piece.phase == DEFINITIVE:
            change = BECAME_DEFINITIVE
        else:
            change = UPDATED
        notes.append({"year": year, "change": change, "phase": piece.phase})
    return notes
