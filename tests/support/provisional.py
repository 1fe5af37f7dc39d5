"""The small release on the publication calendar, for the tests of provisional figures (issue 13).

Nothing is measured again: the small release's tables with a `calendar` block added to its metadata,
as the release builder writes it, marking the last start year provisional and every other one
definitive. In memory (`with_calendar`, for answers, exports and fact sheets) or as a copy of the
release file (`calendar_release_file`, for the dashboard's pages, which read a file).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from binc.release_file import Release
from support.small_release import small_release

CLOSING = "a start year closes on 30 June two years after it"


def calendar_block(years: list[str], provisional: set[str]) -> dict[str, Any]:
    """A `calendar` block as the release builder writes it: `provisional` years provisional, the
    rest definitive (measured by an earlier release, as of their closing day)."""
    return {
        "closing": CLOSING,
        "closing_lag_years": 2,
        "closing_day": "06-30",
        "provisional_share": 0.4,
        "provisional_releases": 10,
        "late_share": 0.02,
        "per_child_budget": 5.0,
        "previous_release": "c" * 32,
        "late_registrations": {
            years[0]: {
                "value": 120,
                "ci_low": 60,
                "ci_high": 180,
                "suppressed": False,
                "too_uncertain": False,
            },
            years[1]: {
                "value": None,
                "ci_low": None,
                "ci_high": None,
                "suppressed": True,
                "too_uncertain": False,
            },
        },
        "release_notes": [
            {"year": year, "change": "updated", "phase": "provisional"}
            for year in years
            if year in provisional
        ],
        "years": {
            year: {
                "phase": "provisional" if year in provisional else "definitive",
                "release_id": ("b" if year in provisional else "a") * 32,
                "as_of": "2026-09-30" if year in provisional else f"{int(year) + 2}-06-30",
            }
            for year in years
        },
    }


def last_year(metadata: dict[str, Any]) -> str:
    return str(max(int(y) for y in metadata["years"]))


def with_calendar(release: Release, provisional: set[str] | None = None) -> Release:
    """`release` with a calendar marking `provisional` (default: its last start year); a fresh
    answer cache, so that no answer of the release without a calendar is reused."""
    years = [str(y) for y in release.metadata["years"]]
    marked = {last_year(release.metadata)} if provisional is None else provisional
    metadata = {**release.metadata, "calendar": calendar_block(years, marked)}
    return replace(release, metadata=metadata, cache={})


@cache
def calendar_release_file() -> Path:
    """A copy of the small release file with the calendar (last start year provisional) in its
    metadata: what the dashboard of a calendar release reads."""
    release, _ = small_release()
    copy = release.with_name("release-calendar.duckdb")
    shutil.copyfile(release, copy)
    con = duckdb.connect(str(copy))
    try:
        (document,) = con.execute("SELECT document FROM release_metadata").fetchone()
        metadata = json.loads(document)
        years = [str(y) for y in metadata["years"]]
        metadata["calendar"] = calendar_block(years, {last_year(metadata)})
        con.execute("UPDATE release_metadata SET document = ?", [json.dumps(metadata)])
    finally:
        con.close()
    return copy
