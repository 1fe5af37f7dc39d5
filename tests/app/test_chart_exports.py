"""Every chart stands on its own (issue "self-describing outputs", items 1, 2 and 4): the figure
sent to the browser — which the camera button exports as it is drawn — carries its title, the
filters and period it shows, the unit, the source line (Opgroeien, BINC, release, date of the
data), the licence, the link to the exact view and the synthetic-data mark, in the page's
language; the modebar speaks that language; the PNG and the chart's CSV are named after the view;
the CSV holds exactly the chart's rows, rounded as shown, empty where suppressed, with what the
image says in its last columns; jargon sits behind "Technische uitleg"; Streamlit's widget
placeholders come from the language files.

The browser side (the real PNG and CSV downloads) is tests/browser/test_chart_downloads.py.
The compare page's charts are dressed the same way once that page is moved to dashboard.panels
(it is being rewritten with the release work); here it is left out.
"""

from __future__ import annotations

import io
import json
import re

import polars as pl
import pytest
from support.small_release import open_page

from binc.core import i18n
from binc.export.labels import display_label

pytestmark = pytest.mark.usefixtures("app_release")

CHART_PAGES = ("overview", "target_group", "duration", "outcomes")
TABLE_IN_A_TAB = "target_group"  # its chart's table is a tab of its own (the answer's tables)
META = ["title", "filters", "unit", "source", "licence", "view", "synthetic"]


@pytest.fixture
def handed(monkeypatch) -> list[dict]:
    """Every download button's label, data and options, in the order the page draws them."""
    import streamlit as st

    seen: list[dict] = []
    original = st.download_button

    def spy(label, data, *args, **kwargs):
        seen.append({"label": label, "data": data, **kwargs})
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    return seen


def _open(page: str, query: dict, handed: list[dict] | None = None):
    at = open_page(page, query, handed)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _plain(text: str) -> str:
    """A text as read, for comparing: no markup, no line breaks, no spaces (wrapping may split a
    link anywhere). plotly.js reads the entities &amp; &lt; &gt; (charts._escape writes them)."""
    text = re.sub(r"<[^>]+>", "", text.replace("<br>", ""))
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return re.sub(r"\s+", "", text)


def _dressed(at) -> list[tuple[dict, dict, dict[str, str]]]:
    """(figure, config, its caption's texts by name) of every chart dressed by dashboard.panels."""
    out = []
    for chart in at.get("plotly_chart"):
        spec, config = json.loads(chart.proto.spec), json.loads(chart.proto.config)
        notes = {
            n["name"]: n["text"] for n in spec["layout"].get("annotations", []) if n.get("name")
        }
        if {"title", "subtitle", "footer"} <= set(notes):
            out.append((spec, config, notes))
    return out


def _csvs(handed: list[dict], lang: str) -> list[dict]:
    return [h for h in handed if h["label"] == i18n.text("figure.csv", lang)]


def _read(data: bytes, lang: str) -> pl.DataFrame:
    if lang == "nl":  # as Excel (nl-BE) opens it
        assert data.startswith("\ufeff".encode())
        return pl.read_csv(
            io.BytesIO(data[3:]), separator=";", decimal_comma=True, infer_schema=False
        )
    return pl.read_csv(io.BytesIO(data), infer_schema=False)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("page", CHART_PAGES)
def test_every_chart_says_what_it_is_in_the_page_language(page, lang, handed):
    at = _open(page, {"lang": lang}, handed)
    charts = at.get("plotly_chart")
    dressed = _dressed(at)
    assert charts
    assert len(dressed) == len(charts)
    csvs = _csvs(handed, lang)
    assert len(csvs) == len(charts)  # a CSV button for every chart, in the same order
    word = i18n.text
    for (spec, config, notes), csv in zip(dressed, csvs, strict=True):
        assert _plain(notes["title"])
        assert _plain(f"{word('dim.year', lang)}:") in _plain(notes["subtitle"])  # the period
        footer = _plain(notes["footer"])
        for expected in (word("export.synthetic", lang), f"{word('figure.unit', lang)}:",
                         f"{word('export.key_source', lang)}: Opgroeien, BINC", "release",
                         word("export.licence", lang), f"{word('figure.link', lang)}:",
                         f"lang={lang}"):  # fmt: skip
            assert _plain(expected) in footer, (expected, notes["footer"])
        # the modebar: only the camera, its tooltip in the page's language, the PNG named as the CSV
        assert config["modeBarButtons"] == [["toImage"]]
        assert config["displaylogo"] is False
        assert config["locale"] == lang
        assert config["locales"][lang]["dictionary"]["Download plot as a PNG"] == word(
            "plotly.download_png", lang
        )
        image = config["toImageButtonOptions"]
        assert image["format"] == "png"
        assert image["height"] == spec["layout"]["height"]
        assert csv["file_name"] == f"{image['filename']}.csv"
        assert image["filename"].startswith("binc_")
        assert image["filename"].endswith(word("tables.synthetic_suffix", lang))


def test_a_filtered_view_names_its_filters_in_the_image_and_in_the_file_names(handed):
    # (durations per partnership are measured for all types together, so the type filter is
    # tried for Flanders)
    query = {"lang": "nl", "year": ["2024"], "type": ["coaching_short"]}
    at = _open("duration", query, handed)
    dressed = _dressed(at)
    bands = dressed[0]  # duration bands: every filter applies
    subtitle = _plain(bands[2]["subtitle"])
    for shown in ("Startjaar: 2024", display_label("trajectory_type", "coaching_short", "nl")):
        assert _plain(shown) in subtitle
    stem = bands[1]["toImageButtonOptions"]["filename"]
    assert stem == "binc_duration-bands_ended_coaching-short_2024_synthetisch"
    link = "/duur?lang=nl&year=2024&type=coaching_short"
    assert _plain(link) in _plain(bands[2]["footer"])
    # the waiting time is not measured per type: its chart says all types, and so do its names
    waiting = next(d for d in dressed if "waiting" in d[1]["toImageButtonOptions"]["filename"])
    assert _plain(i18n.text("figure.all_types", "nl")) in _plain(waiting[2]["subtitle"])
    assert "coaching-short" not in waiting[1]["toImageButtonOptions"]["filename"]
    # every CSV says the same as its image
    for (_, _, notes), csv in zip(dressed, _csvs(handed, "nl"), strict=True):
        about = _read(csv["data"], "nl").row(0, named=True)
        assert _plain(about["filters"]) == _plain(notes["subtitle"])
        assert about["view"] == link
        assert about["synthetic"] == i18n.text("export.synthetic", "nl")
        assert _plain(about["licence"]) in _plain(notes["footer"])
        assert _plain(about["source"]) in _plain(notes["footer"])


def _decimals(shown: str, lang: str) -> int:
    mark = "," if lang == "nl" else "."
    return len(shown.split(mark)[1]) if mark in shown else 0


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("page", [p for p in CHART_PAGES if p != TABLE_IN_A_TAB])
def test_a_charts_csv_holds_exactly_the_rows_of_its_table(page, lang, handed):
    """Same rows in the same order as the chart's table, the labels it shows, the values rounded as
    shown, empty where suppressed; codes beside the labels; the caption's texts in the last columns."""
    at = _open(page, {"lang": lang, "year": ["2023", "2024", "2025"]}, handed)
    shown = [
        e.get("table")[0].value for e in at.expander if e.label == i18n.text("tabs.table", lang)
    ]
    csvs = _csvs(handed, lang)
    assert len(shown) == len(csvs) == len(at.get("plotly_chart"))
    word = i18n.text("chart.suppressed", lang)
    unsure = i18n.text("chart.too_uncertain", lang)
    for table, csv in zip(shown, csvs, strict=True):
        frame = _read(csv["data"], lang)
        assert frame.columns[-len(META) :] == META
        numbers = frame.columns.index("value")
        assert frame.columns[numbers : numbers + 5] == [
            "value", "ci_low", "ci_high", "suppressed", "too_uncertain",
        ]  # fmt: skip
        assert frame.height == len(table)
        labels = [c for c in frame.columns[:numbers] if c.endswith("_label")] or frame.columns[
            :numbers
        ]
        # the table's label columns (series first, then category) hold the CSV's labels
        assert [list(map(str, table[c])) for c in table.columns[: len(labels)]] == [
            frame[c].to_list() for c in labels
        ]
        value, interval = table.columns[-2], table.columns[-1]
        for row, (text, span) in zip(
            frame.iter_rows(named=True),
            zip(table[value], table[interval], strict=True),
            strict=True,
        ):
            if text in (word, unsure):  # not drawn: no numbers, and the flag that says why
                assert (row["suppressed"], row["too_uncertain"]) == (
                    ("true", "false") if text == word else ("false", "true")
                )
                assert row["value"] is None
                assert row["ci_low"] is None
                continue
            assert (row["suppressed"], row["too_uncertain"]) == ("false", "false")
            places = _decimals(text, lang)
            number = float(row["value"].replace(",", "."))
            assert i18n.format_number(number, lang, places) == text
            low, high = (float(row[c].replace(",", ".")) for c in ("ci_low", "ci_high"))
            assert (
                f"{i18n.format_number(low, lang, places)} – {i18n.format_number(high, lang, places)}"
                == span
            )
        assert frame["source"].str.starts_with("Opgroeien, BINC").all()


def test_the_target_groups_csv_is_what_its_chart_draws(handed):
    at = _open("target_group", {"lang": "nl"}, handed)
    ((spec, _, _),) = _dressed(at)
    frame = _read(_csvs(handed, "nl")[0]["data"], "nl")
    drawn = spec["data"][0]
    shown = frame.filter((pl.col("suppressed") == "false") & (pl.col("too_uncertain") == "false"))
    # the forest draws shown rows as points: value on x, the category's label on y
    assert drawn["y"]
    assert drawn["y"] == shown["age_band_label"].to_list()
    assert [f"{x:.1f}" for x in drawn["x"]] == [v.replace(",", ".") for v in shown["value"]]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_streamlits_widget_placeholders_come_from_the_language_files(lang):
    at = _open("tables", {"lang": lang})
    years, types = at.sidebar.multiselect
    assert years.proto.placeholder == i18n.text("filters.years_placeholder", lang)
    assert types.proto.placeholder == i18n.text("filters.all_types", lang)
    assert at.sidebar.selectbox[0].proto.placeholder == i18n.text("filters.choose_one", lang)
    assert at.multiselect(key="tables_by").proto.placeholder == i18n.text(
        "tables.dimensions_placeholder", lang
    )
    assert at.selectbox(key="tables_measure").proto.placeholder == i18n.text(
        "filters.choose_one", lang
    )


JARGON = {
    "nl": r"\b[kc]\*?\s*=|gecensureerd|\bn maanden|ε",
    "en": r"\b[kc]\*?\s*=|censored|\bn months|ε",
}
TECHNICAL_PAGES = (
    "overview",
    "target_group",
    "duration",
    "outcomes",
    "tables",
    "glossary",
    "method",
)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("page", TECHNICAL_PAGES)
def test_jargon_sits_behind_the_technical_details(page, lang):
    at = _open(page, {"lang": lang})
    (technical,) = [e for e in at.expander if e.label == i18n.text("tech.title", lang)]
    inside = {m.value for m in technical.markdown}
    assert any(re.search(JARGON[lang], text) for text in inside)
    texts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "info")
             for e in getattr(at, kind) if e.value not in inside]  # fmt: skip
    texts += [m.proto.help for m in at.metric]
    texts += [
        w.proto.help
        for kind in ("selectbox", "multiselect", "radio", "toggle")
        for w in at.get(kind)
    ]
    found = [text[:80] for text in texts if re.search(JARGON[lang], text)]
    assert not found, found
