"""Regio's vergelijken: one measure, regions side by side with intervals — and no false league tables.

Regions stand in the reference order of their codes; one is put above another only when its whole
interval lies above the other's (tables.interval_order). A value too uncertain to read is not drawn,
not ranked and not called clearly higher or lower. Outcome measures compare the last 3 complete
start years pooled by default (more trajectories per region, narrower intervals), named in the
heading; the reader can switch to the sidebar's start years (`period`). Per province, trajectories
can be compared per 1,000 children aged 0–17 (public population figures, data/reference/), for the
start years that have a population figure."""

from __future__ import annotations

from itertools import pairwise

import polars as pl
import streamlit as st

from binc.core import i18n
from binc.core import reference as reference_data
from dashboard import charts, data, panels, tables, ui, view_state

# Trajectories per 1,000 children aged 0–17: the count divided by the public population figure
# (provinces only; data/reference/population_0_17.csv).
RATE = "trajectories_per_1000"
MEASURES = ("trajectories", "share_planned_end", "median_duration_months", "survival_6m",
            "median_waiting_days", "share_waiting_within_month", "share_other_care_before",
            "share_other_care_after", RATE)  # fmt: skip
PER = 1000
LEVELS = ("partnership", "province")
# The period compared: the sidebar's start years, or the last POOLED complete start years together.
PERIODS = ("years", "pooled")
POOLED = 3

view = ui.current_view()
lang = view.language
ui.heading("compare.title")
st.write(ui.t("compare.intro"))
left, right = st.columns(2)


def name(code: str) -> str:
    """A figure's name: the measure's, or the rate per 1,000 children."""
    return i18n.text("compare.per_1000" if code == RATE else f"measure.{code}", lang)


measure = view_state.selectbox(ui.t("compare.measure"), "measure", MEASURES, key="cmp_measure",
                               where=left, format_func=name)  # fmt: skip
level = view_state.radio(ui.t("compare.level"), "level", LEVELS, key="cmp_level", where=right,
                         horizontal=True, format_func=ui.labeller("dim", lang))  # fmt: skip


def span(years: tuple[str, ...]) -> str:
    """Start years as a heading names them: 2024; 2022–2024 (consecutive); 2019, 2021."""
    consecutive = [int(y) for y in years] == list(range(int(years[0]), int(years[-1]) + 1))
    if len(years) > 1 and consecutive:
        return f"{years[0]}–{years[-1]}"
    return ", ".join(years)


marked = data.provisional_years()


def period_name(years: tuple[str, ...]) -> str:
    """The compared start years as the heading names them, a provisional one said so: "startjaar
    2025 (voorlopig)", "startjaren 2023–2025 (2025 voorlopig) samen"."""
    among = [year for year in years if year in marked]
    if not among:
        return span(years)
    if len(years) == 1:
        return ui.year_label(years[0], marked, lang)
    return i18n.text("provisional.span", lang, span=span(years), marked=", ".join(among))


pooled_years = data.complete_years()[-POOLED:]
chosen_years = view.years
# Outcomes (shares, survival, medians) default to the pooled period; the count to the chosen years.
# Each has its own widget, so switching between them applies that one's default (a choice away
# from it travels in the link). The years themselves are named in the heading below.
outcome = measure not in ("trajectories", RATE)
period = view_state.radio(
    ui.t("compare.period"), "period", PERIODS, key=f"cmp_period_{'outcome' if outcome else 'count'}",
    default="pooled" if outcome and pooled_years else "years", horizontal=True,
    format_func=lambda code: i18n.text(f"compare.period_{code}", lang, count=POOLED),
)  # fmt: skip
if period == "pooled" and not pooled_years:
    st.info(ui.t("compare.no_complete_years"), icon=":material/info:")
    period = "years"
if period == "pooled":
    where = {**view.where(years=False, region=False), "year": pooled_years}
    period_text = ui.t("compare.period_heading_pooled", years=period_name(pooled_years))
else:
    where = view.where(region=False)
    period_text = ui.t("compare.period_heading_years" if len(chosen_years) == 1 else
                       "compare.period_heading_pooled", years=period_name(chosen_years))  # fmt: skip
st.subheader(f"{name(measure)} · {period_text}")
if period == "pooled":
    as_of = data.facts().get("as_of")
    st.caption(ui.t("compare.pooled_note", count=len(pooled_years),
                    as_of=i18n.format_date(as_of, lang)))  # fmt: skip

if measure == RATE and level != "province":
    st.info(ui.t("compare.rate_province_only"), icon=":material/info:")
    st.stop()
asked = "trajectories" if measure == RATE else measure
answer = data.try_ask(asked, by=(level,), where=where)
if isinstance(answer, str):
    ui.explain_refusal(answer)
    st.stop()
places = tables.decimals(answer)
unit = tables.unit(answer, lang)
frame = tables.chart_frame(answer, level, lang=lang)
whole = data.try_ask(asked, where=where)
overall = None if isinstance(whole, str) else tables.figure(whole)
reference = None if overall is None or overall.uncertain else overall.value
if answer.kind == "count" and measure != RATE:
    reference = None  # counts of regions of different sizes have no common reference

if measure == RATE:
    population = reference_data.population_0_17().filter(pl.col("region_level") == "province")
    counted = sorted({str(year) for year in population["year"]})
    period_codes = tuple(where.get("year") or view.all_years)
    missing = [year for year in period_codes if year not in counted]
    if missing:
        st.info(ui.t("compare.rate_no_population", years=", ".join(missing),
                     available=span(tuple(counted))), icon=":material/info:")  # fmt: skip
        st.stop()
    in_period = population.filter(pl.col("year").cast(pl.String).is_in(period_codes))
    children = dict(
        in_period.group_by("region_code").agg(pl.col("children_0_17").sum()).iter_rows()
    )
    frame = tables.per_children(frame, children, PER)
    reference = None if reference is None else reference / sum(children.values()) * PER
    unit, places = ui.t("compare.rate_unit"), 1

# Not a league table: the codes' order, unless intervals lie apart; too uncertain values last.
frame = tables.interval_order(frame)
panels.chart(charts.forest(frame, lang, unit, places, reference=reference), frame, answer,
             key="cmp_chart", name=f"compare-{measure}", places=places, category=level,
             title=name(measure), unit=unit, description=ui.alt(name(measure), ui.t(f"dim.{level}")))  # fmt: skip
ui.suppressed_note()
st.caption(ui.t("compare.order_rule"))
if measure == RATE:
    st.caption(ui.t("compare.rate_source"))

# Clearly higher or lower only for values that are drawn: not suppressed, not too uncertain.
shown = frame.filter(~pl.col("suppressed") & ~pl.col("too_uncertain"))
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
years = data.try_ask(asked, by=("year", level), where=view.where(years=False, region=False))
if isinstance(years, str):
    ui.explain_refusal(years)
else:
    multiples = tables.chart_frame(years, "year", level, lang)
    if measure == RATE:  # per year, for the years with a population figure
        multiples = tables.per_children(
            multiples.filter(pl.col("code").is_in(counted))
            .with_columns(key=pl.col("series_code") + "|" + pl.col("code")),
            {f"{code}|{year}": n for _, code, year, n, _ in population.iter_rows()}, PER, "key",
        ).drop("key")  # fmt: skip
    panels.chart(charts.small_multiples(multiples, lang, unit, places), multiples, years,
                 key="cmp_years", name=f"compare-years-{measure}", places=places, category="year",
                 series=level, title=name(measure), unit=unit,
                 description=ui.alt(name(measure), ui.t(f"dim.{level}"), ui.t("dim.year")))  # fmt: skip
    if measure == RATE:
        st.caption(ui.t("compare.rate_years_note", years=span(tuple(counted))))

st.subheader(ui.t("compare.map"))
if level == "province":
    panels.chart(charts.province_map(frame, lang, unit, places), frame, answer,
                 key="cmp_map", name=f"map-{measure}", places=places, category="province",
                 title=f"{ui.t('compare.map')} · {name(measure)}", unit=unit,
                 description=ui.alt(ui.t("compare.map"), name(measure)))  # fmt: skip
    st.caption(ui.t("compare.map_attribution"))
else:
    st.info(ui.t("compare.no_partnership_map"), icon=":material/map:")
