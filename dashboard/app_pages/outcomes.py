"""Resultaten: what support achieves — end reasons, follow-up, and other youth care before and after."""

from __future__ import annotations

import polars as pl
import streamlit as st

from binc.core import reference
from binc.core.dimensions import ENDED_GROUPS
from dashboard import charts, data, panels, tables, ui, view_state

BREAKDOWNS = ("trajectory_type", "partnership", "duration_band", "year")
RECORDED_FOLLOW_UP = ("none", "indicated", "realised")

view = ui.current_view()
lang = view.language
ui.heading("outcomes.title")
st.write(ui.t("outcomes.intro"))
# With a region chosen the page opens by start year: a split by partnership would leave the region.
breakdown = view_state.selectbox(ui.t("outcomes.breakdown"), "split", ui.splits(view, BREAKDOWNS),
                                 key="out_by", default="year" if view.region_dimension else None,
                                 format_func=ui.labeller("breakdown", lang))  # fmt: skip
where = view.where(region=breakdown != "partnership")


def overall(measure: str) -> float | None:
    answer = data.try_ask(measure, where=where)
    if isinstance(answer, str):
        return None
    whole = tables.figure(answer)
    return None if whole.uncertain else whole.value  # no reference line from an unreadable value


st.subheader(ui.t("outcomes.planned"))
planned = data.try_ask("share_planned_end", by=(breakdown,), where=where)
if isinstance(planned, str):
    ui.explain_refusal(planned)
else:
    frame = tables.chart_frame(planned, breakdown, lang=lang)
    figure = charts.forest(
        frame, lang, tables.unit(planned, lang), 1, reference=overall("share_planned_end")
    )
    panels.chart(figure, frame, planned, key="out_planned", name="planned-end", places=1,
                 category=breakdown,
                 description=ui.alt(ui.t("outcomes.planned"), ui.t(f"dim.{breakdown}")))  # fmt: skip
    st.caption(ui.t("outcomes.reference_line"))

left, right = st.columns(2)
with left:
    st.subheader(ui.t("outcomes.reasons"))
    reason_dim = "end_reason"
    reasons = data.try_ask(
        "share", by=("end_reason",), where={**where, "end_reason": reference.codes("end_reason")}
    )
    if isinstance(reasons, str):
        # Per partnership or province, end reasons are measured in their public groups.
        grouped = data.try_ask(
            "share", by=("end_group",), where={**where, "end_group": ENDED_GROUPS}
        )
        if not isinstance(grouped, str):
            reasons, reason_dim = grouped, "end_group"
    if isinstance(reasons, str):
        ui.explain_refusal(reasons)
    else:
        frame = tables.chart_frame(reasons, reason_dim, lang=lang)
        panels.chart(charts.forest(frame, lang, tables.unit(reasons, lang), 1), frame, reasons,
                     key="out_reasons", name="end-reasons", places=1, category=reason_dim,
                     title=ui.t("outcomes.reasons"), description=ui.alt(ui.t("outcomes.reasons")))  # fmt: skip
        if reason_dim == "end_group":
            st.caption(ui.t("outcomes.reasons_grouped"))
with right:
    st.subheader(ui.t("outcomes.follow_up"))
    follow = data.try_ask(
        "share", by=("follow_up",), where={**where, "follow_up": RECORDED_FOLLOW_UP}
    )
    if isinstance(follow, str) and view.region_dimension and breakdown != "partnership":
        st.caption(ui.t("outcomes.follow_up_not_per_region"))
    elif isinstance(follow, str):
        ui.explain_refusal(follow)
    else:
        frame = tables.chart_frame(follow, "follow_up", lang=lang)
        panels.chart(charts.forest(frame, lang, tables.unit(follow, lang), 1), frame, follow,
                     key="out_follow", name="follow-up", places=1, category="follow_up",
                     title=ui.t("outcomes.follow_up"), description=ui.alt(ui.t("outcomes.follow_up")))  # fmt: skip
        st.caption(ui.t("outcomes.follow_up_note"))

st.subheader(ui.t("outcomes.linkage"))
st.write(ui.t("outcomes.linkage_intro"))
parts, linked = [], []
for measure in ("share_other_care_before", "share_other_care_after"):
    answer = data.try_ask(measure, by=(breakdown,), where=where)
    if isinstance(answer, str):
        ui.explain_refusal(answer)
        continue
    part = tables.chart_frame(answer, breakdown, lang=lang)
    parts.append(
        part.with_columns(series=pl.lit(ui.t(f"measure.{measure}")), series_code=pl.lit(measure))
    )
    linked.append(answer)
if parts:
    frame = pl.concat(parts)
    title = ui.t(
        "export.title_by", measure=ui.t("outcomes.linkage"), by=ui.t(f"dim.{breakdown}").lower()
    )
    panels.chart(charts.forest(frame, lang, ui.t("unit.percent"), 1), frame, linked[0],
                 key="out_linkage", name="other-care", places=1, category=breakdown,
                 series="measure", series_header=ui.t("tables.measure"), title=title,
                 unit=ui.t("unit.percent"),
                 description=ui.alt(ui.t("outcomes.linkage"), ui.t(f"dim.{breakdown}")))  # fmt: skip
ui.suppressed_note()

# The jargon behind the page's plain words, in a closed expander.
panels.technical_notes("suppression")
