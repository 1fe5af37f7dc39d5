"""Duur: how long support lasts (bands, median, survival) and how long families wait to start."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, panels, tables, ui, view_state

MONTHS = (3, 6, 12)

view = ui.current_view()
lang = view.language
ui.heading("duration.title")
st.write(ui.t("duration.intro"))
series = view_state.radio(ui.t("duration.by"), "split", ("none", "trajectory_type"), key="dur_by",
                          horizontal=True, format_func=ui.labeller("breakdown", lang))  # fmt: skip
by = () if series == "none" else (series,)

st.subheader(ui.t("duration.bands"))
bands = data.try_ask("share", by=("duration_band",), where={**view.where(), "status": ("ended",)})
if isinstance(bands, str):
    ui.explain_refusal(bands)
else:
    frame = tables.chart_frame(bands, "duration_band", lang=lang)
    panels.chart(charts.columns(frame, lang, tables.unit(bands, lang), 1), frame, bands,
                 key="dur_bands", name="duration-bands", description=ui.alt(ui.t("duration.bands")),
                 places=1, category="duration_band", title=ui.t("duration.bands"))  # fmt: skip

st.subheader(ui.t("duration.median"))
median = data.try_ask("median_duration_months", by=by, where=view.where())
if isinstance(median, str):
    ui.explain_refusal(median)
elif by:
    frame = tables.chart_frame(median, series, lang=lang)
    panels.chart(charts.forest(frame, lang, tables.unit(median, lang), 1), frame, median,
                 key="dur_median", name="median-duration", places=1, category=series,
                 description=ui.alt(ui.t("duration.median"), ui.t(f"dim.{series}")))  # fmt: skip
else:
    fig = tables.figure(median)
    st.metric(
        ui.t("measure.median_duration_months"),
        ui.t("chart.suppressed") if fig.suppressed
        else ui.t("chart.too_uncertain") if fig.uncertain else ui.number(fig.value, 1),
    )  # fmt: skip
    if not fig.suppressed and not fig.uncertain:
        st.caption(ui.interval_caption(fig.low, fig.high, 1))
    if fig.provisional and not fig.suppressed:  # a later release replaces it
        ui.provisional_note(median.release_metadata, panels.provisional_of(median))

st.subheader(ui.t("duration.survival"))
st.write(ui.t("duration.survival_intro"))
answers = {}
for months in MONTHS:
    answer = data.try_ask(f"survival_{months}m", by=by, where=view.where())
    if isinstance(answer, str):
        ui.explain_refusal(answer)
        break
    answers[months] = answer
else:
    frame = tables.survival_frame(answers, by[0] if by else None, lang)
    figure = charts.trend(
        frame, lang, ui.t("unit.percent"), 1, x_title=ui.t("duration.months"), numeric_x=True
    )
    panels.chart(figure, frame, answers[MONTHS[0]], key="dur_survival", name="survival",
                 description=ui.alt(ui.t("duration.survival")), places=1, category="months",
                 category_header=ui.t("duration.months"), series=by[0] if by else None,
                 title=ui.t("duration.survival"), unit=ui.t("unit.percent"))  # fmt: skip
ui.suppressed_note()

st.subheader(ui.t("duration.waiting"))
st.write(ui.t("duration.waiting_intro"))
columns = st.columns(2)
for column, measure in zip(
    columns, ("share_waiting_within_month", "median_waiting_days"), strict=True
):
    answer = data.try_ask(measure, by=("year",), where=view.where(years=False, types=False))
    with column:
        if isinstance(answer, str):
            ui.explain_refusal(answer)
            continue
        frame = tables.chart_frame(answer, "year", lang=lang)
        figure = charts.trend(frame, lang, tables.unit(answer, lang), 1)
        panels.chart(figure, frame, answer, key=f"dur_{measure}", name=measure.replace("_", "-"),
                     description=ui.alt(ui.t(f"measure.{measure}"), ui.t("dim.year")), places=1,
                     category="year", title=ui.t(f"measure.{measure}"))  # fmt: skip
if view.types:
    st.caption(ui.t("duration.waiting_types"))

# The jargon behind the page's plain words, in a closed expander.
panels.technical_notes("suppression", "censoring")
