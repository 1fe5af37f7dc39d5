"""One number, one interval, in every view (issue 11, item 3): a TOTAL row of a breakdown is the
same number as the margin asked on its own, so it carries the same value, base and interval — not
the wider interval of the breakdown's own cells summed (the issue measured 10.527 as
10.302–10.752 on the overview and 10.018–11.036 as a TOTAL row), wherever both show it."""

from __future__ import annotations

import polars as pl
import pytest
from support.small_release import demo_sized_release, small_release

from binc.answering import answer
from binc.core.errors import UserError
from binc.core.table import TOTAL, margins
from binc.release_file import load_release

MEASURES = ("trajectories", "share_planned_end", "share_other_care_after", "median_duration_months")
BREAKDOWNS = (
    ("trajectory_type",),
    ("partnership",),
    ("province",),
    ("age_band",),
    ("end_group",),
    ("year", "trajectory_type"),
    ("year", "partnership"),
    ("partnership", "sex"),
)
COLUMNS = ("value", "ci_low", "ci_high", "base", "suppressed")


@pytest.mark.parametrize("measure", MEASURES)
def test_every_total_row_is_the_margin_asked_on_its_own(measure: str) -> None:
    release = demo_sized_release()  # consistent tables, most cells above k
    compared = shown = 0
    for by in BREAKDOWNS:
        where = {} if "year" in by else {"year": "2024"}
        try:
            table = answer(release, measure, by=by, where=where, totals=True).frame
        except UserError:
            continue  # not measured together (the refusal has its own tests)
        for kept, rows in margins(table, by):
            direct = answer(release, measure, by=kept, where=where).frame
            joined = (
                rows.join(direct, on=list(kept), suffix="_direct")
                if kept
                else rows.join(
                    direct.rename({c: f"{c}_direct" for c in direct.columns}), how="cross"
                )
            )
            assert joined.height == rows.height
            for row in joined.iter_rows(named=True):
                compared += 1
                if row["suppressed"] or row["suppressed_direct"]:
                    # each table decides its own suppression (docs/hardening.md, "Not promised")
                    continue
                got = [row[c] for c in COLUMNS]
                want = [row[f"{c}_direct"] for c in COLUMNS]
                assert got == want, (measure, by, kept, row)
                shown += 1
    assert compared >= 40
    assert shown >= 10


def test_a_total_row_once_had_its_own_wider_interval() -> None:
    """The case of the issue, on the small release: Flanders' count of a year as the TOTAL row of
    year × type is answered from year × type (7 summed cells), asked on its own from the year table
    (one cell, the exact quantile): the direct interval is narrower, and the TOTAL row now has it."""
    release = load_release(small_release()[0])
    by_type = answer(release, "trajectories", by=("trajectory_type",), where={"year": "2024"},
                     totals=True)  # fmt: skip
    total = by_type.frame.filter(pl.col("trajectory_type") == TOTAL)
    direct = answer(release, "trajectories", where={"year": "2024"})
    assert by_type.source_tables != direct.source_tables
    width = (total["ci_high"] - total["ci_low"]).item()
    assert width == (direct.frame["ci_high"] - direct.frame["ci_low"]).item()
    cells = by_type.frame.filter(pl.col("trajectory_type") != TOTAL)
    summed_width = (cells["ci_high"] - cells["value"]).pow(2).sum() ** 0.5 * 2
    assert width < summed_width  # what summing the type cells' noise would have given
