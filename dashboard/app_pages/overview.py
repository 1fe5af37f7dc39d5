"""Overzicht: the headline figures of the latest chosen start year for the sidebar's region, with
intervals; real changes since the year before only; the trend; the fact sheet (PDF) to download."""

from __future__ import annotations

import streamlit as st

from binc.answering.catalogue import HEADLINES
from binc.factsheet import FLANDERS, region
from dashboard import charts, data, panels, tables, ui, view_state

view = ui.current_view()
lang = view.language
ui.heading("overview.title")
st.write(ui.t("overview.intro"))
# Start years whose figures are provisional (a release on the publication calendar): named so.
marked = data.provisional_years()


def year_name(year: str) -> str:
    return ui.year_label(year, marked, lang)


def headline_question(measure: str, year: str) -> dict[str, tuple[str, ...]]:
    """Where-filter for a headline: one start year for every card (children are counted per year,
    and a sum over years beside a single year would mix periods)."""
    return {**view.where(years=False), "year": (year,)}


# One period for the whole row: the latest chosen start year, named with the region.
st.subheader(ui.t("overview.headlines", year=year_name(view.latest_year),
                  region=ui.region_name(view.region)))  # fmt: skip
columns = st.columns(len(HEADLINES))
for column, measure in zip(columns, HEADLINES, strict=True):
    answer = data.try_ask(measure, where=headline_question(measure, view.latest_year))
    with column:
        if isinstance(answer, str):
            # A dash, not the words: a narrow card cuts long values off ("niet geme…").
            st.metric(ui.t(f"measure.{measure}"), "–", help=ui.refusal_text(answer))
            st.caption(ui.t("overview.not_available"))
            continue
        fig = tables.figure(answer)
        places = tables.decimals(answer)
        if fig.suppressed:
            shown = ui.t("chart.suppressed")
        elif fig.uncertain:  # its interval is too wide to read: no number
            shown = ui.t("chart.too_uncertain")
        else:
            shown = ui.number(fig.value, places) + (" %" if answer.unit == "percent" else "")
        st.metric(ui.t(f"measure.{measure}"), shown, help=ui.t(f"help.{measure}"))
        if not fig.suppressed and not fig.uncertain:
            st.caption(ui.interval_caption(fig.low, fig.high, places))
        if fig.provisional and not fig.suppressed:  # a later release replaces it
            st.caption(ui.t("provisional.card"))
if view.latest_year in marked:
    ui.provisional_note(data.facts(), (view.latest_year,))

# The fact sheet of the sidebar's region (Flanders when none), built only when downloaded.
sheet_region = FLANDERS if view.region == ui.ALL else view.region
st.download_button(
    ui.t("factsheet.download"),
    data=data.factsheet(sheet_region, lang),
    file_name=f"factsheet_{sheet_region}_{lang}.pdf",
    mime="application/pdf",
    key="overview_factsheet",
    help=ui.t("factsheet.download_help", region=region(sheet_region).name(lang)),
    on_click="ignore",
    icon=":material/picture_as_pdf:",
)

st.subheader(ui.t("overview.changes", year=year_name(view.latest_year)))
previous = str(int(view.latest_year) - 1)
changes = []
if previous in view.all_years:
    for measure in HEADLINES:
        before = data.try_ask(measure, where=headline_question(measure, previous))
        after = data.try_ask(measure, where=headline_question(measure, view.latest_year))
        if isinstance(before, str) or isinstance(after, str):
            continue
        old, new = tables.figure(before), tables.figure(after)
        # The None checks only tell mypy what change_exceeds_noise already guarantees.
        if (
            old.value is not None
            and new.value is not None
            and tables.change_exceeds_noise(old, new)
        ):
            places = tables.decimals(after)
            direction = ui.t("overview.up" if new.value > old.value else "overview.down")
            changes.append(ui.t("overview.change_line", measure=ui.t(f"measure.{measure}"), direction=direction,
                                before=ui.number(old.value, places), after=ui.number(new.value, places),
                                previous=previous, year=view.latest_year))  # fmt: skip
if previous not in view.all_years:
    st.write(ui.t("overview.no_previous", previous=previous))
elif changes:
    st.markdown("\n".join(f"- {line}" for line in changes))
else:
    st.write(ui.t("overview.no_changes", previous=previous))
st.caption(ui.t("overview.changes_rule"))

st.subheader(ui.t("overview.trend"))
measure = view_state.selectbox(ui.t("overview.trend_measure"), "measure",
                               [m for m in HEADLINES if m != "children"], key="overview_trend",
                               format_func=ui.labeller("measure", lang))  # fmt: skip
trend = data.try_ask(measure, by=("year",), where=view.where(years=False))
if isinstance(trend, str):
    ui.explain_refusal(trend)
else:
    frame = tables.chart_frame(trend, "year", lang=lang)
    figure = charts.trend(
        frame, lang, tables.unit(trend, lang), tables.decimals(trend), x_title=ui.t("dim.year")
    )
    panels.chart(figure, frame, trend, key="overview_trend_chart", name=f"trend-{measure}",
                 description=ui.alt(ui.t(f"measure.{measure}"), ui.t("dim.year")),
                 places=tables.decimals(trend), category="year")  # fmt: skip
    ui.suppressed_note()

# The jargon behind the page's plain words, in a closed expander.
panels.technical_notes("suppression", "cap")
