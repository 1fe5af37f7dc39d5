"""Every measure the answering layer offers: what it is, its unit, and how it is computed.

The engine dispatches on `MeasureDef.method`, never on a measure's name, so a new measure of a
known kind is one entry here. Labels are presentation: the dashboard's language files hold them.
A UI offers only what `list_measures(release)` returns, so it can never build a question the
release's workload does not cover.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from binc.core import reference
from binc.core.table import MeasureKind

WITHIN_MONTH = ("0-7", "8-14", "15-31")
# The headline figures, in reading order: the overview's cards and the fact sheets' cards.
HEADLINES = (
    "trajectories",
    "children",
    "median_duration_months",
    "share_planned_end",
    "share_goals_reached",
    "median_waiting_days",
)

# How a measure is computed from the release's consistent counts:
# - count: the sum of cells; share: each code of the last `by` dimension within the others;
# - ratio: `numerator` codes of `category` among its `denominator` codes;
# - median: interpolated within the bands of `band` (a histogram), with a bootstrap interval;
# - survival: the life-table share still ongoing `parameter` months after the start.
Method = Literal["count", "share", "ratio", "median", "survival"]


@dataclass(frozen=True)
class MeasureDef:
    name: str
    kind: MeasureKind
    unit: str
    description: str
    method: Method
    source_unit: str = "trajectories"  # which measured tables can answer (their unit)
    # ratio: the category dimension, numerator codes and denominator codes (None = all known).
    category: str | None = None
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] | None = None
    # median: the band dimension, its codes left out (e.g. unknown), and fixed filters.
    band: str | None = None
    band_excludes: tuple[str, ...] = ()
    fixed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Dimensions the statistic itself uses (not offered as by/where).
    uses: tuple[str, ...] = ()
    parameter: float | None = None  # survival: months


# Cached: measure_defs() runs on every answer, and these two filters showed in the dashboard
# server's profile under load (benchmarks/load_serve.py). The code lists never change in a process.
@cache
def _planned() -> tuple[str, ...]:
    frame = reference.codelists()
    return tuple(
        frame.filter((frame["list"] == "end_reason") & (frame["group"] == "planned"))["code"]
    )


@cache
def _ended() -> tuple[str, ...]:
    return reference.codes("end_reason")


def measure_defs() -> dict[str, MeasureDef]:
    """Every measure by name (a fresh dict; the definitions themselves are immutable)."""
    return dict(_measure_defs())


@cache
def _measure_defs() -> dict[str, MeasureDef]:
    # Built once: rebuilding it on every answer() was a visible part of a small answer's time.
    defs = [
        MeasureDef(
            "trajectories",
            "count",
            "trajectories",
            "1G1P trajectories started, at most c per child per release",
            method="count",
        ),
        MeasureDef(
            "children",
            "count",
            "children",
            "distinct children with a 1G1P trajectory starting in the year (per year only)",
            method="count",
            source_unit="children",
        ),
        MeasureDef(
            "share",
            "share",
            "percent",
            "share (%) of each code of the last `by` dimension within the other dimensions",
            method="share",
        ),
        MeasureDef(
            "share_planned_end",
            "share",
            "percent",
            "ended trajectories with a planned end reason (%)",
            method="ratio",
            category="end_reason",
            numerator=_planned(),
            denominator=_ended(),
            uses=("end_reason", "end_group", "follow_up"),
        ),
        MeasureDef(
            "share_goals_reached",
            "share",
            "percent",
            "ended trajectories whose end reason is goals_reached (%): a part of share_planned_end",
            method="ratio",
            category="end_reason",
            numerator=("goals_reached",),
            denominator=_ended(),
            uses=("end_reason", "end_group", "follow_up"),
        ),
        MeasureDef(
            "share_waiting_within_month",
            "share",
            "percent",
            "trajectories starting ≤ 31 days after referral (%), among those with a referral date",
            method="ratio",
            category="waiting_band",
            numerator=WITHIN_MONTH,
            denominator=None,
            uses=("waiting_band",),
        ),
        MeasureDef(
            "share_other_care_before",
            "rate",
            "percent",
            "trajectories of children who had another "
            "youth-care trajectory that started earlier (%)",
            method="ratio",
            category="care_before",
            numerator=("yes",),
            uses=("care_before", "care_after"),
        ),
        MeasureDef(
            "share_other_care_after",
            "rate",
            "percent",
            "trajectories of children who had another youth-care trajectory that started later (%)",
            method="ratio",
            category="care_after",
            numerator=("yes",),
            uses=("care_before", "care_after"),
        ),
        MeasureDef(
            "median_duration_months",
            "median",
            "months",
            "median months from start to end, ended trajectories "
            "(interpolated within duration bands)",
            method="median",
            band="duration_band",
            fixed={"status": ("ended",)},
            uses=("duration_band", "status"),
        ),
        MeasureDef(
            "median_waiting_days",
            "median",
            "days",
            "median days from referral to start (interpolated "
            "within waiting bands), trajectories with a referral date",
            method="median",
            band="waiting_band",
            band_excludes=("unknown",),
            uses=("waiting_band",),
        ),
    ]
    for months in (3, 6, 12):
        defs.append(
            MeasureDef(
                f"survival_{months}m",
                "rate",
                "percent",
                f"share (%) of trajectories still ongoing {months} months after the start "
                "(life-table Kaplan–Meier, ongoing trajectories censored)",
                method="survival",
                band="duration_band",
                uses=("duration_band", "status"),
                parameter=float(months),
            )
        )
    return {d.name: d for d in defs}
