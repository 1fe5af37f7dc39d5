"""Methode & privacy: noise, suppression and intervals in plain words, with this release's figures."""

from __future__ import annotations

import polars as pl
import streamlit as st

from binc.core import i18n
from dashboard import data, panels, ui

view = ui.current_view()
lang = view.language
facts = data.facts()
ui.heading("method.title")

st.header(ui.t("method.release_header"))
bounding = facts.get("bounding") or {}
dropped = bounding.get("rows_dropped")


def dropped_text(figure: object) -> str:
    """The cap's dropped trajectories as every count is shown: hidden below k, "too uncertain"
    where its interval is too wide, else the value with its 95% interval."""
    if not isinstance(figure, dict):  # a release from before the figure was published
        return "–"
    if figure.get("suppressed"):
        return ui.t("chart.suppressed")
    if figure.get("too_uncertain"):
        return ui.t("chart.too_uncertain")
    return ui.t(
        "method.dropped_value",
        value=ui.number(figure["value"]),
        low=ui.number(figure["ci_low"]),
        high=ui.number(figure["ci_high"]),
    )


rows = [
    (ui.t("method.release_id"), str(facts.get("release_id", "–"))),
    (ui.t("method.created"), i18n.format_date(facts.get("created_at"), lang)),
    (ui.t("method.as_of"), i18n.format_date(facts.get("as_of"), lang)),
    (ui.t("method.years"), ", ".join(str(y) for y in facts.get("years", []))),
    (
        ui.t("method.dropped"),
        dropped_text(dropped),
    ),
    (ui.t("method.warehouse"), str(facts.get("warehouse_version", "–"))),
]
st.table(
    pl.DataFrame(
        {ui.t("method.fact"): [r[0] for r in rows], ui.t("method.value"): [r[1] for r in rows]}
    )
)

values = panels.release_values(facts)
for section in ("noise", "suppression", "interval", "budget", "measured", "binc", "rights"):
    st.header(ui.t(f"method.{section}_header"))
    st.markdown(ui.t(f"method.{section}_text", **values))

# The symbols (ε, c, k) and the measured tables, for whoever wants them: the text above says the
# same in words and numbers.
symbols = [(ui.t("method.epsilon"), values["budget"]), (ui.t("method.c"), values["c"]),
           (ui.t("method.k"), values["k"])]  # fmt: skip
with st.expander(ui.t("tech.title")):
    for note in ("suppression", "cap", "epsilon"):
        st.markdown(ui.t(f"tech.{note}", **values))
    st.table(pl.DataFrame({ui.t("method.fact"): [r[0] for r in symbols],
                           ui.t("method.value"): [r[1] for r in symbols]}))  # fmt: skip
    st.markdown(f"**{ui.t('method.tables_header')}**")
    measured = facts.get("measurements") or {}
    # Each table's share of the budget: ε under pure ε-DP, ρ under zCDP (a symbol, in no language).
    budget_name, budget_symbol = (
        ("rho", "ρ") if facts.get("rho_total") is not None else ("epsilon", "ε")
    )
    order = facts.get("measurement_order") or list(measured)
    # In words, not the config's internal table names: what is counted, broken down by what.
    st.dataframe(pl.DataFrame({
        ui.t("method.table_unit"): [ui.t(f"unit.{measured[n].get('unit', 'trajectories')}") for n in order],
        ui.t("method.table_dimensions"): [" × ".join(ui.t(f"dim.{d}") for d in measured[n]["dimensions"]) or "–"
                                           for n in order],
        budget_symbol: [ui.number(measured[n][budget_name], 3) for n in order],
    }), hide_index=True)  # fmt: skip
