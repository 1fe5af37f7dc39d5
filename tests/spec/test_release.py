"""Spec tests of `binc release`: bounding, exact marginals, the release file, the privacy config."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from support.warehouses import (
    DEFAULT_CONFIG,
    make_warehouse,
    random_trajectories,
    trajectory,
    write_config,
)

from binc.cli import main
from binc.core import reference
from binc.core.errors import UserError
from binc.core.resources import default_config
from binc.release.build import build_release
from binc.release.config import load_config
from binc.release.consistency import anchor_index, consistent_estimates, shared_marginal
from binc.release.measure import bound_contributions, measuring_connection, true_marginal
from binc.release_file import load_release


def true_tables(
    warehouse: Path, config: Path, names: list[str]
) -> tuple[dict[str, np.ndarray], object]:
    cfg = load_config(config)
    with measuring_connection(warehouse) as (con, _):
        report = bound_contributions(con, cfg, as_of=date(2025, 12, 31))
        tables = {n: true_marginal(con, cfg.measurement(n), cfg) for n in names}
    return tables, report


# ---- bounding -------------------------------------------------------------------------------


def test_a_child_with_four_trajectories_contributes_three(tmp_path):
    rows = [trajectory(record_id=f"R{i}", pseudonym="a" * 64) for i in range(4)]
    rows += [trajectory(record_id="S1", pseudonym="b" * 64)]
    warehouse = make_warehouse(tmp_path / "w.duckdb", rows)
    tables, report = true_tables(warehouse, write_config(tmp_path), ["year", "children"])
    year_2023 = tables["year"].domains[0].index("2023")
    assert tables["year"].counts[year_2023] == 3 + 1
    assert tables["children"].counts[year_2023] == 2
    assert report.persons_over_cap == 1
    assert report.rows_dropped == 1


def test_other_youth_care_is_not_counted_but_sets_the_linkage_flags(tmp_path):
    rows = [
        trajectory(record_id="G1", start_date=date(2023, 3, 1)),
        trajectory(
            record_id="O1",
            programme="other_youth_care",
            partnership_id=None,
            start_date=date(2022, 1, 1),
            end_date=None,
            end_reason=None,
            follow_up=None,
        ),
    ]
    warehouse = make_warehouse(tmp_path / "w.duckdb", rows)
    tables, _ = true_tables(warehouse, write_config(tmp_path), ["year", "partnership_linkage"])
    assert tables["year"].counts.sum() == 1
    linkage = tables["partnership_linkage"]
    cube = linkage.counts.reshape(linkage.shape)
    before = linkage.domains[2].index("yes")
    after = linkage.domains[3].index("no")
    assert cube[..., before, after].sum() == 1


# ---- exact marginals against a small polars reference ---------------------------------------


def _band(values: pl.Expr, dimension: str) -> pl.Expr:
    bands = (
        reference.bands()
        .filter(pl.col("dimension") == dimension, pl.col("lower").is_not_null())
        .sort("lower")
    )
    expr = pl.lit(None, dtype=pl.String)
    for code, lower in zip(bands["code"].to_list(), bands["lower"].to_list(), strict=True):
        expr = pl.when(values >= lower).then(pl.lit(code)).otherwise(expr)
    return expr


def reference_marginal(
    frame: pl.DataFrame, dims: tuple[str, ...], domains, as_of: date
) -> np.ndarray:
    # as known on as_of: later starts are not there yet, later ends are still ongoing
    ends_later = pl.col("end_date") > as_of
    frame = frame.filter(pl.col("start_date") <= as_of).with_columns(
        end_reason=pl.when(ends_later).then(None).otherwise(pl.col("end_reason")),
        follow_up=pl.when(ends_later).then(None).otherwise(pl.col("follow_up")),
        end_date=pl.when(ends_later).then(None).otherwise(pl.col("end_date")),
    )
    other = (
        frame.filter(pl.col("programme") == "other_youth_care")
        .group_by("pseudonym")
        .agg(first=pl.col("start_date").min(), last=pl.col("start_date").max())
    )
    rows = (
        frame.filter(
            pl.col("programme") == "1g1p", pl.col("start_date").dt.year().is_between(2019, 2025)
        )
        .join(other, on="pseudonym", how="left")
        .with_columns(
            year=pl.col("start_date").dt.year().cast(pl.String),
            partnership=pl.col("partnership_id"),
            province=pl.col("province_nis"),
            age_band=_band(pl.col("age_at_start"), "age_band"),
            family_size_band=_band(pl.col("family_size"), "family_size_band"),
            end_reason=pl.col("end_reason").fill_null("ongoing"),
            end_group=pl.col("end_reason")
            .fill_null("ongoing")
            .replace_strict(END_GROUP_OF, default=None),
            follow_up=pl.col("follow_up").fill_null("not_recorded"),
            status=pl.when(pl.col("end_date").is_null())
            .then(pl.lit("ongoing"))
            .otherwise(pl.lit("ended")),
            duration_band=_band(
                (
                    (pl.col("end_date").fill_null(as_of) - pl.col("start_date")).dt.total_days()
                    / 30.4375
                ).floor(),
                "duration_band",
            ),
            waiting_band=_band(
                (pl.col("start_date") - pl.col("referral_date")).dt.total_days(), "waiting_band"
            ).fill_null("unknown"),
            care_before=pl.when(pl.col("first") < pl.col("start_date"))
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no")),
            care_after=pl.when(pl.col("last") > pl.col("start_date"))
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no")),
        )
    )
    counts = rows.group_by(list(dims)).len()
    cube = np.zeros(tuple(len(d) for d in domains), dtype=np.int64)
    for row in counts.iter_rows(named=True):
        cube[tuple(domains[i].index(row[d]) for i, d in enumerate(dims))] = row["len"]
    return cube


# The end group of each end reason, written out here as the codebook states it (an oracle that
# does not read binc/core/dimensions.py).
END_GROUP_OF = {
    "goals_reached": "goals_reached",
    "goals_partly_reached": "other_planned",
    "referred_follow_up": "other_planned",
    "handed_over": "other_planned",
    "family_withdrew": "family_withdrew",
    "no_contact": "other_unplanned",
    "moved_away": "other_unplanned",
    "other": "other_unplanned",
    "ongoing": "ongoing",
}

MEASURED = [
    "year_partnership",
    "year_province",
    "year_outcome",
    "year_linkage",
    "partnership_age_sex",
    "partnership_family",
    "partnership_outcome",
    "partnership_duration",
    "waiting",
    "partnership_linkage",
    "province_outcome",
    "province_duration",
]


def test_true_marginals_equal_a_polars_reference(tmp_path):
    frame = random_trajectories(3000, seed=7)
    warehouse = make_warehouse(tmp_path / "w.duckdb", frame)
    tables, _ = true_tables(warehouse, write_config(tmp_path, contribution_cap=1000), MEASURED)
    for name in MEASURED:
        got = tables[name]
        want = reference_marginal(frame, got.spec.dimensions, got.domains, date(2025, 12, 31))
        assert np.array_equal(got.counts.reshape(got.shape), want), name


# ---- the release file --------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_release(tmp_path_factory):
    base = tmp_path_factory.mktemp("release")
    warehouse = make_warehouse(base / "w.duckdb", random_trajectories(4000, seed=3))
    summary = build_release(warehouse, base / "r.duckdb", rng=np.random.default_rng(1))
    return warehouse, summary


def test_release_holds_noisy_values_only(small_release, tmp_path):
    """Scan: the stored counts are noisy; small true counts are not reproduced; estimates are a
    function of the noisy counts alone (re-deriving them from `noisy` gives the same numbers)."""
    warehouse, summary = small_release
    specs = [s for s in load_config().measurements if s.unit != "dropped_trajectories"]
    tables, _ = true_tables(warehouse, write_config(tmp_path), [s.name for s in specs])
    con = duckdb.connect(str(summary.path), read_only=True)
    try:
        stored = {
            row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        assert stored == {"release_metadata", "measurements"} | {
            f"cells_{m.name}" for m in load_config().measurements
        }
        for name, true in tables.items():
            cells = pl.from_arrow(
                con.sql(f"SELECT * FROM cells_{name} ORDER BY cell").to_arrow_table()
            )
            numeric = [c for c, t in cells.schema.items() if t.is_integer() and c != "cell"]
            assert numeric == ["noisy", "estimate"]
            small = (true.counts > 0) & (true.counts < 10)
            if small.sum() > 20:
                assert (cells["noisy"].to_numpy()[small] != true.counts[small]).mean() > 0.8, name
    finally:
        con.close()
    release = load_release(summary.path)
    noisy = {n: m.noisy.reshape(-1) for n, m in release.measurements.items()}
    spec = {s.name: s for s in load_config().measurements}
    again = consistent_estimates(
        noisy,
        {n: spec[n].dimensions for n in noisy},
        {n: m.domains for n, m in release.measurements.items()},
        {n: spec[n].consistent_with for n in noisy},
    )
    for name, m in release.measurements.items():
        assert np.array_equal(again[name], m.estimate.reshape(-1)), name


def test_release_metadata_records_the_privacy_story(small_release):
    _, summary = small_release
    meta = load_release(summary.path).metadata
    assert meta["c"] == 3
    assert meta["k"] == 10
    assert meta["epsilon_total"] == 1.0
    assert meta["warehouse_version"] == summary.warehouse_version
    assert abs(sum(m["epsilon"] for m in meta["measurements"].values()) - 1.0) < 1e-9
    assert meta["measurements"]["year_partnership"]["sensitivity"] == 3
    assert meta["noise_distribution"] == "two_sided_geometric"
    dropped = meta["bounding"]["rows_dropped"]
    assert dropped["suppressed"] or 0 <= dropped["ci_low"] <= dropped["value"] <= dropped["ci_high"]


def test_release_metadata_names_its_config_without_the_build_hosts_folders(small_release):
    """The config is identified by its name and digest; no path of the build host is published."""
    warehouse, summary = small_release
    meta = load_release(summary.path).metadata
    config = default_config()
    assert meta["config_file"] == "release.toml"
    digest = hashlib.sha256(config.read_bytes()).hexdigest()[:16]
    assert meta["config_digest"] == f"sha256:{digest}"
    text = json.dumps(meta)
    for folder in {str(config.parent), str(warehouse.parent), str(Path.home()), "/tmp/", "/work/"}:
        assert folder not in text


def shared(warehouse: Path, tmp_path: Path) -> Path:
    """A copy of the module's warehouse: a release records itself in its warehouse (and ledger)."""
    return Path(shutil.copy(warehouse, tmp_path / "w.duckdb"))


def test_two_releases_of_the_same_warehouse_differ(small_release, tmp_path):
    warehouse, summary = small_release
    warehouse = shared(warehouse, tmp_path)
    other = build_release(warehouse, tmp_path / "again.duckdb")
    a = load_release(summary.path).measurements["year_partnership"].noisy
    b = load_release(other.path).measurements["year_partnership"].noisy
    assert not np.array_equal(a, b)


def test_a_seeded_build_is_the_same_in_every_build(small_release, tmp_path):
    """Tests and benchmarks build with a seeded generator: it fixes the noise and the bounding's
    salt, so the same seed gives the same tables (a test that needs some cell shown or hidden
    cannot then pass in one CI run and fail in the next). The release id stays new."""
    warehouse, summary = small_release
    again = build_release(shared(warehouse, tmp_path), tmp_path / "again.duckdb",
                          rng=np.random.default_rng(1))  # fmt: skip
    first, second = load_release(summary.path), load_release(again.path)
    assert again.release_id != summary.release_id
    assert first.metadata["salt"] == second.metadata["salt"]
    assert first.metadata["salt"] != summary.release_id
    for name, m in first.measurements.items():
        assert np.array_equal(m.noisy, second.measurements[name].noisy), name
        assert np.array_equal(m.estimate, second.measurements[name].estimate), name


def test_the_release_file_gets_the_mode_of_a_new_file_under_the_umask(small_release, tmp_path):
    """The web process that reads a release may run as another user of the group: the release is
    not left at the 0o600 of a temporary file (DuckDB creates it under the umask; a guard)."""
    warehouse = shared(small_release[0], tmp_path)
    previous = os.umask(0o027)
    try:
        summary = build_release(warehouse, tmp_path / "r.duckdb", rng=np.random.default_rng(2))
    finally:
        os.umask(previous)
    assert oct(summary.path.stat().st_mode & 0o777) == oct(0o640)


def test_estimates_are_consistent_non_negative_integers(small_release):
    release = load_release(small_release[1].path)
    m = release.measurements
    assert all((t.estimate >= 0).all() for t in m.values())
    assert np.array_equal(
        m["partnership_age_sex"].estimate.sum(axis=(2, 3)), m["year_partnership"].estimate
    )
    assert np.array_equal(m["partnership_age_sex"].estimate.sum(axis=1), m["year_age_sex"].estimate)
    assert np.array_equal(
        m["year_partnership_type"].estimate.sum(axis=2), m["year_partnership"].estimate
    )
    assert np.array_equal(m["year_partnership"].estimate.sum(axis=1), m["year"].estimate)
    # End groups per partnership add up to the end reasons of Flanders, summed into their groups.
    outcome = m["year_outcome"]
    reasons = outcome.estimate.sum(axis=(1, 3))  # year × end reason
    groups = m["partnership_outcome"].domains[2]
    by_group = np.zeros((reasons.shape[0], len(groups)), dtype=np.int64)
    for i, reason in enumerate(outcome.domains[2]):
        by_group[:, groups.index(END_GROUP_OF[reason])] += reasons[:, i]
    assert np.array_equal(m["partnership_outcome"].estimate.sum(axis=1), by_group)
    assert np.array_equal(m["province_outcome"].estimate.sum(axis=1), by_group)


def test_every_table_agrees_with_its_anchors_on_what_they_share(small_release):
    """A margin is one number: every declared anchor, summed onto the dimensions it shares with a
    table (end reasons into their groups), equals that table summed onto the same dimensions."""
    release = load_release(small_release[1].path)
    checked = 0
    for spec in load_config().measurements:
        table = release.measurements[spec.name]
        for name in spec.consistent_with:
            anchor = release.measurements[name]
            shared, domains, want = shared_marginal(
                table.dimensions, table.domains, anchor.dimensions, anchor.domains, anchor.estimate
            )
            cell = anchor_index(table.dimensions, table.domains, shared, domains)
            got = np.bincount(cell, weights=table.estimate.reshape(-1), minlength=want.size)
            assert got.astype(np.int64).tolist() == want.tolist(), (spec.name, name)
            checked += 1
    assert checked >= 30


def test_release_command_end_to_end(tmp_path, capsys, ledger_dir):
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()], ledger_id="c" * 32)
    assert (
        main(["release", "--warehouse", str(warehouse), "--out", str(tmp_path / "r.duckdb")]) == 0
    )
    assert "written to" in capsys.readouterr().out
    assert load_release(tmp_path / "r.duckdb").metadata["k"] == 10
    # The release is accounted in the data's ledger, in the ledger directory, not beside it.
    assert len((ledger_dir / f"privacy-ledger-{'c' * 32}.jsonl").read_text().splitlines()) == 1
    assert not (tmp_path / "privacy-ledger.jsonl").exists()


def test_missing_or_corrupt_release_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="no release"):
        load_release(tmp_path / "nothing.duckdb")
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(UserError, match="cannot be opened"):
        load_release(bad)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(UserError, match="not a complete BINC release"):
        load_release(empty)


# ---- the privacy config ---------------------------------------------------------------------


def test_a_config_exceeding_the_budget_is_refused(tmp_path):
    text = DEFAULT_CONFIG.replace("share = 0.17", "share = 0.57")
    with pytest.raises(UserError, match=r"budget ledger.*may not exceed 1"):
        load_config(write_config(tmp_path, text))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contribution_cap": 0}, "c must be at least 1"),
        ({"k": 0}, "at least 1"),
        ({"epsilon_total": -1}, "positive"),
    ],
)
def test_privacy_knobs_outside_the_rules_are_refused(tmp_path, change, message):
    with pytest.raises(UserError, match=message):
        load_config(write_config(tmp_path, **change))


def test_an_unknown_dimension_is_refused(tmp_path):
    text = DEFAULT_CONFIG.replace(
        'dimensions = ["year", "province"]', 'dimensions = ["year", "street"]'
    )
    with pytest.raises(UserError, match=r"unknown dimension.*street"):
        load_config(write_config(tmp_path, text))


def test_the_lifetime_budget_is_enforced(tmp_path):
    """Wherever the releases are written (tests/spec/test_ledger.py has the ledger's own rules)."""
    warehouse = make_warehouse(tmp_path / "w.duckdb", [trajectory()])
    config = write_config(tmp_path, lifetime_epsilon_limit=1.5)
    (tmp_path / "elsewhere").mkdir()
    build_release(warehouse, tmp_path / "one.duckdb", config)
    with pytest.raises(UserError, match=r"lifetime budget rule \(lifetime_epsilon_limit\)"):
        build_release(warehouse, tmp_path / "elsewhere" / "two.duckdb", config)


def test_a_release_of_synthetic_data_says_so_wherever_it_is_moved(small_release, tmp_path):
    warehouse, summary = small_release
    warehouse = shared(warehouse, tmp_path)
    assert load_release(summary.path).metadata["synthetic"] is False
    marked = build_release(warehouse, tmp_path / "demo.duckdb", synthetic=True)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (tmp_path / "demo.duckdb").rename(moved / "r.duckdb")
    assert load_release(moved / "r.duckdb").metadata["synthetic"] is True
    assert marked.release_id != summary.release_id


HIDDEN = {
    "value": None,
    "ci_low": None,
    "ci_high": None,
    "suppressed": True,
    "too_uncertain": False,
}


@pytest.mark.parametrize(
    ("noisy", "expected"),
    [
        # the raw noisy count can be negative: it is not published, and 0 is below k
        (
            -93,
            HIDDEN,
        ),
        (
            9,
            HIDDEN,
        ),
        # ε 0.01, Δ 3, α = exp(-0.01/3): the exact one-cell 95% half-width h is 899, as
        # (h + 1) ≥ ln(0.025·(1 + α)) / ln α = 899.2
        (
            120,
            {
                "value": 120,
                "ci_low": 0,
                "ci_high": 1019,
                "suppressed": False,
                "too_uncertain": True,
            },
        ),
        (
            5000,
            {
                "value": 5000,
                "ci_low": 4101,
                "ci_high": 5899,
                "suppressed": False,
                "too_uncertain": False,
            },
        ),
    ],
)
def test_the_dropped_count_is_published_as_every_count(noisy, expected):
    """Hidden below k, clamped at 0, with its exact interval, and flagged too uncertain by the
    config's rule (half-width above half the value) — never the raw noisy number."""
    from binc.core.noise import GeometricNoise
    from binc.release.build import dropped_figure
    from binc.release_file import Measurement

    noise = GeometricNoise(epsilon=0.01, sensitivity=3)
    assert noise.half_width(0.95) == 899
    table = Measurement("dropped_by_bounding", "dropped_trajectories", (), (), noise,
                        np.array(noisy), np.array(max(noisy, 0)))  # fmt: skip
    assert dropped_figure(table, load_config()) == expected
