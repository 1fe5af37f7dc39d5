"""Suppression that no combination of questions undoes (answering/patterns.py), on a hand-made release.

One measured table, year × partnership, with these consistent estimates and k = 10:

            P01  P02  P03  P04
    2023     50    3   40   30
    2024     45   20    4   35
    2025     60   25   30    2

Three cells are below k. Each test plays one way of combining questions that used to recover a
suppressed value, and checks with the LP audit that the combination no longer pins it down.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from binc.answering import TOTAL, answer
from binc.core.errors import UserError
from binc.core.noise import GeometricNoise
from binc.disclosure import protect
from binc.disclosure.audit import audit_table
from binc.disclosure.patterns import PatternQuestion, pattern_questions
from binc.release_file import Measurement, Release

YEARS = ("2023", "2024", "2025")
PARTNERSHIPS = ("P01", "P02", "P03", "P04")
ESTIMATE = np.array([[50, 3, 40, 30], [45, 20, 4, 35], [60, 25, 30, 2]])
K = 10


def _release(estimate: np.ndarray = ESTIMATE, domains=(YEARS, PARTNERSHIPS)) -> Release:
    m = Measurement(
        name="year_partnership",
        unit="trajectories",
        dimensions=("year", "partnership"),
        domains=domains,
        noise=GeometricNoise(epsilon=1.0, sensitivity=3),
        noisy=estimate.copy(),
        estimate=estimate,
    )
    return Release(
        path=None, metadata={"release_id": "hand-made", "k": K}, measurements={m.name: m}
    )


@pytest.fixture
def release() -> Release:
    return _release()


def _hidden(frame: pl.DataFrame, dim: str) -> set[str]:
    return set(frame.filter(pl.col("suppressed"))[dim].to_list())


def _value(release: Release, **where) -> float | None:
    return answer(release, "trajectories", where=where).frame["value"].item()


def test_a_table_without_totals_hides_the_cells_its_totals_would_need(release):
    year = {"year": "2023"}
    bare = answer(release, "trajectories", by=["partnership"], where=year).frame
    assert "P02" in _hidden(bare, "partnership")
    assert len(_hidden(bare, "partnership")) >= 2  # P02 alone would be total minus the others
    # The attack: the bare table plus its total asked on its own. Put together they must pass the
    # LP audit, as the table with totals does.
    total = answer(release, "trajectories", where=year).frame
    assert total["value"].item() == 123
    combined = pl.concat(
        [bare, total.with_columns(pl.lit(TOTAL).alias("partnership")).select(bare.columns)]
    )
    assert audit_table(combined, ["partnership"], K).ok
    with_totals = answer(release, "trajectories", by=["partnership"], where=year, totals=True)
    assert with_totals.frame.filter(pl.col("partnership") != TOTAL).equals(bare)


def test_a_filter_on_several_codes_never_shows_a_sum_with_a_hidden_member(release):
    whole = answer(release, "trajectories", by=["year", "partnership"], totals=True).frame
    hidden_2023 = _hidden(whole.filter(pl.col("year") == "2023"), "partnership")
    shown_2023 = sorted(set(PARTNERSHIPS) - hidden_2023)
    assert "P02" in hidden_2023
    assert len(shown_2023) >= 1
    # {A, B} minus {B}: the sum with a hidden member is hidden, whatever its size
    for other in PARTNERSHIPS:
        if other != "P02":
            assert _value(release, year="2023", partnership=["P02", other]) is None, other
    # every code but the hidden one, against the total: hidden too
    assert _value(release, year="2023", partnership=[p for p in PARTNERSHIPS if p != "P02"]) is None
    # a sum of shown codes is shown, and is exactly their sum
    if len(shown_2023) >= 2:
        expected = sum(ESTIMATE[0, PARTNERSHIPS.index(p)] for p in shown_2023[:2])
        assert _value(release, year="2023", partnership=shown_2023[:2]) == expected
    # every code is no filter at all
    assert _value(release, year="2023", partnership=list(PARTNERSHIPS)) == 123


def test_a_filter_on_a_breakdowns_codes_shows_only_what_the_whole_breakdown_shows(release):
    whole = answer(release, "trajectories", by=["year", "partnership"], totals=True).frame
    for codes in (["P01", "P04"], ["P02", "P03"], ["P01", "P03"], ["P03", "P04"]):
        part = answer(
            release, "trajectories", by=["year", "partnership"], where={"partnership": codes},
            totals=True,
        ).frame  # fmt: skip
        cells = part.filter(pl.col("partnership") != TOTAL)
        expected = whole.filter(pl.col("partnership").is_in(codes))
        assert cells.equals(expected), codes
        # the margin over the chosen codes is their sum, shown only when every one is shown
        for year in (*YEARS, TOTAL):
            row = cells.filter(pl.col("year") == year)
            margin = part.filter((pl.col("year") == year) & (pl.col("partnership") == TOTAL))
            if row["suppressed"].any():
                assert margin["suppressed"].item(), (codes, year)
            else:
                assert margin["value"].item() == row["value"].sum(), (codes, year)


def test_a_year_filter_follows_the_pattern_of_the_table_by_year(release):
    """One year's answer may not show a cell that the table by year hides as a complementary cell:
    the other years' answers and the total would give the hidden one away."""
    whole = answer(release, "trajectories", by=["year", "partnership"], totals=True).frame
    for year in YEARS:
        one = answer(release, "trajectories", by=["partnership"], where={"year": year}).frame
        expected = whole.filter((pl.col("year") == year) & (pl.col("partnership") != TOTAL))
        assert one.equals(expected.drop("year")), year


def test_the_pattern_table_is_the_widest_that_fits():
    domains = {"year": YEARS, "partnership": PARTNERSHIPS, "sex": ("M", "V", "X")}
    assert pattern_questions(("partnership",), {}, domains) == [None]
    # a filter on every code is no filter
    assert pattern_questions((), {"sex": ("V", "X", "M")}, domains) == [None]
    one_year = pattern_questions(("partnership",), {"year": ("2024",)}, domains)
    assert one_year == [
        PatternQuestion(("year", "partnership"), {}, {"year": ("2024",)}),
        None,
    ]
    several = pattern_questions(
        ("sex",), {"year": ("2024",), "partnership": ("P01", "P02")}, domains
    )
    assert several == [
        PatternQuestion(
            ("year", "partnership", "sex"), {},
            {"year": ("2024",), "partnership": ("P01", "P02")},
        ),
        PatternQuestion(
            ("partnership", "sex"), {"year": ("2024",)}, {"partnership": ("P01", "P02")}
        ),
    ]  # fmt: skip


def test_a_table_with_too_many_small_cells_is_refused_not_computed_for_minutes():
    """Suppression is decided year by year, so the work is that of one year's table: 700
    partnerships of one trajectory each in a year is (700 below k) × (701 cells) > 450,000."""
    years = ("2023", "2024")
    codes = tuple(f"{i:03d}" for i in range(700))
    sparse = _release(np.ones((2, 700), dtype=np.int64), domains=(years, codes))
    with pytest.raises(UserError, match=r"700 of the 701 cells .* are below k = 10"):
        answer(sparse, "trajectories", by=["year", "partnership"])
    # the refusal is remembered for the year's pattern table (no second attempt at the work)
    with pytest.raises(UserError, match="too many to protect"):
        answer(sparse, "trajectories", by=["partnership"], where={"year": list(years)})
    assert any(isinstance(v, UserError) for v in sparse.cache.values())


def test_the_work_bound_is_below_what_a_page_needs_on_the_demo_scale():
    """The demo's largest dashboard table (year × partnership × duration band, 1,496 cells with
    margins, 279 below k) must stay answerable; a table twice as sparse must not."""
    assert 279 * 1_496 <= protect.MAX_SUPPRESSION_WORK < 730 * 1_309


def test_a_count_over_several_years_shows_only_what_every_year_shows(release):
    """Suppression is decided year by year (disclosure/protect.py): a partnership's count over all
    years, or over two, is shown only where each year's answer shows it. Put together, the yearly
    tables and the all-years row pass the LP audit: the years' sum gives no hidden year back (the
    all-years table used to be decided on its own, large sums, and showed all four partnerships)."""
    yearly = {
        year: answer(
            release, "trajectories", by=["partnership"], where={"year": year}, totals=True
        ).frame
        for year in YEARS
    }
    for chosen in (YEARS, ("2023", "2024")):
        where = {} if chosen == YEARS else {"year": list(chosen)}
        pooled = answer(release, "trajectories", by=["partnership"], where=where).frame
        for row in pooled.iter_rows(named=True):
            parts = [yearly[y].filter(pl.col("partnership") == row["partnership"]) for y in chosen]
            every_year_shows = not any(part["suppressed"].item() for part in parts)
            assert row["suppressed"] is not every_year_shows, (chosen, row)
            if every_year_shows:
                assert row["value"] == sum(part["value"].item() for part in parts)
    all_years = answer(release, "trajectories", by=["partnership"], totals=True).frame
    assert _hidden(all_years, "partnership") == {"P02", "P03", "P04"}
    combined = pl.concat(
        [frame.with_columns(pl.lit(year).alias("year")) for year, frame in yearly.items()]
        + [all_years.with_columns(pl.lit(TOTAL).alias("year"))]
    ).select(["year", "partnership", *all_years.columns[1:]])
    assert audit_table(combined, ["year", "partnership"], K).ok


def test_every_year_hides_the_same_complementary_cell_so_their_sums_over_the_years_stay_shown():
    """P03 is below k in both years and needs one complementary cell a year. By its own values 2023
    would hide P01 (20 < 30) and 2024 P02 (15 < 60), and then P01 and P02 over both years would
    both be hidden. Weighed by their sums over the years (P02 45 < P01 80), both years hide P02,
    and P01 over both years is shown."""
    years = ("2023", "2024")
    release = _release(np.array([[20, 30, 3], [60, 15, 4]]), domains=(years, PARTNERSHIPS[:3]))
    for year in years:
        one = answer(release, "trajectories", by=["partnership"], where={"year": year}).frame
        assert _hidden(one, "partnership") == {"P02", "P03"}, year
    both = answer(release, "trajectories", by=["partnership"]).frame
    assert _hidden(both, "partnership") == {"P02", "P03"}
    assert both.filter(pl.col("partnership") == "P01")["value"].item() == 80
