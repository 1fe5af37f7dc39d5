"""Spec: "too uncertain" (issue 11, item 7). The release config declares when a shown value's 95%
interval is too wide to read (`[uncertainty]`), the release records the rule, every answer carries
a `too_uncertain` column by it, and exports flag it in a documented column (contract version 2)
and read back in `binc audit`."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from support.tables import T
from support.warehouses import (
    DEFAULT_CONFIG,
    TWO_TABLE_CONFIG,
    make_warehouse,
    trajectory,
    write_config,
)

from binc.answering import answer
from binc.core.errors import UserError
from binc.core.table import AnsweredTable, UncertaintyRule
from binc.export.codebook import FORMAT, codebook
from binc.export.frame import column_order, export_frame
from binc.export.read import read_export
from binc.export.writers import write_export
from binc.release.build import build_release
from binc.release.config import load_config
from binc.release_file import load_release

# ---- the rule in the config ---------------------------------------------------------------------


def test_the_shipped_config_declares_the_rule():
    rule = load_config().uncertainty
    assert rule == UncertaintyRule(share_points=20.0, count_relative=0.5, median_relative=0.5)
    # the documented defaults for releases written before the rule are the shipped values
    assert UncertaintyRule() == rule


def test_the_rule_is_read_from_the_config(tmp_path):
    config = write_config(tmp_path, share_points=12.5, count_relative=0.25, median_relative=1)
    assert load_config(config).uncertainty == UncertaintyRule(12.5, 0.25, 1.0)


def _without_section(text: str) -> str:
    return re.sub(r"(?ms)^\[uncertainty\]\n.*?(?=^\[)", "", text)


def test_a_config_without_the_section_is_refused_naming_file_and_section(tmp_path):
    path = write_config(tmp_path, _without_section(DEFAULT_CONFIG))
    assert "[uncertainty]" not in path.read_text()
    with pytest.raises(UserError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith(f"{path}: [uncertainty]: the section is missing")
    assert "share_points" in message
    assert "count_relative" in message


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"share_points": 0}, "[uncertainty] share_points", "must be above 0 and at most 100"),
        ({"share_points": 150}, "[uncertainty] share_points", "at most 100"),
        ({"count_relative": -0.5}, "[uncertainty] count_relative", "must be above 0"),
        ({"median_relative": "nan"}, "[uncertainty] median_relative", "must be above 0"),
        ({"share_points": '"20"'}, "[uncertainty]", "`share_points` = '20' has the wrong type"),
        ({"count_relative": "true"}, "[uncertainty]", "wrong type"),
    ],
)
def test_a_rule_outside_its_range_is_refused_naming_the_field(tmp_path, change, where, message):
    path = write_config(tmp_path, **change)
    with pytest.raises(UserError, match=re.escape(message)) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: {where}")


def test_a_missing_or_unknown_field_is_refused(tmp_path):
    missing = DEFAULT_CONFIG.replace("median_relative = 0.5", "")
    with pytest.raises(UserError, match=r"\[uncertainty\]: the field `median_relative` is missing"):
        load_config(write_config(tmp_path, missing))
    unknown = DEFAULT_CONFIG.replace("median_relative = 0.5", "median_relative = 0.5\nrate = 3")
    with pytest.raises(UserError, match=r"\[uncertainty\] rate: unknown field; allowed: share"):
        load_config(write_config(tmp_path, unknown))


# ---- the rule on frames ---------------------------------------------------------------------------


def _frame(rows: list[tuple[float | None, float | None, float | None, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "value": [r[0] for r in rows],
            "ci_low": [r[1] for r in rows],
            "ci_high": [r[2] for r in rows],
            "suppressed": [r[3] for r in rows],
        },
        schema={"value": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64,
                "suppressed": pl.Boolean},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "rows", "expected"),
    [
        # shares and rates: half-width (high - low) / 2 against 20 points, strictly above
        ("share", [(50.0, 30.0, 70.0, False), (50.0, 29.9, 70.0, False), (50.0, 0.0, 100.0, False)],
         [False, True, True]),
        ("rate", [(10.0, 0.0, 40.0, False), (10.0, 0.0, 40.2, False)], [False, True]),
        # counts: half-width against half the value (a clipped lower bound counts as it is)
        ("count", [(40.0, 22.0, 58.0, False), (30.0, 12.0, 48.0, False), (12.0, 0.0, 30.0, False)],
         [False, True, True]),
        # medians: half-width against half the median
        ("median", [(4.0, 2.0, 6.0, False), (4.0, 1.0, 7.2, False)], [False, True]),
        # suppressed, or no interval: never too uncertain
        ("share", [(None, None, None, True), (50.0, None, None, False)], [False, False]),
    ],
)  # fmt: skip
def test_the_rule_compares_the_half_width_by_kind(kind, rows, expected):
    out = _frame(rows).with_columns(UncertaintyRule().expression(kind))
    assert out["too_uncertain"].to_list() == expected


def test_a_release_without_the_rule_is_read_with_the_defaults():
    assert UncertaintyRule.from_metadata({}) == UncertaintyRule()
    assert UncertaintyRule.from_metadata({"uncertainty": {"share_points": 10}}) == UncertaintyRule(
        share_points=10.0
    )
    odd = {"uncertainty": {"share_points": -1, "count_relative": True, "median_relative": "x"}}
    assert UncertaintyRule.from_metadata(odd) == UncertaintyRule()


# ---- a release records the rule; answers carry the column ---------------------------------------


def _two_table_config(tmp_path: Path, **rule: object) -> Path:
    return write_config(tmp_path, TWO_TABLE_CONFIG, **rule)


def _pseudonym(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


# 60 trajectories (one child each) for every partnership and year, but in 2023 P02–P05 have 40,
# 30, 20 and 14: enough data around them that suppression leaves them shown.
SIZES = {"P02": 40, "P03": 30, "P04": 20, "P05": 14}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("uncertain")
    rows = []
    for year in range(2019, 2026):
        for number in range(1, 17):
            partnership = f"P{number:02d}"
            n = SIZES.get(partnership, 60) if year == 2023 else 60
            rows += [trajectory(record_id=f"{year}-{partnership}-{i}", partnership_id=partnership,
                                pseudonym=_pseudonym(f"{year}-{partnership}-{i}"),
                                referral_date=date(year, 1, 10), start_date=date(year, 2, 1),
                                end_date=date(year, 6, 15))
                     for i in range(n)]  # fmt: skip
    warehouse = make_warehouse(base / "w.duckdb", rows)
    config = _two_table_config(base)
    summary = build_release(warehouse, base / "r.duckdb", config, rng=np.random.default_rng(7))
    return summary.path, warehouse


def _geometric_half_width(epsilon: float, sensitivity: int) -> int:
    """By hand: the smallest h with P(|X| <= h) >= 95% for the two-sided geometric with
    α = exp(-ε/Δ): P(|X| > h) = 2α^(h+1)/(1+α)."""
    alpha = math.exp(-epsilon / sensitivity)
    h = 0
    while 2 * alpha ** (h + 1) / (1 + alpha) > 0.05:
        h += 1
    return h


def test_the_release_records_the_rule(tiny):
    release = load_release(tiny[0])
    assert release.metadata["uncertainty"] == {
        "share_points": 20.0,
        "count_relative": 0.5,
        "median_relative": 0.5,
    }


def test_counts_are_flagged_by_their_hand_computed_half_widths(tiny):
    release = load_release(tiny[0])
    h = _geometric_half_width(0.5, 3)  # year_partnership: share 0.5 of ε 1, c = 3
    assert h == 18
    frame = answer(release, "trajectories", by=("partnership",), where={"year": "2023"}).frame
    shown = frame.filter(~pl.col("suppressed"))
    assert shown.height >= 3, frame
    for row in shown.iter_rows(named=True):
        value = row["value"]
        # one noisy cell per answer cell: the interval is value ± h, its lower end clipped at 0
        assert (row["ci_low"], row["ci_high"]) == (max(0.0, value - h), value + h), row
        half = (value + h - max(0.0, value - h)) / 2
        assert row["too_uncertain"] == bool(half > 0.5 * value), row
    flags = dict(zip(shown["partnership"], shown["too_uncertain"], strict=True))
    assert flags["P01"] is False  # 60 ± 18
    assert True in flags.values(), flags  # some small partnership's ±18 is more than half of it
    # a suppressed value is never "too uncertain": it is not shown at all
    assert not frame.filter(pl.col("suppressed"))["too_uncertain"].any()


def test_shares_are_flagged_by_their_hand_computed_half_widths(tiny):
    release = load_release(tiny[0])
    shares = answer(release, "share", by=("year", "partnership"), where={"year": "2023"}).frame
    alpha = math.exp(-0.5 / 3)
    cell_variance = 2 * alpha / (1 - alpha) ** 2  # the two-sided geometric's variance
    noisy = release.measurements["year_partnership"]
    others = len(noisy.domains[1]) - 1
    year = list(noisy.domains[0]).index("2023")
    estimate = dict(zip(noisy.domains[1], noisy.estimate[year].astype(float), strict=True))
    total = sum(estimate.values())
    shown = shares.filter(~pl.col("suppressed"))
    assert shown.height >= 2
    seen = set()
    for row in shown.iter_rows(named=True):
        n = estimate[row["partnership"]]
        rest = total - n
        # delta method on numerator and remainder: one cell against the year's other cells
        variance = (rest**2 * cell_variance + n**2 * others * cell_variance) / total**4
        half = 1.959964 * math.sqrt(variance)
        share = n / total
        low, high = 100 * max(0.0, share - half), 100 * min(1.0, share + half)
        assert row["ci_low"] == pytest.approx(low, abs=1e-6)
        assert row["ci_high"] == pytest.approx(high, abs=1e-6)
        assert row["too_uncertain"] == bool((high - low) / 2 > 20.0), row
        seen.add(row["too_uncertain"])
    assert False in seen


def test_a_stricter_rule_in_the_config_flags_more(tiny, tmp_path):
    release, warehouse = tiny
    strict = _two_table_config(tmp_path, count_relative=0.1)
    # the same noise (same seed, no child over the cap): only the rule differs
    summary = build_release(warehouse, tmp_path / "strict.duckdb", strict,
                            rng=np.random.default_rng(7))  # fmt: skip
    question = {"measure": "trajectories", "by": ("partnership",), "where": {"year": "2023"}}
    default = answer(load_release(release), **question).frame
    frame = answer(load_release(summary.path), **question).frame
    assert frame.drop("too_uncertain").equals(default.drop("too_uncertain"))
    for row in frame.filter(~pl.col("suppressed")).iter_rows(named=True):
        assert row["too_uncertain"] == bool(
            (row["ci_high"] - row["ci_low"]) / 2 > 0.1 * row["value"]
        )
    assert (frame["too_uncertain"] | ~default["too_uncertain"]).all()  # every flag stays
    assert frame["too_uncertain"].sum() > default["too_uncertain"].sum()


def test_an_older_release_without_the_rule_uses_the_defaults(tiny):
    release = load_release(tiny[0])
    recorded = answer(release, "trajectories", by=("partnership",), where={"year": "2023"}).frame
    older = load_release(tiny[0])
    del older.metadata["uncertainty"]  # as a release written before the rule existed
    frame = answer(older, "trajectories", by=("partnership",), where={"year": "2023"}).frame
    assert frame["too_uncertain"].to_list() == recorded["too_uncertain"].to_list()
    other = load_release(tiny[0])
    other.metadata["uncertainty"] = {"share_points": 20.0, "count_relative": 10.0,
                                     "median_relative": 0.5}  # fmt: skip
    assert not answer(other, "trajectories", by=("partnership",),
                      where={"year": "2023"}).frame["too_uncertain"].any()  # fmt: skip


def test_every_answer_frame_has_the_column_in_the_documented_place(tiny):
    release = load_release(tiny[0])
    for measure, by in (("trajectories", ("year",)), ("share", ("year", "partnership"))):
        frame = answer(release, measure, by=by, totals=True).frame
        assert frame.columns[-6:] == ["value", "ci_low", "ci_high", "base", "suppressed",
                                      "too_uncertain"]  # fmt: skip
        assert frame.schema["too_uncertain"] == pl.Boolean
        assert frame["too_uncertain"].null_count() == 0


# ---- exports: the column, the version, the codebook, reading back --------------------------------


def _uncertain_counts() -> AnsweredTable:
    frame = pl.DataFrame(
        {
            "sex": ["M", "V", "X", T],
            "value": [200.0, 30.0, None, 240.0],
            "ci_low": [182.0, 12.0, None, 215.0],
            "ci_high": [218.0, 48.0, None, 265.0],
            "base": [200.0, 30.0, None, 240.0],
            "suppressed": [False, False, True, False],
        }
    )
    metadata = {"release_id": "r-1", "k": 10, "created_at": "2026-11-29T10:00:00+01:00"}
    return AnsweredTable("trajectories", "count", ("sex",), frame, "trajectories", metadata)


def test_an_export_flags_too_uncertain_values_and_keeps_their_numbers():
    frame = export_frame(_uncertain_counts(), "nl")
    assert frame.columns == ["sex", "sex_label", "value", "ci_low", "ci_high", "suppressed",
                             "too_uncertain"] == column_order(("sex",))  # fmt: skip
    rows = {r["sex"]: r for r in frame.iter_rows(named=True)}
    # 30 with 12–48: half-width 18 > 15 → flagged, numbers kept for researchers
    assert (rows["V"]["value"], rows["V"]["ci_low"], rows["V"]["ci_high"]) == (30, 12, 48)
    assert rows["V"]["too_uncertain"] is True
    assert rows["M"]["too_uncertain"] is False
    assert (rows["X"]["suppressed"], rows["X"]["too_uncertain"]) == (True, False)


def test_the_codebook_names_version_2_the_column_and_the_rule():
    assert FORMAT == "binc-export/2"
    for language, word in (("nl", "te onzeker"), ("en", "too uncertain")):
        book = codebook(_uncertain_counts(), language)
        assert book["format"] == "binc-export/2"
        names = [c["name"] for c in book["columns"]]
        assert names[-2:] == ["suppressed", "too_uncertain"]
        column = book["columns"][-1]
        assert column["type"] == "boolean"
        assert word in column["description"]
        assert book["uncertainty"]["too_uncertain_cells"] == 1
        assert book["uncertainty"]["share_points"] == 20.0
        assert "20" in book["uncertainty"]["rule"]
        assert "50%" in book["uncertainty"]["rule"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_a_new_export_reads_back_with_its_flags(tmp_path, fmt):
    path = tmp_path / f"t.{fmt}"
    write_export(_uncertain_counts(), path, fmt)
    table = read_export(path)
    assert table.metadata["format"] == "binc-export/2"
    assert table.frame.schema["too_uncertain"] == pl.Boolean
    flags = dict(zip(table.frame["sex"], table.frame["too_uncertain"], strict=True))
    assert flags == {"M": False, "V": True, "X": False, T: False}


def test_a_version_1_export_still_reads(tmp_path):
    path = tmp_path / "old.csv"
    write_export(_uncertain_counts(), path, "csv")
    frame = pl.read_csv(path, infer_schema=False).drop("too_uncertain")
    frame.write_csv(path)
    book_path = tmp_path / "old.codebook.json"
    book = json.loads(book_path.read_text())
    book["format"] = "binc-export/1"
    book["columns"] = book["columns"][:-1]
    book_path.write_text(json.dumps(book))
    table = read_export(path)
    assert "too_uncertain" not in table.frame.columns
    assert table.frame["suppressed"].to_list() == [False, False, True, False]


def test_a_version_2_export_without_the_column_or_an_unknown_version_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    write_export(_uncertain_counts(), path, "csv")
    pl.read_csv(path, infer_schema=False).drop("too_uncertain").write_csv(path)
    with pytest.raises(UserError, match="column 'too_uncertain' is missing"):
        read_export(path)
    write_export(_uncertain_counts(), path, "csv")
    book_path = tmp_path / "t.codebook.json"
    book = json.loads(book_path.read_text())
    book["format"] = "binc-export/9"
    book_path.write_text(json.dumps(book))
    with pytest.raises(
        UserError, match=r"export format 'binc-export/9'.*reads binc-export/1, binc-export/2"
    ):
        read_export(path)


def test_a_flag_that_is_not_true_or_false_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    write_export(_uncertain_counts(), path, "csv")
    frame = pl.read_csv(path, infer_schema=False)
    frame.with_columns(too_uncertain=pl.lit("maybe")).write_csv(path)
    with pytest.raises(UserError, match=r"row 2, column 'too_uncertain' must be true or false"):
        read_export(path)
