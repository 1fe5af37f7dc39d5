"""The bundled number of children aged 0–17 (data/reference/population_0_17.csv), the denominator of
rates per 1,000 children: every reporting province has a figure for every year that has province
figures, every region for every year listed, provinces add up to their region, and the numbers are
the size Statbel's publications say (sources in data/reference/SOURCES.md, docs/domain.md §5)."""

from __future__ import annotations

from itertools import pairwise

import polars as pl

from binc.core.reference import population_0_17, provinces

FLANDERS = "02000"
BRUSSELS = "04000"


def _level(level: str) -> pl.DataFrame:
    return population_0_17().filter(pl.col("region_level") == level)


def _value(level: str, code: str, year: int) -> int:
    row = population_0_17().filter(
        (pl.col("region_level") == level)
        & (pl.col("region_code") == code)
        & (pl.col("year") == year)
    )
    assert row.height == 1, (level, code, year)
    return int(row["children_0_17"][0])


def test_the_table_has_its_columns_types_and_one_row_per_area_and_year():
    table = population_0_17()
    assert table.columns == ["region_level", "region_code", "year", "children_0_17", "source"]
    assert table.schema["year"] == pl.Int32
    assert table.schema["children_0_17"] == pl.Int64
    assert table.null_count().row(0) == (0, 0, 0, 0, 0)
    assert set(table["region_level"]) == {"province", "region"}
    assert not table.select("region_level", "region_code", "year").is_duplicated().any()


def test_codes_are_those_of_the_reference_geography():
    assert set(_level("province")["region_code"]) == set(provinces()["province_nis"])
    assert set(_level("region")["region_code"]) == set(provinces()["region_nis"])


def test_every_province_has_a_figure_for_every_province_year():
    table = _level("province")
    years = set(table["year"])
    assert years == {2020, 2021, 2022, 2023}  # the years a public source gave per province
    codes = set(provinces()["province_nis"])
    for year in years:
        assert set(table.filter(pl.col("year") == year)["region_code"]) == codes, year


def test_every_region_has_a_figure_for_every_year_listed():
    table = _level("region")
    years = set(population_0_17()["year"])
    assert years == {2020, 2021, 2022, 2023, 2025}
    for year in years:
        assert set(table.filter(pl.col("year") == year)["region_code"]) == {FLANDERS, BRUSSELS}


def test_provinces_sum_to_their_region_where_both_are_present():
    region_of = dict(zip(provinces()["province_nis"], provinces()["region_nis"], strict=True))
    sums = (
        _level("province")
        .with_columns(pl.col("region_code").replace_strict(region_of).alias("region"))
        .group_by("region", "year")
        .agg(pl.col("children_0_17").sum())
    )
    assert sums.height == 2 * 4
    for region, year, total in sums.iter_rows():
        assert total == _value("region", region, year), (region, year)


def test_figures_are_plausible():
    # Flanders had about 6.6-6.9 million inhabitants in 2020-2025, a fifth of them minors
    for year in set(_level("region")["year"]):
        assert 1_200_000 < _value("region", FLANDERS, year) < 1_400_000, year
        assert 250_000 < _value("region", BRUSSELS, year) < 300_000, year
    # Limburg is the smallest Flemish province, Antwerpen the largest
    for year, frame in _level("province").group_by("year"):
        flemish = frame.filter(pl.col("region_code") != BRUSSELS)
        assert flemish["children_0_17"].min() == _value("province", "70000", year[0])
        assert flemish["children_0_17"].max() == _value("province", "10000", year[0])
        assert flemish["children_0_17"].is_between(150_000, 400_000).all()


def test_no_area_jumps_by_more_than_three_percent_a_year():
    for (level, code), frame in population_0_17().group_by("region_level", "region_code"):
        for (y0, v0), (y1, v1) in pairwise(
            frame.sort("year").select("year", "children_0_17").iter_rows()
        ):
            assert abs(v1 / v0 - 1) <= 0.03 * (y1 - y0), (level, code, y0, y1)


def test_flanders_agrees_with_independent_publications():
    # Opgroeien (docs/domain.md [S34]), from Statbel: +15,299 minors from 2022 to 2023, 19.4% of
    # the population; the Flemish Region had 6,774,807 inhabitants on 1 January 2023 ([S25])
    assert _value("region", FLANDERS, 2023) - _value("region", FLANDERS, 2022) == 15_299
    assert round(100 * _value("region", FLANDERS, 2023) / 6_774_807, 1) == 19.4
    # Statbel be.STAT, population on 1 January 2025, less than 18 years
    assert _value("region", FLANDERS, 2025) == 1_315_768
    assert _value("region", BRUSSELS, 2025) == 268_740
