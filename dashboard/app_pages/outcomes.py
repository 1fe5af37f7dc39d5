"""Resultaten: what support achieves — end reasons, follow-up, and other youth care before and after."""

from __future__ import annotations

import polars as pl
import streamlit as st

from binc.core import reference
from dashboard import charts, data, tables, ui

BREAKDOWNS = ("trajectory_type", "partnership", "duration_band", "year")
RECORDED_FOLLOW_UP = ("none", "indicated", "realised")

view = ui.current_view()
lang = view.language
ui.heading("outcomes.title")
st.write(ui.t("outcomes.intro"))
breakdown = st.selectbox(ui.t("outcomes.breakdown"), BREAKDOWNS, key="out_by",
                         format_func=ui.labeller("breakdown", lang))  # fmt: skip
where = view.where(region=breakdown != "partnership")


def overall(measure: str) -> float | None:
    answer = data.try_ask(measure, where=where)
    return None if isinstance(answer, str) else tables.figure(answer).value


st.subheader(ui.t("outcomes.planned"))
planned = data.try_ask("share_planned_end", by=(breakdown,), where=where)
if isinstance(planned, str):
    ui.explain_refusal(planned)
else:
    frame = tables.chart_frame(planned, breakdown, lang=lang)
    figure = charts.forest(
        frame, lang, tables.unit(planned, lang), 1, reference=overall("share_planned_end")
    )
    ui.chart(figure, charts.config("binc-planned-end"), "out_planned",
             ui.alt(ui.t("outcomes.planned"), ui.t(f"dim.{breakdown}")),
             tables.chart_table(frame, lang, 1, ui.t(f"dim.{breakdown}")))  # fmt: skip
    st.caption(ui.t("outcomes.reference_line"))

left, right = st.columns(2)
with left:
    st.subheader(ui.t("outcomes.reasons"))
    reasons = data.try_ask(
        "share", by=("end_reason",), where={**where, "end_reason": reference.codes("end_reason")}
    )
    if isinstance(reasons, str):
        ui.explain_refusal(reasons)
    else:
        frame = tables.chart_frame(reasons, "end_reason", lang=lang)
        ui.chart(charts.forest(frame, lang, tables.unit(reasons, lang), 1),
                 charts.config("binc-end-reasons"), "out_reasons", ui.alt(ui.t("outcomes.reasons")),
                 tables.chart_table(frame, lang, 1, ui.t("dim.end_reason")))  # fmt: skip
with right:
    st.subheader(ui.t("outcomes.follow_up"))
    follow = data.try_ask(
        "share", by=("follow_up",), where={**where, "follow_up": RECORDED_FOLLOW_UP}
    )
    if isinstance(follow, str):
        ui.explain_refusal(follow)
    else:
        frame = tables.chart_frame(follow, "follow_up", lang=lang)
        ui.chart(charts.forest(frame, lang, tables.unit(follow, lang), 1),
                 charts.config("binc-follow-up"), "out_follow", ui.alt(ui.t("outcomes.follow_up")),
                 tables.chart_table(frame, lang, 1, ui.t("dim.follow_up")))  # fmt: skip
        st.caption(ui.t("outcomes.follow_up_note"))

st.subheader(ui.t("outcomes.linkage"))
st.write(ui.t("outcomes.linkage_intro"))
parts = []
for measure in ("share_other_care_before", "share_other_care_after"):
    answer = data.try_ask(measure, by=(breakdown,), where=where)
    if isinstance(answer, str):
        ui.explain_refusal(answer)
        continue
    part = tables.chart_frame(answer, breakdown, lang=lang)
    parts.append(part.with_columns(series=pl.lit(ui.t(f"measure.{measure}"))))
if parts:
    frame = pl.concat(parts)
    ui.chart(charts.forest(frame, lang, ui.t("unit.percent"), 1),
             charts.config("binc-other-care"), "out_linkage",
             ui.alt(ui.t("outcomes.linkage"), ui.t(f"dim.{breakdown}")),
             tables.chart_table(frame, lang, 1, ui.t(f"dim.{breakdown}"), ui.t("tables.measure")))  # fmt: skip
ui.suppressed_note()
