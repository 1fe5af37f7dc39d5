"""The questions a release must answer, declared in the release config as `[[question]]` tables.

Each is one cell of a dashboard view or a standard table: a measure of the catalogue, broken down
by some dimensions, for the latest start year or the last few pooled, with the precision it must
reach (a 95% half-width) and the typical size of the cell, a public planning figure (never read
from the data):

    [[question]]
    name = "ended as planned, per partnership, one year"
    measure = "share_planned_end"
    by = ["partnership"]
    years = 1                 # the latest start year; 3 = the last three pooled
    typical_base = 450        # ended trajectories of one partnership in one start year
    typical_share = 0.6       # shares only: a typical value of the share (0–1)
    target = 15               # shares: percentage points; counts: % of the value
    weight = 1                # optional: how much a miss of this question counts (default 1)

A median or survival question describes its typical histogram instead of a typical share, as
shares of `typical_base` per band (public planning figures, e.g. from an earlier release's
published Flanders figures), and its target is in the median's unit (months, days) or in points:

    [[question]]
    name = "median duration, per partnership, one year"
    measure = "median_duration_months"
    by = ["partnership"]
    typical_base = 350        # ended trajectories of one partnership in one start year
    typical_bands = { "0-1" = 0.08, "1-2" = 0.10, ... }   # share of the base per duration band
    target = 2.5              # months

    survival: typical_base counts all trajectories; typical_bands holds the ended ones and
    typical_ongoing the ongoing ones per duration band, together adding up to 1.

`binc plan` (binc/planning/precision.py) prints how each is met. The division of the budget
(binc/planning/budget.py) makes the worst of weight × half-width / target as small as it can.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from binc.answering.catalogue import MeasureDef, measure_defs
from binc.core.dimensions import domain
from binc.core.errors import UserError

PLANNED_METHODS = ("count", "ratio", "share", "median", "survival")
HISTOGRAM_METHODS = ("median", "survival")
FIELDS = (
    "name",
    "measure",
    "by",
    "where",
    "years",
    "typical_base",
    "typical_share",
    "typical_bands",
    "typical_ongoing",
    "target",
    "weight",
)
# Shares of a typical histogram must add up to 1 within this (they are rounded planning figures).
SUM_TOLERANCE = 0.01


@dataclass(frozen=True)
class Question:
    name: str
    measure: str
    by: tuple[str, ...]
    years: int
    typical_base: float  # per start year: the count (counts) or the share's base (shares)
    target: float  # shares: percentage points; counts: % of the value
    typical_share: float = 0.5
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    weight: float = 1.0
    # medians and survival: share of typical_base per band code (survival: ended, and ongoing)
    typical_bands: dict[str, float] = field(default_factory=dict)
    typical_ongoing: dict[str, float] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return measure_defs()[self.measure].method

    @property
    def is_share(self) -> bool:
        """Shares, rates and survival: half-widths in percentage points."""
        return self.method not in ("count", "median")

    @property
    def unit(self) -> str:
        """The unit of its target and half-width: "pt", "%" (of the value) or the median's unit."""
        if self.method == "median":
            return measure_defs()[self.measure].unit
        return "pt" if self.is_share else "%"


def load_questions(path: Path) -> list[Question]:
    """The `[[question]]`s of a release config, checked; a clear error names the bad one."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read the release config ({error})") from error
    items = raw.get("question", [])
    if not isinstance(items, list) or not items:
        raise UserError(f"{path}: no [[question]] declared; `binc plan` plans for them")
    return [_question(item, path, f"[[question]] #{i + 1}") for i, item in enumerate(items)]


def _question(item: Any, path: Path, where: str) -> Question:
    def fail(message: str) -> UserError:
        return UserError(f"{path}: {where}: {message}")

    if not isinstance(item, dict):
        raise fail("must be a table of fields")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise fail(f"unknown field {unknown[0]!r}; allowed: {', '.join(FIELDS)}")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise fail("name: give a text")
    where = f"{where} ({name})"
    defs = measure_defs()
    measure = item.get("measure")
    if measure not in defs:
        raise fail(f"measure {measure!r} is unknown; allowed: {', '.join(defs)}")
    method = defs[measure].method
    if method not in PLANNED_METHODS:
        raise fail(f"measure {measure!r} cannot be planned")
    by = item.get("by", [])
    if not isinstance(by, list) or not all(isinstance(d, str) for d in by) or "year" in by:
        raise fail("by: a list of dimension names, without year (years says which years)")
    if defs[measure].method == "share" and not by:
        raise fail("by: a share is taken over the last dimension of by; give at least one")
    raw_where = item.get("where", {})
    if not isinstance(raw_where, dict):
        raise fail("where: a table of dimension = code or [codes]")
    filters = {
        str(dim): (codes,) if isinstance(codes, str) else tuple(map(str, codes))
        for dim, codes in raw_where.items()
    }
    years = item.get("years", 1)
    if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 10:
        raise fail("years: a whole number of start years from 1 to 10")
    numbers = {}
    for key in ("typical_base", "target", "typical_share", "weight"):
        value = item.get(key, {"typical_share": 0.5, "weight": 1.0}.get(key))
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            raise fail(f"{key}: give a number")
        numbers[key] = float(value)
    if numbers["typical_base"] <= 0 or numbers["target"] <= 0 or numbers["weight"] <= 0:
        raise fail("typical_base, target and weight must be above 0")
    if not 0 < numbers["typical_share"] < 1:
        raise fail("typical_share must lie between 0 and 1")
    return Question(
        name=name,
        measure=str(measure),
        by=tuple(by),
        years=years,
        typical_base=numbers["typical_base"],
        target=numbers["target"],
        typical_share=numbers["typical_share"],
        where=filters,
        weight=numbers["weight"],
        **_histogram(item, defs[str(measure)], fail),
    )


def _histogram(
    item: dict[str, Any], d: MeasureDef, fail: Callable[[str], UserError]
) -> dict[str, dict[str, float]]:
    """typical_bands (and typical_ongoing) of a median or survival question, checked."""
    method, band = d.method, d.band or "duration_band"
    given = [key for key in ("typical_bands", "typical_ongoing") if key in item]
    if method not in HISTOGRAM_METHODS:
        if given:
            raise fail(f"{given[0]}: only a median or survival question has a typical histogram")
        return {}
    wanted = ("typical_bands", "typical_ongoing") if method == "survival" else ("typical_bands",)
    if method == "median" and "typical_ongoing" in item:
        raise fail("typical_ongoing: a median is taken over ended trajectories only")
    codes = band_codes(d)
    out: dict[str, dict[str, float]] = {}
    for key in wanted:
        raw = item.get(key)
        if not isinstance(raw, dict) or not raw:
            raise fail(
                f"{key}: give the share of typical_base per {band} code, e.g. {{ {codes[0]!r} = 0.1 }}"
            )
        unknown = [c for c in raw if c not in codes]
        if unknown:
            raise fail(f"{key}: {unknown[0]!r} is not a {band} code; allowed: {', '.join(codes)}")
        shares = {}
        for code, value in raw.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise fail(f"{key}: {code}: give a share from 0 to 1")
            shares[str(code)] = float(value)
        out[key] = shares
    total = sum(sum(shares.values()) for shares in out.values())
    if abs(total - 1) > SUM_TOLERANCE:
        raise fail(f"{' and '.join(wanted)} must add up to 1 (they add up to {total:.3f})")
    return out


def band_codes(d: MeasureDef) -> tuple[str, ...]:
    """The band codes a median or survival measure's statistic uses (a median leaves out its
    excluded codes, such as waiting 'unknown')."""
    return tuple(c for c in domain(d.band or "duration_band", ()) if c not in d.band_excludes)
