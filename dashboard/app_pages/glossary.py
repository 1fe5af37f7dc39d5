"""Begrippen: every term, every figure and every category of the site, defined in plain words."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data, panels, ui

# In reading order: what is counted, how it ends, where, and how the figures are protected.
CONCEPTS = (
    "trajectory",
    "start_year",
    "child_reached",
    "ended",
    "planned_end",
    "goals_reached",
    "drop_out",
    "other_care",
    "waiting",
    "partnership",
    "province",
    "noise",
    "interval",
    "suppressed",
    "release",
)

ui.heading("glossary.title")
st.markdown(ui.t("glossary.intro"))

st.header(ui.t("glossary.concepts_header"))
for concept in CONCEPTS:
    st.markdown(
        f"**{ui.t(f'glossary.term.{concept}')}**  \n{ui.t(f'glossary.definition.{concept}')}"
    )

st.header(ui.t("glossary.measures_header"))
for measure in data.measures():
    name = measure["name"]
    st.markdown(f"**{ui.t(f'measure.{name}')}**  \n{ui.t(f'help.{name}')}")

st.header(ui.t("glossary.codes_header"))
st.caption(ui.t("glossary.codes_intro"))
for dimension, codes in data.domains().items():
    if dimension == "year":
        continue
    with st.expander(ui.t(f"dim.{dimension}")):
        table = pl.DataFrame(
            {
                ui.t("glossary.code"): codes,
                ui.t("glossary.name"): [ui.label(dimension, code) for code in codes],
            }
        )
        st.dataframe(table, hide_index=True)

# The jargon behind the page's plain words, in a closed expander.
panels.technical_notes("suppression", "cap", "censoring")
