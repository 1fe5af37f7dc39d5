"""Doelgroep: who is reached — age, sex, family situation and size, as shares with intervals."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, tables, ui

DIMENSIONS = ("age_band", "sex", "family_situation", "family_size_band")
BREAKDOWNS = ("none", "year", "partnership", "trajectory_type")

view = ui.current_view()
lang = view.language
ui.heading("target_group.title")
st.write(ui.t("target_group.intro"))

left, right = st.columns(2)
dim = left.radio(ui.t("target_group.dimension"), DIMENSIONS, key="tg_dim", horizontal=True,
                 format_func=ui.labeller("dim", lang))  # fmt: skip
breakdown = right.selectbox(ui.t("target_group.breakdown"), BREAKDOWNS, key="tg_by",
                            format_func=ui.labeller("breakdown", lang))  # fmt: skip

where = view.where(region=breakdown != "partnership")
by = (dim,) if breakdown == "none" else (breakdown, dim)
shares = data.try_ask("share", by=by, where=where)
counts = data.try_ask("trajectories", by=by, where=where)
if isinstance(shares, str):
    ui.explain_refusal(shares)
    st.stop()

if breakdown == "none":
    frame = tables.chart_frame(shares, dim, lang=lang)
elif breakdown == "partnership":
    frame = tables.chart_frame(shares, breakdown, dim, lang)
else:
    frame = tables.chart_frame(shares, dim, breakdown, lang)
chart, table = st.tabs([ui.t("tabs.chart"), ui.t("tabs.table")])
with chart:
    figure = charts.forest(frame, lang, tables.unit(shares, lang), 1, title=ui.t(f"dim.{dim}"))
    st.plotly_chart(figure, config=charts.config(f"binc-target-group-{dim}"), key="tg_chart",
                    alt=ui.alt(ui.t(f"dim.{dim}"), ui.t(f"breakdown.{breakdown}")))  # fmt: skip
    ui.suppressed_note()
with table:
    st.markdown(f"**{ui.t('measure.share')}**")
    st.dataframe(tables.display_table(shares, lang), hide_index=True)
    if not isinstance(counts, str):
        st.markdown(f"**{ui.t('measure.trajectories')}**")
        st.dataframe(tables.display_table(counts, lang), hide_index=True)
st.caption(ui.t("target_group.share_rule"))
