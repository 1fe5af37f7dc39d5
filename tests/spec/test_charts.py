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


def _forest(labels: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"category": labels, "value": [40.0] * len(labels),
                         "ci_low": [30.0] * len(labels), "ci_high": [50.0] * len(labels),
                         "suppressed": [False] * len(labels)})  # fmt: skip


def test_text_is_wrapped_for_a_phone_links_after_their_separators_and_words_never_cut():
    assert charts.wrap("Enkel intake (perspectiefbiedend gesprek)", 20) == [
        "Enkel intake", "(perspectiefbiedend", "gesprek)"
    ]  # fmt: skip
    assert charts.wrap("Eerstelijnspsycholoog", 20) == [
        "Eerstelijnspsycholoog"
    ]  # a word stays whole
    link = "http://host:8501/duur?lang=nl&year=2024&region=P02&type=coaching_short"
    lines = charts.wrap(f"Deze weergave: {link}", 30)
    assert "".join(lines[1:]) == link
    assert all(len(line) <= 30 for line in lines)
    assert all(line.endswith(("/", "&", "?")) for line in lines[1:-1])


def test_no_fixed_right_margin_and_the_legend_below_the_plot():
    figure = charts.forest(_forest(["a", "b"]), "nl", "%", 1)
    assert figure.layout.margin.r <= 10
    assert figure.layout.legend.orientation == "h"
    assert figure.layout.yaxis.automargin is True
    # a long category label is wrapped on its axis, the data keep the label itself
    wrapped = charts.forest(_forest(["Enkel intake (perspectiefbiedend gesprek)"]), "nl", "%", 1)
    assert wrapped.layout.yaxis.ticktext == ("Enkel intake<br>(perspectiefbiedend<br>gesprek)",)
    assert wrapped.data[0].y == ("Enkel intake (perspectiefbiedend gesprek)",)


def test_a_caption_puts_title_filters_and_source_in_the_figure_and_keeps_the_plot():
    figure = charts.forest(_forest(["a", "b", "c"]), "nl", "%", 1)
    plot = figure.layout.height - figure.layout.margin.t - figure.layout.margin.b
    charts.caption(figure, "Aandeel <gepland> & beëindigd", "Startjaar: 2024 · Vlaanderen en Brussel",
                   ["Bron: Opgroeien, BINC", "Deze weergave: http://x/duur?lang=nl&year=2024"],
                   "SYNTHETISCHE DEMOGEGEVENS")  # fmt: skip
    layout = figure.layout
    assert layout.height - layout.margin.t - layout.margin.b == plot  # the plot keeps its height
    notes = {note.name: note.text for note in layout.annotations if note.name}
    assert notes["title"] == "<b>Aandeel &lt;gepland&gt; &amp; beëindigd</b>"  # drawn literally
    assert notes["subtitle"] == "Startjaar: 2024 · Vlaanderen en Brussel"
    assert "SYNTHETISCHE DEMOGEGEVENS" in notes["footer"]
    assert "Bron: Opgroeien, BINC" in notes["footer"]
    assert "lang=nl&amp;year=2024" in notes["footer"]
    footer = next(note for note in layout.annotations if note.name == "footer")
    assert footer.yanchor == "top"
    assert footer.yshift < 0  # below the axis
    assert footer.xshift == 4 - layout.margin.l  # from the figure's left edge


def test_the_maps_colour_bar_lies_below_it_not_beside_it():
    frame = pl.DataFrame({"code": ["10000", "20001"], "category": ["Antwerpen", "Vlaams-Brabant"],
                          "value": [10.0, 20.0], "ci_low": [5.0, 15.0], "ci_high": [15.0, 25.0],
                          "suppressed": [False, False]})  # fmt: skip
    figure = charts.province_map(frame, "nl", "%", 1)
    bar = figure.data[-1].marker.colorbar
    assert bar.orientation == "h"
    assert figure.layout.margin.r == 0
    charts.caption(figure, "Kaart", "Startjaar: 2024", ["Bron: Opgroeien, BINC"])
    assert figure.data[-1].marker.colorbar.yref == "container"


def test_the_modebar_holds_only_the_camera_in_the_pages_language():
    from binc.core import i18n

    config = charts.config("binc_x", "nl", 400)
    assert config["modeBarButtons"] == [["toImage"]]
    assert config["locale"] == "nl"
    dictionary = config["locales"]["nl"]["dictionary"]
    assert dictionary["Download plot as a PNG"] == i18n.text("plotly.download_png", "nl")
    assert config["toImageButtonOptions"] == {"format": "png", "filename": "binc_x", "scale": 2,
                                              "width": charts.EXPORT_WIDTH, "height": 400}  # fmt: skip


def _regions() -> pl.DataFrame:
    """Three categories: drawn, suppressed, too uncertain (its numbers still in the frame)."""
    return pl.DataFrame({
        "category": ["Drawn", "Hidden", "Unsure"], "code": ["10000", "20001", "30000"],
        "value": [40.0, None, 50.0], "ci_low": [35.0, None, 0.0], "ci_high": [45.0, None, 100.0],
        "suppressed": [False, True, False], "too_uncertain": [False, False, True],
    })  # fmt: skip


def _notes(figure) -> list[str]:
    return [a.text for a in figure.layout.annotations]


def test_a_too_uncertain_value_gets_no_point_bar_or_whisker_but_a_note():
    frame = _regions()
    forest = charts.forest(frame, "nl", "%", 1)
    assert list(forest.data[0].y) == ["Drawn"]
    assert list(forest.data[0].error_x.array) == [5.0]
    assert "<i>te onzeker</i>" in _notes(forest)
    assert "<i>onderdrukt</i>" in _notes(forest)
    bars = charts.columns(frame, "en", "%", 1)
    assert list(bars.data[0].x) == [40.0, None, None]
    assert list(bars.data[0].error_x.array) == [5.0, 0.0, 0.0]
    assert "<i>too uncertain</i>" in _notes(bars)
    line = charts.trend(frame, "nl", "%", 1)
    assert list(line.data[0].y) == [40.0, None, None]
    multiples = charts.small_multiples(frame.with_columns(series=pl.lit("P01")), "nl", "%", 1)
    assert list(multiples.data[0].y) == [40.0, None, None]
    assert "<i>te onzeker</i>" in _notes(multiples)


def test_a_too_uncertain_province_is_grey_with_a_note_and_outside_the_colour_scale():
    figure = charts.province_map(_regions(), "nl", "%", 1)
    scale = next(trace for trace in figure.data if trace.mode == "markers")
    assert list(scale.marker.color) == [40.0]
    fills = {trace.name: trace.fillcolor for trace in figure.data if trace.mode == "lines"}
    assert fills["Unsure"] == charts.SUPPRESSED_FILL
    assert "<i>te onzeker</i>" in _notes(figure)


def test_a_series_row_names_which_series_are_too_uncertain():
    frame = pl.concat([_regions().with_columns(series=pl.lit(name)) for name in ("A", "B")])
    frame = frame.with_columns(
        too_uncertain=pl.when(pl.col("series") == "B")
        .then(pl.col("too_uncertain"))
        .otherwise(False)
    )
    notes = _notes(charts.forest(frame, "nl", "%", 1))
    assert any("te onzeker: B" in note for note in notes)


def test_a_charts_csv_flags_too_uncertain_rows_and_leaves_their_numbers_out():
    from dashboard.tables import chart_csv_frame, chart_table

    out = chart_csv_frame(_regions(), 1, "province")
    assert out.columns == ["province", "province_label", "value", "ci_low", "ci_high",
                           "suppressed", "too_uncertain"]  # fmt: skip
    assert out["value"].to_list() == [40.0, None, None]
    assert out["suppressed"].to_list() == [False, True, False]
    assert out["too_uncertain"].to_list() == [False, False, True]
    table = chart_table(_regions(), "nl", 1, "Provincie")
    assert table["Waarde"].to_list() == ["40,0", "onderdrukt", "te onzeker"]
    assert table["95%-interval"].to_list() == ["35,0 – 45,0", "", ""]
