"""Provisional figures are marked on every page (issue 13): on the small release with a calendar that
marks its last start year (2025) provisional, a Dutch page names it "2025 (voorlopig)" — in the
sidebar, in headings, on axes and in table rows —, says "voorlopig cijfer" under its headline cards,
draws its points open on a dashed line with a caption that explains, and an English page says
"provisional" instead; the downloads carry the column `provisional`. The small release without a
calendar shows none of it."""

from __future__ import annotations

import json

import polars as pl
import pytest
from support.provisional import calendar_release_file
from support.small_release import PAGES, open_page

from binc.answering import answer
from binc.answering.catalogue import HEADLINES
from binc.core import i18n
from binc.release_file import load_release
from dashboard import charts

LANGS = (("nl", "voorlopig"), ("en", "provisional"))


@pytest.fixture
def calendar_app_release(monkeypatch: pytest.MonkeyPatch):
    release = calendar_release_file()
    monkeypatch.setenv("BINC_RELEASE", str(release))
    monkeypatch.setenv("BINC_SYNTHETIC", "1")
    return release


@pytest.fixture
def handed(monkeypatch) -> list[dict]:
    """Every download button's label and data (in the sidebar, a column or the page), in the order
    the page draws them."""
    from streamlit.delta_generator import DeltaGenerator

    seen: list[dict] = []
    original = DeltaGenerator.download_button

    def spy(self, label, data, *args, **kwargs):
        seen.append({"label": label, "data": data, **kwargs})
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    return seen


def _open(page: str, link: dict, handed: list[dict] | None = None):
    at = open_page(page, link, handed)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _captions(at) -> list[str]:
    return [str(c.value) for c in at.caption]


def _texts(at) -> list[str]:
    """What a reader sees: headings, prose, captions, notices, cards, sidebar options, tables."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    for widget in ("selectbox", "multiselect", "radio"):
        out += [str(o) for e in at.get(widget) for o in getattr(e.proto, "options", [])]
    for frame in (*at.dataframe, *at.table):
        out += [str(x) for x in frame.value.astype(str).to_numpy().ravel()]
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        out += [str(x) for trace in spec["data"] for x in trace.get("x") or ()]
        out += [str(x) for trace in spec["data"] for x in trace.get("y") or ()]
    return out


def _trend(at) -> dict:
    return next(f for f in map(json.loads, (c.proto.spec for c in at.get("plotly_chart")))
                if f["data"] and f["data"][0].get("mode") == "lines+markers")  # fmt: skip


@pytest.mark.parametrize(("lang", "word"), LANGS)
def test_the_overview_marks_the_provisional_year_everywhere(calendar_app_release, lang, word):
    at = _open("overview", {"lang": lang, "year": "2025"})
    label = i18n.text("provisional.year", lang, year="2025")
    assert label == f"2025 ({word})"
    # the sidebar's list of start years, and the headings of the year
    (years,) = [m for m in at.multiselect if m.key == "f_years"]
    assert list(years.proto.options) == [*map(str, range(2019, 2025)), label]
    headings = [s.value for s in at.subheader]
    assert label in headings[0]
    assert label in headings[1]
    # every shown headline card of 2025 says it is provisional
    release = load_release(calendar_release_file())
    shown = sum(
        not answer(release, m, where={"year": "2025"}).frame["suppressed"].item() for m in HEADLINES
    )
    assert shown >= 3
    assert _captions(at).count(i18n.text("provisional.card", lang)) == shown
    # the trend: 2025 labelled on its axis, open on a dashed line; the others solid and filled
    trend = _trend(at)
    solid, dashed = trend["data"]
    assert solid["x"] == [*map(str, range(2019, 2025)), label]
    assert solid["y"][-1] is None
    assert None not in solid["y"][:-1]
    assert dashed["line"]["dash"] == "dash"
    assert dashed["marker"]["symbol"] == [charts.FILLED] * 6 + [charts.OPEN]
    assert dashed["y"][:5] == [None] * 5
    assert None not in dashed["y"][5:]
    # the caption under it says what the open points are, in the page's language
    note = [c for c in _captions(at) if i18n.text("provisional.markers_line", lang) in c]
    assert len(note) == 1
    assert "2025" in note[0]
    assert i18n.format_date("2027-06-30", lang) in note[0]  # the day 2025 closes
    # its table says so too
    table = pl.from_pandas(next(e.get("table")[0].value for e in at.expander))
    assert table[table.columns[0]].to_list()[-1] == label


@pytest.mark.parametrize(("lang", "word"), LANGS)
def test_no_english_on_the_dutch_page_and_no_dutch_on_the_english_one(
    calendar_app_release, lang, word
):
    other = dict(LANGS)["en" if lang == "nl" else "nl"]
    for page in ("overview", "compare", "method"):
        # the column's name in downloads, `provisional`, is a code in both languages
        texts = [
            t.replace("`provisional`", "")
            for t in _texts(_open(page, {"lang": lang, "year": "2025"}))
        ]
        assert any(word in t.lower() for t in texts), page
        assert not [t for t in texts if other in t.lower()], page


def test_a_release_without_a_calendar_marks_no_year(app_release, monkeypatch):
    """Every page of the small release as it is: no year called provisional, no note, no open
    points; the same check on the calendar release finds them (the control)."""
    marks = [i18n.text(k, "nl") for k in ("provisional.tag", "provisional.card",
                                           "provisional.markers_line", "method.calendar_header")]  # fmt: skip
    for page in PAGES:
        texts = _texts(_open(page, {"year": "2025"}))
        found = [t for t in texts if any(m in t for m in marks) or t.startswith("**Voorlopig**")]
        assert found == [], page
        assert not [t for t in texts if "provisional" in t.lower()], page
    trend = _trend(_open("overview", {"year": "2025"}))
    assert len(trend["data"]) == 1
    assert "meta" not in trend["data"][0]
    monkeypatch.setenv("BINC_RELEASE", str(calendar_release_file()))
    found = [t for t in _texts(_open("overview", {"year": "2025"})) if any(m in t for m in marks)]
    assert found


def test_compare_names_the_period_provisional_and_draws_open_points(calendar_app_release):
    at = _open("compare", {"year": "2025"})
    heading = next(s.value for s in at.subheader)
    assert heading.endswith("· startjaar 2025 (voorlopig)")
    forest = json.loads(at.get("plotly_chart")[0].proto.spec)
    (points,) = forest["data"]
    assert points["meta"] == "points"
    assert set(points["marker"]["symbol"]) == {charts.OPEN}  # every region's 2025 is provisional
    assert any(i18n.text("provisional.markers_points", "nl") in c for c in _captions(at))
    # an outcome measure pools the last three definitive start years (not the provisional one)
    at = _open("compare", {"year": "2025", "measure": "share_planned_end"})
    assert next(s.value for s in at.subheader).endswith("· startjaren 2022–2024 samen")
    # a year that is definitive: no mark and no note under the regions; the chart over the years
    # (every year, 2025 too) keeps its own
    at = _open("compare", {"year": "2023"})
    assert next(s.value for s in at.subheader).endswith("· startjaar 2023")
    notes = [c for c in _captions(at) if c.startswith("**Voorlopig**")]
    assert len(notes) == 1
    assert i18n.text("provisional.markers_line", "nl") in notes[0]
    (points,) = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert "meta" not in points
    assert "symbol" not in points.get("marker", {})


def test_a_table_by_year_and_its_downloads_carry_the_mark(calendar_app_release, handed):
    at = _open("tables", {"year": "2025", "measure": "trajectories", "by": "year"}, handed)
    (shown,) = at.dataframe
    years = shown.value[shown.value.columns[0]].tolist()
    assert years == [*map(str, range(2019, 2025)), "2025 (voorlopig)"]
    assert any(c.startswith("**Voorlopig**: startjaar 2025") for c in _captions(at))
    data = {d["file_name"].rsplit(".", 1)[-1]: d["data"] for d in handed if "file_name" in d}
    csv = pl.read_csv(data["csv"], infer_schema=False)
    assert csv.columns[-1] == "provisional"
    assert csv["provisional"].to_list() == ["false"] * 6 + ["true"]
    book = json.loads(data["json"])
    assert book["format"] == "binc-export/3"
    assert book["columns"][-1]["name"] == "provisional"


def test_the_method_page_explains_provisional_and_definitive(calendar_app_release):
    at = _open("method", {"year": "2025"})
    assert i18n.text("method.calendar_header", "nl") in [h.value for h in at.header]
    text = next(m.value for m in at.markdown if "**voorlopig**" in m.value)
    assert "op 30 juni, 2 jaar na het startjaar" in text
    assert "Voorlopig in deze release: 2025." in text
    # the release notes: what changed since the previous release
    assert i18n.text("method.notes_header", "nl") in [h.value for h in at.subheader]
    notes = next(m.value for m in at.markdown if m.value.startswith("Vergeleken met"))
    assert notes == (f"Vergeleken met de vorige release ({'c' * 32}):\n\n"
                     "- startjaar 2025: voorlopige cijfers opnieuw gemeten\n"
                     "- startjaar 2019: ongeveer 120 trajecten laat geregistreerd sinds de vorige "
                     "release (95%-interval 60 tot 180; zelf met ruis geteld); ze tellen niet mee "
                     "in de definitieve cijfers")  # fmt: skip
    assert "2020: " not in notes  # a hidden late count is not named
    # the per-child lifetime bound, in words and as the release states it
    assert "hoogstens 3 trajecten mee" in text
    assert "hoogstens 10 keer voorlopig" in text
    assert text.endswith("hier ε 5. Het privacyregister houdt dat bij en weigert elke release die "
                         "een kind erboven zou brengen.")  # fmt: skip
    facts = at.table[0].value
    years = facts[facts.columns[1]].tolist()[3]
    assert years.endswith("2024, 2025 (voorlopig)")
