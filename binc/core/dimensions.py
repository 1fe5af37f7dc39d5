"""The public domain of every dimension a release may measure: its codes, taken from reference data.

Privacy model point 3: group keys come from public reference data (or the config's public list of
years), never from the private data, so every cell — empty or not — is measured and the presence of
a key leaks nothing. The few codes that are not in a registration code list ("ongoing",
"not_recorded", "yes"/"no", "ended") are fixed here, in one place, because they are part of the
measurement's definition rather than of the registration format.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import cast

import polars as pl

from binc.core import i18n, reference

# Every dimension a release can measure, in the order lists show them. What each means is
# written once, per language, in the language files ([meaning]); see `meaning`.
DIMENSIONS: tuple[str, ...] = (
    "year",
    "partnership",
    "province",
    "municipality",
    "trajectory_type",
    "age_band",
    "sex",
    "family_situation",
    "family_size_band",
    "end_reason",
    "end_group",
    "follow_up",
    "duration_band",
    "status",
    "waiting_band",
    "care_before",
    "care_after",
)


def meaning(dimension: str, language: str = "en") -> str:
    """What a dimension means, in `language` (release metadata records the English one)."""
    return i18n.text(f"meaning.{dimension}", language)


BAND_DIMENSIONS = ("age_band", "family_size_band", "duration_band", "waiting_band")
# Extra codes that belong to the measurement definition, not to the registration code lists.
ONGOING = "ongoing"
NOT_RECORDED = "not_recorded"
STATUS_CODES = ("ended", "ongoing")
YES_NO = ("yes", "no")
UNKNOWN_WAITING = "unknown"

# End reasons in five public groups: what a partnership's ~500 endings a year can carry under noise.
# Eight reasons (and 'ongoing') per partnership leave cells of a few dozen, which noise and the k
# rule hide; the groups answer the questions asked per region (ended as planned, goals reached,
# family withdrew) with cells large enough to read. Derived from the registered end reason, not
# a code list of the registration format.
END_GROUPS: dict[str, tuple[str, ...]] = {
    "goals_reached": ("goals_reached",),
    "other_planned": ("goals_partly_reached", "referred_follow_up", "handed_over"),
    "family_withdrew": ("family_withdrew",),
    "other_unplanned": ("no_contact", "moved_away", "other"),
    ONGOING: (ONGOING,),
}

ENDED_GROUPS = tuple(g for g in END_GROUPS if g != ONGOING)

# Dimensions that are public groupings defined here (labels in the language files).
GROUP_DIMENSIONS = ("end_group",)

# Public rollups (child, parent): every child code lies in exactly one parent code. A table with
# the child dimension sums onto the parent; a table with the parent answers questions about sets
# of child codes that are unions of parent codes (binc/answering/cube.py).
ROLLUPS: dict[tuple[str, str], str] = {
    ("municipality", "province"): "province_nis",
    ("end_reason", "end_group"): "end_group",
}


def known_dimensions() -> tuple[str, ...]:
    return DIMENSIONS


@cache
def _codes(dimension: str) -> tuple[str, ...]:
    if dimension == "partnership":
        return tuple(reference.partnerships()["partnership_id"])
    if dimension == "province":
        return tuple(reference.provinces()["province_nis"])
    if dimension == "municipality":
        return tuple(reference.municipalities()["municipality_nis"].sort())
    if dimension in ("trajectory_type", "sex", "family_situation"):
        return reference.codes(dimension)
    if dimension == "end_reason":
        return (*reference.codes("end_reason"), ONGOING)
    if dimension == "end_group":
        return tuple(END_GROUPS)
    if dimension == "follow_up":
        return (*reference.codes("follow_up"), NOT_RECORDED)
    if dimension == "status":
        return STATUS_CODES
    if dimension in ("care_before", "care_after"):
        return YES_NO
    if dimension in BAND_DIMENSIONS:
        frame = reference.bands().filter(pl.col("dimension") == dimension).sort("sort_order")
        return tuple(frame["code"])
    raise KeyError(dimension)


def parent_of(dimension: str) -> str | None:
    """The dimension `dimension` rolls up to, if any."""
    return next((parent for child, parent in ROLLUPS if child == dimension), None)


@cache
def members(child: str, parent: str) -> dict[str, tuple[str, ...]]:
    """parent code -> its child codes (in the child's order) for a public rollup."""
    grouped: dict[str, list[str]] = {}
    for code, group in rollup_map(child, parent).items():
        grouped.setdefault(group, []).append(code)
    return {group: tuple(codes) for group, codes in grouped.items()}


def domain(dimension: str, years: Sequence[int]) -> tuple[str, ...]:
    """The public codes of one dimension, in display order (years as text, like every code)."""
    if dimension == "year":
        return tuple(str(y) for y in years)
    return _codes(dimension)


def band_lookup(dimension: str) -> tuple[int, pl.DataFrame]:
    """(open_lower, frame value -> code) for a banded dimension: values lowest..open_lower.

    Values are clamped to `open_lower` (the lower bound of the open-ended last band) before the
    lookup, so an exact equi-join replaces a range join over millions of rows.
    """
    bands = (
        reference.bands()
        .filter((pl.col("dimension") == dimension) & pl.col("lower").is_not_null())
        .sort("lower")
    )
    open_lower = int(bands.filter(pl.col("upper").is_null())["lower"].item())
    # min() is typed as any literal or None; `lower` is Int32, nulls filtered out and the open band
    # found above, so it is an int.
    first = cast(int, bands["lower"].min())
    values = pl.DataFrame({"value": list(range(first, open_lower + 1))}, schema={"value": pl.Int32})
    lookup = values.join_where(
        bands.select("code", "lower", "upper"),
        pl.col("value") >= pl.col("lower"),
        pl.col("upper").is_null() | (pl.col("value") < pl.col("upper")),
    ).select("value", pl.col("code").alias(dimension))
    if lookup.height != open_lower - first + 1:
        raise ValueError(f"data/reference/bands.csv: bands of {dimension} overlap or leave gaps")
    return open_lower, lookup.sort("value")


@cache
def rollup_map(child: str, parent: str) -> dict[str, str]:
    """child code -> parent code for a public rollup (municipality -> province, end reason -> group)."""
    column = ROLLUPS[(child, parent)]
    if (child, parent) == ("end_reason", "end_group"):
        return {code: group for group, codes in END_GROUPS.items() for code in codes}
    frame = reference.municipalities()
    return dict(zip(frame["municipality_nis"], frame[column], strict=True))
