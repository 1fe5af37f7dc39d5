"""Methode & privacy: noise, suppression and intervals in plain words, with this release's figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import streamlit as st

from binc.answering.calendar import calendar
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


def closing_rule(block: dict) -> str:
    """When a start year closes, in words ("op 30 juni, 2 jaar na het startjaar"), from the
    calendar's `closing_lag_years` and `closing_day` ("06-30")."""
    lag, day = block.get("closing_lag_years"), str(block.get("closing_day") or "")
    try:
        month, dom = (int(part) for part in day.split("-"))
        month_name = i18n.MONTHS[lang][month - 1]
    except (ValueError, IndexError):
        return ui.t("method.closing_unknown")
    if not isinstance(lag, int) or isinstance(lag, bool) or lag < 0:
        return ui.t("method.closing_unknown")
    key = {0: "method.closing_rule_zero", 1: "method.closing_rule_one"}.get(
        lag, "method.closing_rule"
    )
    return ui.t(key, day=dom, month=month_name, lag=lag)


# Start years whose figures are provisional (a release on the publication calendar): named so.
marked = data.provisional_years()
rows = [
    (ui.t("method.release_id"), str(facts.get("release_id", "–"))),
    (ui.t("method.created"), i18n.format_date(facts.get("created_at"), lang)),
    (ui.t("method.as_of"), i18n.format_date(facts.get("as_of"), lang)),
    (
        ui.t("method.years"),
        ", ".join(ui.year_label(str(y), marked) for y in facts.get("years", [])),
    ),
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


def lifetime_text(block: Mapping[str, Any], lang: str) -> str:
    """The calendar's per-child lifetime bound as the page writes it: 5, or 4,60 (nl)."""
    bound = float(block.get("per_child_budget", 0.0))
    return i18n.format_number(bound, lang, 0 if bound.is_integer() else 2)


def release_notes_text(block: Mapping[str, Any]) -> str:
    """The release notes of a calendar release: what changed since the previous one, per start
    year (binc/release/calendar.py, `release_notes`)."""
    previous = block.get("previous_release")
    changes = [
        ui.t(f"method.change_{note['change']}", year=note["year"],
             phase=ui.t(f"method.phase_{note.get('phase', 'provisional')}"))
        for note in block.get("release_notes") or ()
    ]  # fmt: skip
    # late registrations of closed years: only counts that are shown (a hidden one is not named)
    for year, figure in sorted((block.get("late_registrations") or {}).items()):
        if figure.get("suppressed") or figure.get("value") is None:
            continue
        if figure.get("too_uncertain"):
            changes.append(ui.t("method.change_late_uncertain", year=year))
            continue
        numbers = {k: i18n.format_number(figure[key], lang, 0)
                   for k, key in (("value", "value"), ("low", "ci_low"), ("high", "ci_high"))}  # fmt: skip
        changes.append(ui.t("method.change_late", year=year, **numbers))
    if previous is None:
        lead = ui.t("method.notes_first")
    elif not changes:
        return ui.t("method.notes_none", release=previous)
    else:
        lead = ui.t("method.notes_since", release=previous)
    return "\n".join([lead, "", *(f"- {change}" for change in changes)])


values = panels.release_values(facts)
sections = ["noise", "suppression", "interval", "budget", "measured", "binc", "rights"]
block = calendar(facts)
if block is not None:  # a release on the publication calendar: provisional and definitive figures
    sections.insert(sections.index("interval") + 1, "calendar")
    listed = [str(y) for y in facts.get("years", []) if str(y) in marked]
    shown_year = listed[-1] if listed else str((facts.get("years") or [""])[-1])
    example = i18n.text("provisional.year", lang, year=shown_year)  # how a page marks one
    calendar_values = {"closing": closing_rule(dict(block)), "example": example,
                       "years": ", ".join(listed) or ui.t("method.none_provisional"),
                       "times": block.get("provisional_releases", "?"),
                       "lifetime": lifetime_text(block, lang)}  # fmt: skip
else:
    calendar_values = {}
for section in sections:
    st.header(ui.t(f"method.{section}_header"))
    st.markdown(ui.t(f"method.{section}_text", **values, **calendar_values))
    if section == "calendar" and block is not None:
        st.subheader(ui.t("method.notes_header"))
        st.markdown(release_notes_text(block))

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
