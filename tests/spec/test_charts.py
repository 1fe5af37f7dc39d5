"""Spec: charts say numbers as the reader writes them and place months at their distance."""

from __future__ import annotations

import polars as pl

from dashboard import charts


def _survival(series: list[str]) -> pl.DataFrame:
    rows = [
        {"category": month, "series": name, "value": value, "ci_low": value - 5.0,
         "ci_high": value + 5.0, "suppressed": False}
        for name in series
        for month, value in (("0", 100.0), ("3", 80.0), ("6", 55.0), ("12", 20.0))
    ]  # fmt: skip
    return pl.DataFrame(rows)


def test_months_sit_at_their_distance_on_a_numeric_axis():
    figure = charts.trend(_survival(["A"]), "nl", "%", 1, x_title="maanden", numeric_x=True)
    axis = figure.layout.xaxis
    assert axis.type == "linear"
    assert list(axis.tickvals) == [0.0, 3.0, 6.0, 12.0]
    assert list(axis.ticktext) == ["0", "3", "6", "12"]
    assert list(figure.data[0].x) == [0.0, 3.0, 6.0, 12.0]


def test_series_are_set_apart_so_their_whiskers_do_not_pile_up():
    figure = charts.trend(_survival(["A", "B", "C"]), "nl", "%", 1, numeric_x=True)
    firsts = [trace.x[1] for trace in figure.data]
    assert len(set(firsts)) == 3
    assert max(firsts) - min(firsts) < 1  # still read as month 3
    assert sum(firsts) / 3 == 3.0


def test_years_stay_categories():
    frame = _survival(["A"]).with_columns(pl.col("category").replace({"0": "2022", "3": "2023",
                                                                      "6": "2024", "12": "2025"}))  # fmt: skip
    assert charts.trend(frame, "nl", "n", 0).layout.xaxis.type == "category"


def test_axis_numbers_are_whole_and_grouped_never_2k():
    figure = charts.trend(_survival(["A"]), "nl", "%", 1)
    for axis in (figure.layout.xaxis, figure.layout.yaxis):
        assert axis.exponentformat == "none"
        assert axis.separatethousands is True
    assert figure.layout.separators == ",."  # decimal comma, thousands dot


def test_download_names_hold_only_public_codes_in_a_portable_form():
    from dashboard.tables import file_stem

    assert file_stem(["binc", "trajectories", "year", "P03", "2024", "synthetisch"]) == (
        "binc_trajectories_year_p03_2024_synthetisch"
    )
    assert file_stem(["binc", "share", "Ä/b c", "", "x" * 200]).startswith("binc_share_b-c_xxx")
    assert len(file_stem(["x" * 500])) == 120
