"""Regio's vergelijken: one measure, regions side by side with intervals — and no false league tables."""

from __future__ import annotations

from itertools import pairwise

import polars as pl
import streamlit as st

from dashboard import charts, data, tables, ui

MEASURES = ("trajectories", "share_planned_end", "median_duration_months", "survival_6m",
            "median_waiting_days", "share_waiting_within_month", "share_other_care_before",
            "share_other_care_after")  # fmt: skip
LEVELS = ("partnership", "province")

view = ui.current_view()
lang = view.language
ui.heading("compare.title")
st.write(ui.t("compare.intro"))
left, right = st.columns(2)
measure = left.selectbox(ui.t("compare.measure"), MEASURES, key="cmp_measure",
                         format_func=ui.labeller("measure", lang))  # fmt: skip
level = right.radio(ui.t("compare.level"), LEVELS, key="cmp_level", horizontal=True,
                    format_func=ui.labeller("dim", lang))  # fmt: skip
where = view.where(region=False)

answer = data.try_ask(measure, by=(level,), where=where)
if isinstance(answer, str):
    ui.explain_refusal(answer)
    st.stop()
places = tables.decimals(answer)
frame = tables.chart_frame(answer, level, lang=lang)
frame = frame.sort(["suppressed", "value"], descending=[False, True], nulls_last=True)
whole = data.try_ask(measure, where=where)
reference = None if isinstance(whole, str) or answer.kind == "count" else tables.figure(whole).value
ui.chart(charts.forest(frame, lang, tables.unit(answer, lang), places, reference=reference),
         charts.config(f"binc-compare-{measure}"), "cmp_chart",
         ui.alt(ui.t(f"measure.{measure}"), ui.t(f"dim.{level}")),
         tables.chart_table(frame, lang, places, ui.t(f"dim.{level}")))  # fmt: skip
ui.suppressed_note()

shown = frame.filter(~pl.col("suppressed"))
if reference is not None:
    above = shown.filter(pl.col("ci_low") > reference)["category"].to_list()
    below = shown.filter(pl.col("ci_high") < reference)["category"].to_list()
    st.markdown(ui.t("compare.reading_reference", whole=ui.number(reference, places),
                     above=", ".join(above) or ui.t("compare.nobody"),
                     below=", ".join(below) or ui.t("compare.nobody"),
                     rest=shown.height - len(above) - len(below)))  # fmt: skip
ranked = list(shown.iter_rows(named=True))
pairs = list(pairwise(ranked))
overlapping = sum(1 for a, b in pairs if b["ci_high"] >= a["ci_low"])
st.markdown(ui.t("compare.reading_order", overlapping=overlapping, pairs=len(pairs)))

st.subheader(ui.t("compare.over_years"))
years = data.try_ask(measure, by=("year", level), where=view.where(years=False, region=False))
if isinstance(years, str):
    ui.explain_refusal(years)
else:
    multiples = tables.chart_frame(years, "year", level, lang)
    ui.chart(charts.small_multiples(multiples, lang, tables.unit(years, lang), places),
             charts.config(f"binc-compare-years-{measure}"), "cmp_years",
             ui.alt(ui.t(f"measure.{measure}"), ui.t(f"dim.{level}"), ui.t("dim.year")),
             tables.chart_table(multiples, lang, places, ui.t("dim.year"), ui.t(f"dim.{level}")))  # fmt: skip

st.subheader(ui.t("compare.map"))
if level == "province":
    ui.chart(charts.province_map(frame, lang, tables.unit(answer, lang), places),
             charts.config(f"binc-map-{measure}"), "cmp_map",
             ui.alt(ui.t("compare.map"), ui.t(f"measure.{measure}")),
             tables.chart_table(frame, lang, places, ui.t("dim.province")))  # fmt: skip
    st.caption(ui.t("compare.map_attribution"))
else:
    st.info(ui.t("compare.no_partnership_map"), icon=":material/map:")
