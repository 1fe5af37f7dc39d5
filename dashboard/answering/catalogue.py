"""Every measure the answering layer offers: what it is, its unit and labels, and how it is computed.

A UI offers only what `list_measures(release)` returns, so it can never build a question the
release's workload does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from dashboard import reference
from dashboard.answering.table import MeasureKind

WITHIN_MONTH = ("0-7", "8-14", "15-31")


@dataclass(frozen=True)
class MeasureDef:
    name: str
    kind: MeasureKind
    unit: str
    label_nl: str
    label_en: str
    description: str
    source_unit: str = "trajectories"  # which measured tables can answer (their unit)
    # For ratios: the category dimension, numerator codes and denominator codes (None = all).
    category: str | None = None
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] | None = None
    # Dimensions the statistic itself uses (not offered as by/where).
    uses: tuple[str, ...] = ()
    parameter: float | None = None  # survival: months


# Cached: measure_defs() runs on every answer, and these two filters were ~7% of the dashboard
# server's time under load (benchmarks/load_serve.py). The code lists never change in a process.
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
    # Built once: rebuilding on every answer() was about a quarter of a small answer's time.
    defs = [
        MeasureDef(
            "trajectories",
            "count",
            "trajectories",
            "Trajecten (gestart)",
            "Trajectories (started)",
            "1G1P trajectories started, at most c per child per release",
        ),
        MeasureDef(
            "children",
            "count",
            "children",
            "Bereikte kinderen",
            "Children reached",
            "distinct children with a 1G1P trajectory starting in the year (per year only)",
            source_unit="children",
        ),
        MeasureDef(
            "share",
            "share",
            "percent",
            "Aandeel",
            "Share",
            "share (%) of each code of the last `by` dimension within the other dimensions",
        ),
        MeasureDef(
            "share_planned_end",
            "share",
            "percent",
            "Aandeel gepland beëindigd",
            "Share ended as planned",
            "ended trajectories with a planned end reason (%)",
            category="end_reason",
            numerator=_planned(),
            denominator=_ended(),
            uses=("end_reason", "follow_up"),
        ),
        MeasureDef(
            "share_waiting_within_month",
            "share",
            "percent",
            "Aandeel gestart binnen de maand",
            "Share started within a month",
            "trajectories starting ≤ 31 days after referral (%), among those with a referral date",
            category="waiting_band",
            numerator=WITHIN_MONTH,
            denominator=None,
            uses=("waiting_band",),
        ),
        MeasureDef(
            "share_other_care_before",
            "rate",
            "percent",
            "Aandeel met andere jeugdhulp vooraf",
            "Share with other youth care before",
            "trajectories of children who had another "
            "youth-care trajectory that started earlier (%)",
            category="care_before",
            numerator=("yes",),
            uses=("care_before", "care_after"),
        ),
        MeasureDef(
            "share_other_care_after",
            "rate",
            "percent",
            "Aandeel met andere jeugdhulp nadien",
            "Share with other youth care after",
            "trajectories of children who had another youth-care trajectory that started later (%)",
            category="care_after",
            numerator=("yes",),
            uses=("care_before", "care_after"),
        ),
        MeasureDef(
            "median_duration_months",
            "median",
            "months",
            "Mediane duur (maanden)",
            "Median duration (months)",
            "median months from start to end, ended trajectories "
            "(interpolated within duration bands)",
            uses=("duration_band", "status"),
        ),
        MeasureDef(
            "median_waiting_days",
            "median",
            "days",
            "Mediane wachttijd (dagen)",
            "Median waiting time (days)",
            "median days from referral to start (interpolated "
            "within waiting bands), trajectories with a referral date",
            uses=("waiting_band",),
        ),
    ]
    for months in (3, 6, 12):
        defs.append(
            MeasureDef(
                f"survival_{months}m",
                "rate",
                "percent",
                f"Nog in begeleiding na {months} maanden",
                f"Still in support after {months} months",
                f"share (%) of trajectories still ongoing {months} months after the start "
                "(life-table Kaplan–Meier, ongoing trajectories censored)",
                uses=("duration_band", "status"),
                parameter=float(months),
            )
        )
    return {d.name: d for d in defs}
