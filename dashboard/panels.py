"""A chart as it leaves the page: the figure dressed to stand on its own, its numbers as a table,
and a CSV of exactly those numbers — and the "technische uitleg" that keeps jargon off the page.

Every chart of the dashboard goes through `chart` (or `panel`, where a page lays it out itself).
The figure gets a title, the filters and period it shows, the unit, the source line (Opgroeien,
BINC, release id, state-of-data date), the licence, the link to the exact view and, for synthetic
data, the synthetic-data mark (charts.caption), so that the PNG of the camera button says what it
is; the PNG and the CSV are named after the view (tables.file_stem). The CSV holds the chart's own
rows (tables.chart_csv_frame), written by the export writers (nl: as Excel in nl-BE opens it;
en: the contract CSV), with what the image says in its last columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import polars as pl
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from binc.answering.calendar import provisional_in, provisional_years
from binc.core import i18n
from binc.core.table import AnsweredTable
from binc.export import codebook, writers
from binc.export.labels import display_label
from dashboard import charts, data, tables, ui, view_state

REGIONS = ("partnership", "province")


@dataclass(frozen=True)
class About:
    """What a chart says about itself, in the reader's language."""

    title: str
    filters: str  # the filters and the period shown
    unit: str
    source: str
    licence: str
    link: str  # the exact view
    synthetic: str  # the synthetic-data mark; "" for real data
    stem: str  # the downloads' file name, without extension

    def footer(self, lang: str) -> list[str]:
        """The lines under the chart: unit and source, licence, link."""
        key, source, licence = (
            i18n.text("figure.unit", lang),
            i18n.text("export.key_source", lang),
            i18n.text("export.key_licence", lang),
        )
        return [
            f"{key}: {self.unit} · {source}: {self.source}",
            f"{licence}: {self.licence}",
            f"{i18n.text('figure.link', lang)}: {self.link}",
        ]

    def columns(self) -> dict[str, str]:
        """The same as the CSV's last columns."""
        return {"title": self.title, "filters": self.filters, "unit": self.unit,
                "source": self.source, "licence": self.licence, "view": self.link,
                "synthetic": self.synthetic}  # fmt: skip


def filters_text(answer: AnsweredTable, lang: str, shown: Sequence[str]) -> str:
    """The part of the data a chart shows, in words: the start years (all of them as a range), the
    region (Flanders and Brussels when none is chosen), the trajectory types (all when none) and
    any other filter; a dimension the chart itself shows (`shown`: its axis or its series) is not
    repeated, unless it is filtered to some of its codes. A provisional start year (a release on the
    publication calendar) is named so: "2025 (voorlopig)"."""
    filters = {dim: tuple(codes) for dim, codes in answer.filters.items()}
    marked = provisional_years(answer.release_metadata)

    def named(dim: str, codes: Sequence[str]) -> str:
        labels = ", ".join(
            ui.year_label(str(code), marked, lang)
            if dim == "year"
            else display_label(dim, str(code), lang)
            for code in codes
        )
        return f"{i18n.text(f'dim.{dim}', lang)}: {labels}"

    parts = []
    years = filters.pop("year", None)
    if years:
        parts.append(named("year", years))
    else:
        every = [str(year) for year in answer.release_metadata.get("years") or ()]
        if every:
            period = every[0] if len(every) == 1 else f"{every[0]}–{every[-1]}"
            among = [year for year in every if year in marked]
            if among and len(every) == 1:
                period = ui.year_label(period, marked, lang)
            elif among:
                period = i18n.text("provisional.span", lang, span=period, marked=", ".join(among))
            parts.append(f"{i18n.text('dim.year', lang)}: {period}")
    region = next((dim for dim in REGIONS if dim in filters), None)
    if region is not None:
        parts.append(named(region, filters.pop(region)))
    elif not set(REGIONS) & set(shown):
        parts.append(i18n.text("filters.all_regions_name", lang))
    types = filters.pop("trajectory_type", None)
    if types:
        parts.append(named("trajectory_type", types))
    elif "trajectory_type" not in shown:
        parts.append(i18n.text("figure.all_types", lang))
    parts += [named(dim, codes) for dim, codes in sorted(filters.items()) if dim not in shown]
    return " · ".join(parts)


def _page_path() -> str:
    """The current page's URL path (under the server's base path), from the app's own page list:
    never the path the browser asked for, which could carry any words."""
    ctx = get_script_run_ctx()
    page = ""
    if ctx is not None:
        info = ctx.pages_manager.get_pages().get(ctx.pages_manager.current_page_script_hash)
        if info is not None:
            page = str(info.get("url_pathname") or "")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, page) if part)


def view_link() -> str:
    """The link to the view on screen: this page with the sidebar's filters and the page's own
    choices as the URL holds them (dashboard.view_state), each value checked against what the
    choice allows. Scheme and host are the browser's; without them (in tests) the link is relative."""
    params: list[tuple[str, str]] = []
    for name, value in ui.link_params(ui.current_view()).items():
        params += [(name, v) for v in (value if isinstance(value, list) else [value])]
    for name, choice in view_state.bound().items():
        params += [(name, v) for v in st.query_params.get_all(name) if v in choice.options]
    address = urlsplit(st.context.url or "")
    origin = f"{address.scheme}://{address.netloc}" if address.scheme and address.netloc else ""
    query = urlencode(params)
    return f"{origin}{_page_path()}" + (f"?{query}" if query else "")


def synthetic_mark(answer: AnsweredTable, lang: str) -> str:
    """The synthetic-data mark when the release (or the server) says its data are synthetic."""
    synthetic = answer.release_metadata.get("synthetic") is True or data.is_synthetic()
    return i18n.text("export.synthetic", lang) if synthetic else ""


def about(answer: AnsweredTable, lang: str, *, name: str, shown: Sequence[str],
          title: str | None = None, unit: str | None = None) -> About:  # fmt: skip
    """What a chart of `answer` says about itself; `name` names the chart in its file names (with
    the codes of its filters and, for synthetic data, the synthetic suffix)."""
    described = codebook.description(answer, lang)
    mark = synthetic_mark(answer, lang)
    codes = [str(code) for dim, values in sorted(answer.filters.items()) if dim not in shown
             for code in values]  # fmt: skip
    suffix = [i18n.text("tables.synthetic_suffix", lang)] if mark else []
    return About(
        title=title or described["title"],
        filters=filters_text(answer, lang, shown),
        unit=unit or tables.unit(answer, lang),
        source=described["source"],
        licence=described["licence"],
        link=view_link(),
        synthetic=mark,
        stem=tables.file_stem(["binc", name, *codes, *suffix]),
    )


@dataclass(frozen=True)
class Panel:
    """A chart ready to draw: the dressed figure and its config, its table and its CSV."""

    figure: Any
    config: dict[str, Any]
    key: str
    description: str
    table: pl.DataFrame
    csv: bytes
    file_name: str
    uncertain: int = 0  # values too uncertain to draw: said in a note under the chart
    # the provisional start years the chart's figures rest on (a release on the publication
    # calendar), how the chart draws them (charts.provisional_markers) and the release's metadata
    # (the day each closes): said in a note under the chart
    provisional: tuple[str, ...] = ()
    markers: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def draw(self) -> None:
        st.plotly_chart(self.figure, config=self.config, key=self.key, alt=self.description)
        ui.uncertain_note(self.uncertain)
        ui.provisional_note(self.metadata, self.provisional, self.markers)

    def download(self) -> None:
        st.download_button(ui.t("figure.csv"), self.csv, file_name=self.file_name, mime="text/csv",
                           key=f"{self.key}_csv", on_click="ignore", help=ui.t("figure.csv_help"),
                           icon=":material/download:")  # fmt: skip

    def show(self) -> None:
        """The chart, and under it its numbers as a table and as a CSV, in a closed expander (the
        chart's text alternative; tables.chart_table)."""
        self.draw()
        with st.expander(ui.t("tabs.table")):
            st.table(self.table, hide_index=True)
            self.download()


def panel(figure: Any, frame: pl.DataFrame, answer: AnsweredTable, *, key: str, name: str,
          description: str, places: int, category: str, series: str | None = None,
          title: str | None = None, unit: str | None = None, category_header: str | None = None,
          series_header: str | None = None) -> Panel:  # fmt: skip
    """Dress `figure` (drawn from the chart frame `frame` of `answer`) and prepare its table and
    CSV. `category` and `series` name what the chart's axis and series show: a dimension (its name
    heads the table, its codes go into the CSV), or another word for the CSV's column ("months",
    "measure") with the table's header given."""
    lang = ui.language()
    shown = [d for d in (category, series) if d]
    info = about(answer, lang, name=name, shown=shown, title=title, unit=unit)
    charts.caption(figure, info.title, info.filters, info.footer(lang), info.synthetic)
    config = charts.config(info.stem, lang, figure.layout.height)
    table = tables.chart_table(frame, lang, places, category_header or ui.t(f"dim.{category}"),
                               (series_header or ui.t(f"dim.{series}")) if series else None)  # fmt: skip
    rows = tables.chart_csv_frame(frame, places, category, series, info.columns())
    write = writers.frame_excel_csv_bytes if lang == "nl" else writers.frame_csv_bytes
    return Panel(figure, config, key, description, table, write(rows), f"{info.stem}.csv",
                 tables.uncertain_count(frame), provisional_of(answer),
                 charts.provisional_markers(figure), answer.release_metadata)  # fmt: skip


def provisional_of(answer: AnsweredTable) -> tuple[str, ...]:
    """The provisional start years an answer's figures rest on (none without a calendar)."""
    if "provisional" not in answer.frame.columns:
        return ()
    return provisional_in(answer.release_metadata, answer.filters)


def chart(figure: Any, frame: pl.DataFrame, answer: AnsweredTable, **options: Any) -> None:
    """A chart that says what it is, with its table and CSV under it (see `panel`)."""
    panel(figure, frame, answer, **options).show()


def technical(*texts: str) -> None:
    """The jargon a page rests on (k, c, censoring, ε), for whoever wants it, in a closed
    "Technische uitleg" / "Technical details" expander instead of in the page's own words."""
    with st.expander(ui.t("tech.title")):
        for text in texts:
            st.markdown(text)


def technical_notes(*topics: str) -> None:
    """`technical` with the language files' notes on `topics` (tech.suppression, tech.cap,
    tech.censoring, tech.epsilon), filled in with this release's k, c and budget."""
    values = release_values(data.facts())
    technical(*(ui.t(f"tech.{topic}", **values) for topic in topics))


def release_values(facts: dict[str, Any]) -> dict[str, str]:
    """k, c and the release's total budget in words, for the texts that name them: "ε = 1,00"
    under pure ε-DP; ρ and the (ε, δ) it implies under zCDP."""
    if facts.get("rho_total") is not None:
        budget = ui.t("method.budget_zcdp", rho=ui.number(facts["rho_total"], 3),
                      epsilon=ui.number(facts.get("epsilon_at_delta"), 2),
                      delta=f"{facts.get('delta', 0):.0e}".replace("e-0", "e-"))  # fmt: skip
    else:
        budget = ui.t("method.budget_pure", epsilon=ui.number(facts.get("epsilon_total"), 2))
    return {"k": str(facts.get("k", "–")), "budget": budget,
            "c": str(facts.get("c", facts.get("contribution_cap", "–")))}  # fmt: skip
