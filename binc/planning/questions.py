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

`binc plan` (binc/planning/precision.py) prints how each is met.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from binc.answering.catalogue import measure_defs
from binc.core.errors import UserError

PLANNED_METHODS = ("count", "ratio", "share")
FIELDS = ("name", "measure", "by", "where", "years", "typical_base", "typical_share", "target")


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

    @property
    def is_share(self) -> bool:
        return measure_defs()[self.measure].method != "count"


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
    if defs[measure].method not in PLANNED_METHODS:
        raise fail(
            f"measure {measure!r}: medians and survival are not planned (their precision is "
            "not a sum of cell variances); plan the counts they are computed from"
        )
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
    for key in ("typical_base", "target", "typical_share"):
        value = item.get(key, 0.5 if key == "typical_share" else None)
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            raise fail(f"{key}: give a number")
        numbers[key] = float(value)
    if numbers["typical_base"] <= 0 or numbers["target"] <= 0:
        raise fail("typical_base and target must be above 0")
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
    )
