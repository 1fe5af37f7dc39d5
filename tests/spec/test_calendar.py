"""The publication calendar (binc/release/calendar.py): a closed start year is measured once and
carried forward byte for byte; open years get provisional figures with a smaller budget, at most
`provisional_releases` times; the ledger charges a child what one start year got."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from support.warehouses import TWO_TABLE_CONFIG, make_warehouse, random_trajectories, write_config

from binc.cli.ledger import describe
from binc.core.errors import UserError
from binc.release.build import build_release
from binc.release.calendar import Calendar, plan_slices
from binc.release.config import load_config
from binc.release.ledger import open_ledger
from binc.release_file import load_release

CALENDAR = """
[calendar]
closing_lag_years = 2
closing_day = "06-30"
provisional_share = 0.25
provisional_releases = 2
late_share = 0.05
"""


@pytest.fixture
def calendar_setup(tmp_path, ledger_dir):
    warehouse = make_warehouse(tmp_path / "w.duckdb", random_trajectories(3000, seed=5))
    config = write_config(tmp_path, TWO_TABLE_CONFIG + CALENDAR)
    return warehouse, config


def build(setup, out, as_of, previous=None, seed=1):
    warehouse, config = setup
    return build_release(warehouse, out, config, np.random.default_rng(seed),
                         previous=previous, as_of=as_of)  # fmt: skip


def phases(path) -> dict[str, tuple[str, str]]:
    years = load_release(path).metadata["calendar"]["years"]
    return {y: (v["phase"], v["release_id"]) for y, v in years.items()}


def test_closed_years_are_measured_once_and_carried_forward_unchanged(calendar_setup, tmp_path):
    first = build(calendar_setup, tmp_path / "r1.duckdb", date(2024, 3, 31))
    seen = phases(first.path)
    # 2021 closed on 30 June 2023; 2022 closes on 30 June 2024; 2025 has not begun
    assert {y: p for y, (p, _) in seen.items()} == {
        **{str(y): "definitive" for y in (2019, 2020, 2021)},
        **{str(y): "provisional" for y in (2022, 2023, 2024)},
    }
    second = build(calendar_setup, tmp_path / "r2.duckdb", date(2024, 9, 30), first.path, seed=2)
    later = phases(second.path)
    for year in ("2019", "2020", "2021"):
        assert later[year] == seen[year] == ("definitive", first.release_id)
    assert later["2022"] == ("definitive", second.release_id)
    assert later["2023"] == later["2024"] == ("provisional", second.release_id)
    a, b = load_release(first.path), load_release(second.path)
    for name, m in a.measurements.items():
        n = b.measurements[name]
        for at in range(3):  # 2019–2021: the same noisy counts and estimates, byte for byte
            assert np.array_equal(m.noisy[at], n.noisy[at]), name
            assert np.array_equal(m.estimate[at], n.estimate[at]), name
        assert not np.array_equal(m.noisy[3], n.noisy[3])  # 2022: measured again, definitively
    # each slice carries the noise it was measured with: provisional at a quarter of the budget
    year = b.measurements["year"]
    budgets = [noise.budget for noise in year.year_noise]
    assert budgets == pytest.approx([0.5, 0.5, 0.5, 0.5, 0.125, 0.125])
    assert year.variance_cube[4] == pytest.approx(16 * year.variance_cube[0], rel=0.05)


def test_a_child_is_charged_what_one_start_year_got(calendar_setup, tmp_path):
    first = build(calendar_setup, tmp_path / "r1.duckdb", date(2024, 3, 31))
    second = build(calendar_setup, tmp_path / "r2.duckdb", date(2024, 9, 30), first.path)
    # each release spends ε 1 on a measured definitive year (two tables of ε 0.5) and 0.25 on a
    # provisional one; 2022 got 0.25 (provisional) + 1 (definitive): the most of any year; the
    # second also counts the late registrations of the years it carries (ε 0.05)
    assert first.lifetime.epsilon_pure == pytest.approx(1.0)
    assert second.lifetime.epsilon_pure == pytest.approx(1.25 + 0.05)
    meta = load_release(second.path).metadata
    assert meta["epsilon_spent"] == pytest.approx(1.0 + 0.05)  # alone: its dearest year, 2022
    assert meta["ledger"]["lifetime_epsilon_pure"] == pytest.approx(1.3)
    assert meta["calendar"]["per_child_budget"] == pytest.approx(1.5 + 0.05)


def test_an_open_year_is_measured_provisionally_at_most_so_often(calendar_setup, tmp_path):
    days = [date(2024, 7, 1), date(2024, 10, 1), date(2025, 1, 2)]
    previous = None
    ids = []
    for number, day in enumerate(days):
        summary = build(calendar_setup, tmp_path / f"r{number}.duckdb", day, previous, number)
        ids.append(summary.release_id)
        previous = summary.path
    # 2023 and 2024 are open in all three: measured by the first two, then carried forward
    assert phases(previous)["2023"] == phases(previous)["2024"] == ("provisional", ids[1])
    # 2025 began in the third release: measured there
    assert phases(previous)["2025"] == ("provisional", ids[2])
    with open_ledger(calendar_setup[0], None, write=False) as book:
        assert book.measured("year", "provisional")[2023] == ids[:2]
        # 2022 (closed on the first day) got ε 1; 2023 and 2024 got 2 × 0.25 so far; late counts
        # ε 0.05 each, and a child pays for one at most
        assert book.totals().epsilon_pure == pytest.approx(1.05)


def test_carrying_forward_needs_the_previous_release(calendar_setup, tmp_path):
    first = build(calendar_setup, tmp_path / "r1.duckdb", date(2024, 3, 31))
    with pytest.raises(UserError, match=rf"start year 2019 has definitive figures of release "
                       rf"{first.release_id} .* with --previous"):  # fmt: skip
        build(calendar_setup, tmp_path / "r2.duckdb", date(2024, 9, 30))
    other = tmp_path / "other.duckdb"
    build_release(make_warehouse(tmp_path / "o.duckdb", random_trajectories(200, seed=2)), other,
                  calendar_setup[1], np.random.default_rng(3), as_of=date(2024, 3, 31))  # fmt: skip
    with pytest.raises(UserError, match=r"does not hold the definitive figures of start year 2019"):
        build(calendar_setup, tmp_path / "r2.duckdb", date(2024, 9, 30), other)
    assert not (tmp_path / "r2.duckdb").exists()


def test_the_calendar_section_is_checked(tmp_path):
    bad = CALENDAR.replace('"06-30"', '"02-30"')
    with pytest.raises(UserError, match=r"\[calendar\] closing_day: '02-30' is not a day"):
        load_config(write_config(tmp_path, TWO_TABLE_CONFIG + bad))
    bad = CALENDAR.replace("provisional_share = 0.25", "provisional_share = 1.5")
    with pytest.raises(UserError, match=r"provisional_share: 1.5 is not a fraction"):
        load_config(write_config(tmp_path, TWO_TABLE_CONFIG + bad))
    yearless = TWO_TABLE_CONFIG.replace("share = 0.5", "share = 0.4") + (
        '[[measurement]]\nname = "all_years"\nunit = "trajectories"\n'
        'dimensions = ["partnership"]\nshare = 0.0001\n'
    )
    with pytest.raises(UserError, match=r"measurement\]\] all_years: .* add \"year\""):
        load_config(write_config(tmp_path, yearless + CALENDAR))


def test_a_changed_closing_rule_does_not_reopen_a_definitive_year():
    calendar = Calendar(5, 6, 30, 0.25, 2, 0.05)
    plan = plan_slices(calendar, (2020, 2021), date(2024, 1, 1), "new", {2020: ["old"]}, {})
    assert [(s.phase, s.release_id, s.measured) for s in plan] == [
        ("definitive", "old", False),
        ("provisional", "new", True),
    ]


def test_each_start_year_keeps_its_own_noise_in_answers(calendar_setup, tmp_path):
    """A definitive and a provisional year in one answer: each interval from its own year's noise
    (a quarter of the budget: four times the noise scale), and a sum over both from the sum of
    their variances."""
    from binc.answering import answer
    from binc.answering.estimates import Z95

    built = build(calendar_setup, tmp_path / "r1.duckdb", date(2024, 3, 31))
    release = load_release(built.path)
    table = release.measurements["year"]
    definitive, provisional = table.year_noise[0], table.year_noise[-1]
    frame = answer(release, "trajectories", by=("year",)).frame.to_dicts()
    # (upper end − value: the lower end is clamped at 0)
    halves = {r["year"]: r["ci_high"] - r["value"] for r in frame if r["value"] is not None}
    # the year table answers: one cell a year, its noise's exact quantile
    assert halves["2019"] == definitive.half_width(0.95)
    assert halves["2024"] == provisional.half_width(0.95)
    assert provisional.half_width(0.95) >= 3.5 * definitive.half_width(0.95)
    pooled = answer(release, "trajectories", where={"year": ("2021", "2022")}).frame.row(
        0, named=True
    )
    expected = Z95 * (definitive.variance + provisional.variance) ** 0.5
    assert pooled["ci_high"] - pooled["value"] == pytest.approx(expected)


def notes(path) -> list[tuple[str, str]]:
    return [
        (n["year"], n["change"]) for n in load_release(path).metadata["calendar"]["release_notes"]
    ]


def test_a_correction_release_measures_a_closed_year_again_and_says_so(calendar_setup, tmp_path):
    first = build(calendar_setup, tmp_path / "r1.duckdb", date(2024, 3, 31))
    assert notes(first.path) == [(str(y), "new") for y in range(2019, 2025)]
    warehouse, config = calendar_setup
    fixed = build_release(warehouse, tmp_path / "r2.duckdb", config, np.random.default_rng(2),
                          previous=first.path, as_of=date(2024, 4, 30), correct=(2020,))  # fmt: skip
    assert phases(fixed.path)["2020"] == ("definitive", fixed.release_id)
    assert phases(fixed.path)["2019"] == ("definitive", first.release_id)
    assert notes(fixed.path) == [("2020", "corrected"), ("2022", "updated"), ("2023", "updated"),
                                 ("2024", "updated")]  # fmt: skip
    a, b = load_release(first.path), load_release(fixed.path)
    assert not np.array_equal(a.measurements["year"].noisy[1], b.measurements["year"].noisy[1])
    # 2020 got its definitive ε 1 twice: the most any start year got (and a late count, 0.05)
    assert fixed.lifetime.epsilon_pure == pytest.approx(2.05)
    # the next release carries the corrected figures forward
    later = build(calendar_setup, tmp_path / "r3.duckdb", date(2024, 9, 30), fixed.path, seed=3)
    assert phases(later.path)["2020"] == ("definitive", fixed.release_id)
    c = load_release(later.path)
    assert np.array_equal(c.measurements["year"].noisy[1], b.measurements["year"].noisy[1])
    assert ("2022", "definitive") in notes(later.path)
    with open_ledger(warehouse, None, write=False) as book:
        assert book.measured("year", "correction") == {2020: [fixed.release_id]}
        # `binc ledger` names the correction beside the provisional years and the late count
        line = describe(next(e for e in book.entries if e.release_id == fixed.release_id))
        assert line.endswith("correction 2020; provisional 2022–2024; late 2019,2021")


def test_only_a_year_with_definitive_figures_can_be_corrected(calendar_setup, tmp_path):
    first = build(calendar_setup, tmp_path / "r1.duckdb", date(2024, 3, 31))
    warehouse, config = calendar_setup
    with pytest.raises(UserError, match=r"--correct 2023: start year 2023 has no definitive"):
        build_release(warehouse, tmp_path / "r2.duckdb", config, previous=first.path,
                      as_of=date(2024, 4, 30), correct=(2023,))  # fmt: skip
    with pytest.raises(UserError, match=r"--correct: only a release config with a \[calendar\]"):
        build_release(warehouse, tmp_path / "r2.duckdb", write_config(tmp_path, TWO_TABLE_CONFIG),
                      correct=(2020,))  # fmt: skip


def add_late_registrations(warehouse, tmp_path, year: int, rows: int) -> int:
    """Trajectories of about `rows` new children starting in `year`, brought by a second ingest;
    how many."""
    import duckdb

    other = make_warehouse(tmp_path / "late.duckdb",
                           random_trajectories(rows, seed=9, years=(year, year)))  # fmt: skip
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"ATTACH '{other}' AS late (READ_ONLY)")
        con.execute(
            "INSERT INTO trajectories SELECT * REPLACE ('L' || record_id AS record_id, 2 AS "
            "ingest_id) FROM late.trajectories WHERE programme = '1g1p'"
        )
        return con.execute(
            "SELECT count(*) FROM late.trajectories WHERE programme = '1g1p'"
        ).fetchone()[0]


def test_late_registrations_of_a_closed_year_are_counted_once_and_not_folded_in(
    calendar_setup, tmp_path
):
    warehouse, _ = calendar_setup
    first = build(calendar_setup, tmp_path / "r1.duckdb", date(2024, 3, 31))
    assert load_release(first.path).metadata["calendar"]["late_registrations"] == {}
    late = add_late_registrations(warehouse, tmp_path, 2020, 700)
    second = build(calendar_setup, tmp_path / "r2.duckdb", date(2024, 4, 30), first.path, seed=2)
    figures = load_release(second.path).metadata["calendar"]["late_registrations"]
    assert sorted(figures) == ["2019", "2020", "2021"]  # the closed years carried forward
    shown = figures["2020"]
    assert not shown["suppressed"]
    # (≤ 700: a child of the late ingest with more than c trajectories keeps c)
    assert shown["ci_low"] <= late
    assert shown["ci_high"] >= late * 0.9
    # the definitive figures of 2020 are not changed by them
    a, b = load_release(first.path), load_release(second.path)
    assert np.array_equal(a.measurements["year"].noisy[1], b.measurements["year"].noisy[1])
    with open_ledger(warehouse, None, write=False) as book:
        assert book.watermark() == 2
    # counted once: the next release finds no new late registration
    third = build(calendar_setup, tmp_path / "r3.duckdb", date(2024, 5, 31), second.path, seed=3)
    again = load_release(third.path).metadata["calendar"]["late_registrations"]["2020"]
    assert again["suppressed"] or again["ci_low"] == 0


def test_a_zcdp_calendar_charges_a_child_in_rho(tmp_path, ledger_dir):
    """The same calendar under zCDP: each start year's slices add their ρ, and a child pays what
    the dearest start year got plus one late count."""
    zcdp = TWO_TABLE_CONFIG.replace(
        'noise = "two_sided_geometric"\nepsilon_total = 1.0',
        'noise = "discrete_gaussian"\nrho_total = 0.5\nlifetime_rho_limit = 5.0',
    )
    setup = (make_warehouse(tmp_path / "w.duckdb", random_trajectories(3000, seed=5)),
             write_config(tmp_path, zcdp + CALENDAR))  # fmt: skip
    first = build(setup, tmp_path / "r1.duckdb", date(2024, 3, 31))
    second = build(setup, tmp_path / "r2.duckdb", date(2024, 9, 30), first.path, seed=2)
    assert phases(second.path)["2019"] == ("definitive", first.release_id)
    # 2022: provisional (2 tables × 0.25 × 0.25) then definitive (2 × 0.25); late 0.05 × 0.5
    assert second.lifetime.rho == pytest.approx(0.125 + 0.5 + 0.025)
    assert not second.lifetime.pure_only
    year = load_release(second.path).measurements["year"]
    assert {n.mechanism for n in year.year_noise} == {"discrete_gaussian"}
    assert [n.budget for n in year.year_noise] == pytest.approx([0.25] * 4 + [0.0625] * 2)


def test_a_calendar_continues_only_on_the_warehouse_it_measured(calendar_setup, tmp_path):
    """A re-ingest of the same data (same ledger) into a new warehouse numbers its ingests anew:
    the calendar refuses it rather than pick other trajectories or miscount late ones."""
    import duckdb

    warehouse, config = calendar_setup
    first = build(calendar_setup, tmp_path / "r1.duckdb", date(2024, 3, 31))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (ledger_id,) = con.execute(
            "SELECT value FROM warehouse_meta WHERE key = 'ledger_id'"
        ).fetchone()
    again = make_warehouse(tmp_path / "again.duckdb", random_trajectories(3000, seed=5),
                           ledger_id=ledger_id)  # fmt: skip
    with pytest.raises(UserError, match=r"the calendar releases of these data measured another "
                       r"warehouse .*restore it from its backup"):  # fmt: skip
        build((again, config), tmp_path / "r2.duckdb", date(2024, 9, 30), first.path)
