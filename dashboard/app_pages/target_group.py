"""Doelgroep: who is reached — age, sex, family situation and size, as shares with intervals."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, panels, tables, ui, view_state

DIMENSIONS = ("age_band", "sex", "family_situation", "family_size_band")
BREAKDOWNS = ("none", "year", "partnership", "trajectory_type")

view = ui.current_view()
lang = view.language
ui.heading("target_group.title")
st.write(ui.t("target_group.intro"))

left, right = st.columns(2)
dim = view_state.radio(ui.t("target_group.dimension"), "dim", DIMENSIONS, key="tg_dim", where=left,
                       horizontal=True, format_func=ui.labeller("dim", lang))  # fmt: skip
breakdown = view_state.selectbox(ui.t("target_group.breakdown"), "split", ui.splits(view, BREAKDOWNS),
                                 key="tg_by", where=right, format_func=ui.labeller("breakdown", lang))  # fmt: skip

where = view.where(region=breakdown != "partnership")
by = (dim,) if breakdown == "none" else (breakdown, dim)
shares = data.try_ask("share", by=by, where=where)
counts = data.try_ask("trajectories", by=by, where=where)
if isinstance(shares, str):
    ui.explain_refusal(shares)
    st.stop()

if breakdown == "none":
    category, series = dim, None
elif breakdown == "partnership":
    category, series = breakdown, dim
else:
    category, series = dim, breakdown
frame = tables.chart_frame(shares, category, series, lang)
panel = panels.panel(charts.forest(frame, lang, tables.unit(shares, lang), 1), frame, shares,
                     key="tg_chart", name=f"target-group-{dim}", places=1, category=category,
                     series=series, description=ui.alt(ui.t(f"dim.{dim}"), ui.t(f"breakdown.{breakdown}")))  # fmt: skip
chart, table = view_state.tabs(ui.t("tabs.choice"), "tab",
                               {"chart": ui.t("tabs.chart"), "table": ui.t("tabs.table")}, key="tg_tab")  # fmt: skip
with chart:
    panel.draw()
    ui.suppressed_note()
with table:
    panel.download()
    st.markdown(f"**{ui.t('measure.share')}**")
    st.dataframe(tables.display_table(shares, lang), hide_index=True)
    ui.provisional_note(shares.release_metadata, panels.provisional_of(shares))
    if not isinstance(counts, str):
        st.markdown(f"**{ui.t('measure.trajectories')}**")
        st.dataframe(tables.display_table(counts, lang), hide_index=True)
st.caption(ui.t("target_group.share_rule"))

# The jargon behind the page's plain words, in a closed expander.
panels.technical_notes("suppression")
