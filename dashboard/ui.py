"""What the user is looking at: language and sidebar filters, mirrored in the URL so a view can be shared.

The sidebar is drawn once per run by app.py; pages read the same choices with `current_view()`.
Query parameters (`lang`, `year`, `region`, `type`) seed the widgets when a session starts and are
rewritten after every change, so copying the address bar copies the view. Values from the URL are
checked against the public code lists; anything unknown is ignored, and named in a notice only when
it is a short code (`quoted`). Every menu link carries the filters (`link_params`); each page's own
choices are bound to their parameters by dashboard.view_state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from binc.answering.calendar import closing_date
from binc.core import i18n, reference
from binc.export.labels import display_label
from dashboard import streamlit_texts
from dashboard.charts import modebar

ALL = "ALL"
LANG_KEY, YEARS_KEY, REGION_KEY, TYPES_KEY = "f_lang", "f_years", "f_region", "f_types"
URL = {LANG_KEY: "lang", YEARS_KEY: "year", REGION_KEY: "region", TYPES_KEY: "type"}
SEEDED = "_seeded_from_url"
IGNORED = "_ignored_in_url"


def language() -> str:
    value = st.session_state.get(LANG_KEY)
    return value if value in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def t(key: str, **values: object) -> str:
    """UI text in the session's language."""
    return i18n.text(key, language(), **values)


def label(dimension: str, code: str, lang: str | None = None) -> str:
    """A code's label: the reference labels, or the UI file for codes a release adds (status, yes/no)."""
    return display_label(dimension, code, lang or language())


def year_label(year: str, provisional: Collection[str], lang: str | None = None) -> str:
    """A start year as every page names it: "2025 (voorlopig)" / "2025 (provisional)" when its
    figures are provisional in this release (`provisional`: data.provisional_years())."""
    if year in provisional:
        return i18n.text("provisional.year", lang or language(), year=year)
    return year


def provisional_text(
    metadata: Mapping[str, Any], years: Sequence[str], lang: str | None = None
) -> str:
    """What "voorlopig" means for the provisional start `years` a figure rests on, with the day each
    closes when the release's calendar says (empty when there are none)."""
    lang = lang or language()
    if not years:
        return ""
    dates = [closing_date(metadata, year) for year in years]
    dated = all(day is not None for day in dates)
    if len(years) == 1:
        key = "provisional.note_one" if dated else "provisional.note_one_undated"
        return i18n.text(key, lang, year=years[0], closing=i18n.format_date(dates[0], lang))
    closings = ", ".join(
        i18n.text("provisional.closing_item", lang, year=y, date=i18n.format_date(d, lang))
        for y, d in zip(years, dates, strict=True)
    )
    key = "provisional.note_many" if dated else "provisional.note_many_undated"
    return i18n.text(key, lang, years=", ".join(years), closings=closings)


def provisional_note(metadata: Mapping[str, Any], years: Sequence[str], markers: str = "") -> None:
    """Under a chart or table: which start years its provisional figures are of and what that
    means, and how the chart draws them (`markers`: "line", "points" or "bars"); nothing when it
    rests on no provisional year."""
    if years:
        text = provisional_text(metadata, years)
        if markers:
            text += " " + t(f"provisional.markers_{markers}")
        st.caption(text)


def number(value: float | None, decimals: int = 0) -> str:
    return i18n.format_number(value, language(), decimals)


def partnerships() -> tuple[str, ...]:
    return tuple(reference.partnerships()["partnership_id"])


def provinces() -> tuple[str, ...]:
    return tuple(reference.provinces()["province_nis"])


def trajectory_types() -> tuple[str, ...]:
    return reference.codes("trajectory_type")


@dataclass(frozen=True)
class View:
    language: str
    years: tuple[str, ...]  # chosen start years (never empty: none chosen = all)
    all_years: tuple[str, ...]
    region: str  # ALL, a partnership code or a province code
    types: tuple[str, ...]  # chosen trajectory types (empty = all)

    @property
    def region_dimension(self) -> str | None:
        if self.region == ALL:
            return None
        return "partnership" if self.region in partnerships() else "province"

    @property
    def latest_year(self) -> str:
        return max(self.years)

    def where(
        self, *, years: bool = True, region: bool = True, types: bool = True
    ) -> dict[str, tuple[str, ...]]:
        """The filters as an `answer(where=...)` mapping; leave out what a panel breaks down by."""
        result: dict[str, tuple[str, ...]] = {}
        if years and tuple(self.years) != tuple(self.all_years):
            result["year"] = self.years
        if region and self.region_dimension is not None:
            result[self.region_dimension] = (self.region,)
        if types and self.types:
            result["trajectory_type"] = self.types
        return result


def _valid(values: Sequence[str], allowed: Sequence[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v in allowed]


def seed_from_url(all_years: Sequence[str]) -> None:
    """Once per session: take the filters from the URL; what is unknown is ignored, and remembered
    so that `url_notice` can say so (a link to P99 must not silently show all of Flanders)."""
    if st.session_state.get(SEEDED):
        return
    params = st.query_params
    ignored: list[tuple[str, str]] = []
    lang = params.get("lang")
    st.session_state[LANG_KEY] = lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    asked_years = params.get_all("year")
    years = _valid(asked_years, all_years)
    st.session_state[YEARS_KEY] = years or [max(all_years)]
    region = params.get("region")
    st.session_state[REGION_KEY] = region if region in (*partnerships(), *provinces()) else ALL
    asked_types = params.get_all("type")
    st.session_state[TYPES_KEY] = _valid(asked_types, trajectory_types())
    if lang is not None and lang not in i18n.LANGUAGES:
        ignored.append(("lang", lang))
    ignored += [("year", y) for y in dict.fromkeys(asked_years) if y not in all_years]
    if region is not None and st.session_state[REGION_KEY] == ALL and region != ALL:
        ignored.append(("region", region))
    ignored += [("type", v) for v in dict.fromkeys(asked_types) if v not in trajectory_types()]
    st.session_state[IGNORED] = ignored
    st.session_state[SEEDED] = True


def url_notice() -> None:
    """Say which values of a shared link were not understood, and what is shown instead — once, on
    the first page of the session."""
    ignored = st.session_state.pop(IGNORED, None)
    if not ignored:
        return
    names = {"lang": "url.language", "year": "filters.years", "region": "filters.region",
             "type": "filters.types"}  # fmt: skip
    listed = "; ".join(f"{t(names[param])} {quoted(value)}" for param, value in ignored)
    view = current_view()
    st.info(
        t(
            "url.ignored",
            values=listed,
            years=", ".join(view.years),
            region=region_name(view.region),
        ),
        icon=":material/link_off:",
    )


def quoted(value: str) -> str:
    """A value from the link as the notice names it. Only a short code-like value (P99, 1990, xx)
    is repeated, escaped for Markdown; anything else is not echoed at all, so a crafted link
    cannot put its own words on the page (the security tests send SQL and long text)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,24}", value):
        return t("url.unshown")
    return "'" + "".join(f"\\{c}" if c in "_-" else c for c in value) + "'"


# Streamlit's own HTML page says <html lang="en"> whatever the app shows; screen readers then read
# Dutch with English pronunciation (WCAG 3.1.1). This sets the page's language to the session's.
# One fixed text per language, so that a strict Content-Security-Policy can allow each by its
# SHA-256 (deploy/nginx/binc.conf does; tests/e2e/test_proxy.py sees a blocked one): a change here
# needs the new hashes there (tests/spec/test_streamlit_texts.py names them).
DOCUMENT_LANGUAGE = "<script>document.documentElement.lang = '{lang}';</script>"
# What each language's page gets: the language, and on a Dutch page Streamlit's own texts in Dutch
# (dashboard/streamlit_texts.py; after the language, which it follows).
PAGE_SCRIPTS = {
    "nl": DOCUMENT_LANGUAGE.format(lang="nl") + streamlit_texts.SCRIPT,
    "en": DOCUMENT_LANGUAGE.format(lang="en"),
}


def language_switch() -> None:
    st.sidebar.segmented_control(
        "Taal / Language", list(i18n.LANGUAGES), key=LANG_KEY, required=True,
        format_func=lambda code: code.upper(),
    )  # fmt: skip
    st.sidebar.html(PAGE_SCRIPTS[language()], unsafe_allow_javascript=True)


def heading(key: str) -> None:
    """The page's title, shown at its top and named in the browser tab (every tab its own)."""
    title = t(key)
    st.set_page_config(page_title=f"{title} · BINC")
    st.title(title)


def sidebar_filters(all_years: Sequence[str], provisional: Collection[str] = ()) -> View:
    """Draw the shared filters and return the view they describe; a provisional start year
    (`provisional`) is named so in the list."""
    lang = language()
    sidebar = st.sidebar
    sidebar.header(t("filters.header"))
    sidebar.multiselect(
        t("filters.years"),
        list(all_years),
        key=YEARS_KEY,
        help=t("filters.years_help"),
        placeholder=t("filters.years_placeholder"),
        format_func=lambda year: year_label(year, provisional, lang),
    )
    regions = [ALL, *partnerships(), *provinces()]
    sidebar.selectbox(t("filters.region"), regions, key=REGION_KEY, format_func=lambda code: _region_label(code, lang),
                      help=t("filters.region_help"), placeholder=t("filters.choose_one"))  # fmt: skip
    sidebar.multiselect(
        t("filters.types"), list(trajectory_types()), key=TYPES_KEY,
        format_func=code_labeller("trajectory_type", lang), placeholder=t("filters.all_types"),
    )  # fmt: skip
    chosen = tuple(sorted(st.session_state.get(YEARS_KEY) or all_years))
    view = View(lang, chosen, tuple(all_years), st.session_state[REGION_KEY],
                tuple(st.session_state.get(TYPES_KEY) or ()))  # fmt: skip
    write_url(view)
    return view


def region_name(code: str, lang: str | None = None) -> str:
    """The region as a heading names it: its name, or Flanders and Brussels for all."""
    lang = lang or language()
    if code == ALL:
        return i18n.text("filters.all_regions_name", lang)
    return label("partnership" if code in partnerships() else "province", code, lang)


def _region_label(code: str, lang: str) -> str:
    if code == ALL:
        return i18n.text("filters.all_regions", lang)
    if code in partnerships():
        return i18n.text("filters.partnership_option", lang, name=label("partnership", code, lang))
    return i18n.text("filters.province_option", lang, name=label("province", code, lang))


def link_params(view: View) -> dict[str, str | list[str]]:
    """The sidebar's filters as query parameters (defaults left out to keep links short): what the
    URL holds and what every menu link carries to the next page."""
    wanted: dict[str, str | list[str]] = {"lang": view.language, "year": list(view.years)}
    if view.region != ALL:
        wanted["region"] = view.region
    if view.types:
        wanted["type"] = list(view.types)
    return wanted


def write_url(view: View) -> None:
    """Mirror the filters in the query parameters. Only the filters' own parameters are touched:
    the page's choices (dashboard.view_state) are read and written by the page itself."""
    wanted = link_params(view)
    for name in URL.values():
        current = st.query_params.get_all(name)
        value = wanted.get(name)
        if value is None:
            if current:
                del st.query_params[name]
        elif current != (value if isinstance(value, list) else [value]):
            st.query_params[name] = value


def current_view() -> View:
    """The view chosen in the sidebar during this run (pages call this; app.py draws the sidebar)."""
    view = st.session_state.get("_view")
    if not isinstance(view, View):
        raise RuntimeError("the sidebar has not been drawn in this run")
    return view


def refusal_text(refusal: str) -> str:
    """A refusal in the reader's language: the text of its reason, filled in with labelled
    dimensions and nl-BE or en numbers; the layer's own sentence only when it gave no reason."""
    reason = getattr(refusal, "reason", None)
    if not reason or f"refusal.{reason}" not in i18n.keys(language()):
        return str(refusal)
    values = {
        name: _refusal_detail(name, value)
        for name, value in getattr(refusal, "details", {}).items()
    }
    return t(f"refusal.{reason}", **values)


def _refusal_detail(name: str, value: object) -> str:
    if name in ("dimensions", "allowed") and isinstance(value, tuple | list):
        return ", ".join(t(f"dim.{d}") for d in value)
    if name == "tables" and isinstance(value, tuple | list):
        return "; ".join(" × ".join(t(f"dim.{d}") for d in dims) for dims in value)
    if name == "dimension":
        return t(f"dim.{value}")
    if name == "unit":
        return t(f"unit.{value}")
    if name == "measure":
        return t(f"measure.{value}")
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value))
    return str(value)


def splits(view: View, breakdowns: Sequence[str]) -> tuple[str, ...]:
    """The breakdowns a page offers: with a region chosen, none by trajectory type. Per partnership
    and province the release measures no table with the type besides counts (docs/methodology.md,
    "What is measured"), so that split could only be refused."""
    if view.region_dimension is None:
        return tuple(breakdowns)
    return tuple(b for b in breakdowns if b != "trajectory_type")


def explain_refusal(message: str) -> None:
    """A question refused: outside the release's workload, or too costly to protect; say which in
    plain words, in the reader's language, with the layer's reason."""
    key = "error.too_costly" if getattr(message, "costly", False) else "error.not_measured"
    st.info(t(key, message=refusal_text(message)), icon=":material/block:")


def interval_caption(low: float | None, high: float | None, decimals: int) -> str:
    return t("chart.interval_caption", low=number(low, decimals), high=number(high, decimals))


def alt(*parts: str) -> str:
    """A chart's short description for screen readers: "Grafiek: what · by what"."""
    return f"{t('tabs.chart')}: {' · '.join(parts)}"


def chart(
    figure: Any, config: dict[str, Any], key: str, description: str, table: pl.DataFrame
) -> None:
    """A chart with its text alternatives: a short description that screen readers announce
    (`alt`), and under the chart its numbers as a table in a closed expander (tables.chart_table)."""
    st.plotly_chart(figure, config={**config, **modebar(language())}, key=key, alt=description)
    with st.expander(t("tabs.table")):
        st.table(table, hide_index=True)


def suppressed_note() -> None:
    st.caption(t("chart.suppressed_note"))


def uncertain_note(count: int) -> None:
    """Under a chart: how many of its values are too uncertain to draw (nothing when none is)."""
    if count:
        st.caption(
            t("chart.too_uncertain_note_one")
            if count == 1
            else t("chart.too_uncertain_note", count=count)
        )


def labeller(prefix: str, lang: str) -> Callable[[str], str]:
    """A widget format_func bound to one language (it must not read session state when called later)."""
    return lambda code: i18n.text(f"{prefix}.{code}", lang)


def code_labeller(dimension: str, lang: str) -> Callable[[str], str]:
    return lambda code: label(dimension, code, lang)
