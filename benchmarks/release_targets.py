"""How usable a release's numbers are: the precision targets and the default views of issue 11.

    .venv/bin/python benchmarks/release_targets.py --release data/demo/release.duckdb

Prints, for the questions evaluators ask per partnership and for Flanders, the median 95%
half-width over the regions (shares in percentage points, counts in % of the value, medians in
months) and how many regions are hidden or too uncertain (for a release on the publication
calendar, of the latest definitive start year and the last three definitive ones pooled); then, for the dashboard's default views
(the questions its pages ask with no filter chosen, for the latest start year), how many cells are
suppressed and how many too uncertain to read. Everything comes from `answer`, as the dashboard
and `binc export` get it. The figures are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from binc.answering import answer
from binc.core.errors import UserError
from binc.release_file import Release, load_release

Where = Mapping[str, str | Sequence[str]]


def half_width(
    release: Release, measure: str, by: tuple[str, ...], where: Where | None, relative: bool
) -> str:
    """One target line: median half-width over the shown, readable cells; hidden and unreadable."""
    try:
        frame = answer(release, measure, by=by, where=where).frame
    except UserError as refusal:
        return f"refused ({refusal.reason})"
    readable = frame.filter(~pl.col("suppressed") & ~pl.col("too_uncertain"))
    shown = frame.filter(~pl.col("suppressed"))
    widths = [(high - low) / 2 / (value if relative else 1) * (100 if relative else 1)
              for low, high, value in shown.select("ci_low", "ci_high", "value").iter_rows()
              if value]  # fmt: skip
    median = f"{statistics.median(widths):7.1f}" if widths else "      -"
    return (f"median half-width {median}   hidden {frame['suppressed'].sum()}/{frame.height}, "
            f"too uncertain {frame['too_uncertain'].sum()}/{frame.height}, "
            f"readable {readable.height}/{frame.height}")  # fmt: skip


def targets(release: Release, latest: str, pooled: list[str]) -> None:
    one: Where = {"year": latest}
    three: Where = {"year": pooled}
    lines: list[tuple[str, str, Where]] = [
        ("share ended as planned per partnership, one year (points)", "share_planned_end", one),
        ("share ended as planned per partnership, 3 years (points)", "share_planned_end", three),
        ("share goals reached per partnership, one year (points)", "share_goals_reached", one),
        ("share other care afterwards per partnership, one year", "share_other_care_after", one),
        ("share other care afterwards per partnership, 3 years", "share_other_care_after", three),
        ("median duration per partnership, one year (months)", "median_duration_months", one),
        ("median duration per partnership, 3 years (months)", "median_duration_months", three),
        ("still in support after 6 months per partnership, 3 years", "survival_6m", three),
    ]
    print(f"targets (start year {latest}; pooled {', '.join(pooled)}):")
    for name, measure, where in lines:
        print(f"  {name:60} {half_width(release, measure, ('partnership',), where, False)}")
    counts = half_width(release, "trajectories", ("partnership",), one, True)
    print(f"  {'trajectories per partnership, one year (% of the value)':60} {counts}")
    flanders = half_width(release, "trajectories", ("year",), None, True)
    print(f"  {'trajectories in Flanders per start year (% of the value)':60} {flanders}")


def default_views(release: Release, latest: str) -> None:
    year = {"year": latest}
    ended = [c for c in release.metadata["domains"]["end_reason"] if c != "ongoing"]
    views: list[tuple[str, tuple[str, ...], Where | None]] = [
        *((m, (), year) for m in ("trajectories", "children", "median_duration_months",
                                  "share_planned_end", "share_goals_reached", "median_waiting_days")),
        ("trajectories", ("year",), None),
        ("share", ("age_band",), year), ("trajectories", ("age_band",), year),
        ("share", ("duration_band",), {**year, "status": "ended"}),
        ("share_planned_end", ("trajectory_type",), year),
        ("share", ("end_reason",), {**year, "end_reason": ended}),
        ("share_other_care_before", ("trajectory_type",), year),
        ("share_other_care_after", ("trajectory_type",), year),
        ("trajectories", ("partnership",), year),
    ]  # fmt: skip
    cells = hidden = uncertain = 0
    print(f"default views (start year {latest}):")
    for measure, by, where in views:
        frame = answer(release, measure, by=by, where=where).frame
        h, u = int(frame["suppressed"].sum()), int(frame["too_uncertain"].sum())
        cells, hidden, uncertain = cells + frame.height, hidden + h, uncertain + u
        print(f"  {measure:28} by {', '.join(by) or '-':16} cells {frame.height:3}  "
              f"suppressed {h:3}  too uncertain {u:3}")  # fmt: skip
    print(f"default views: {cells} cells, suppressed {hidden} ({hidden / cells:.0%}), "
          f"too uncertain {uncertain} ({uncertain / cells:.0%})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, required=True, help="a release file (DuckDB)")
    args = parser.parse_args()
    release = load_release(args.release)
    years = [str(y) for y in release.metadata["years"]]
    # As the dashboard: the complete start years are those before the year of the data's date, the
    # pooled period the last three of them (dashboard/data.py complete_years).
    as_of = str(release.metadata.get("as_of") or release.metadata["created_at"])[:4]
    complete = [y for y in years if y < as_of] or years
    calendar = release.metadata.get("calendar")
    if calendar:  # the targets are for definitive figures (issue 13): the closed start years
        phases = calendar["years"]
        complete = [y for y in years if phases[y]["phase"] == "definitive"] or complete
    targets(release, complete[-1], complete[-3:])
    default_views(release, years[-1])


if __name__ == "__main__":
    main()
