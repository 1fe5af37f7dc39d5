"""Tabellen & downloads: build a safe table within the workload, preview it, download it, cite it."""

from __future__ import annotations

import streamlit as st

from binc.export import codebook, writers
from dashboard import data, tables, ui

view = ui.current_view()
lang = view.language
ui.heading("tables.title")
st.write(ui.t("tables.intro"))

catalogue = {m["name"]: m for m in data.measures()}
measure = st.selectbox(ui.t("tables.measure"), list(catalogue), key="tables_measure",
                       format_func=ui.labeller("measure", lang))  # fmt: skip
st.caption(ui.t(f"help.{measure}"))
allowed = [d for d in catalogue[measure]["dimensions"] or [] if d != "municipality"]
by = st.multiselect(ui.t("tables.dimensions"), allowed, key="tables_by", max_selections=3,
                    format_func=ui.labeller("dim", lang), help=ui.t("tables.dimensions_help"))  # fmt: skip
left, right = st.columns(2)
use_filters = left.toggle(ui.t("tables.use_filters"), value=True, key="tables_filters")
totals = right.toggle(ui.t("tables.totals"), value=False, key="tables_totals")

# A breakdown by start year shows every year: the sidebar's year filter would silently keep one.
where = view.where(years="year" not in by) if use_filters else {}
answer = data.try_ask(measure, by=by, where=where, totals=totals)
if isinstance(answer, str):
    ui.explain_refusal(answer)
    st.stop()

shown = tables.display_table(answer, lang)
hidden = int(answer.frame["suppressed"].fill_null(True).sum())
st.dataframe(shown, hide_index=True, key="tables_preview")
st.caption(ui.t("tables.suppressed_count", count=hidden, k=answer.release_metadata.get("k")))
if where:
    described = "; ".join(
        f"{ui.t(f'dim.{d}')}: {', '.join(ui.label(d, c) for c in codes)}"
        for d, codes in where.items()
    )
    st.caption(ui.t("tables.filters_applied", filters=described))

# The file's name says what it holds: measure, breakdowns, filters, and that demo data are synthetic.
parts = ["binc", measure, *by, *(code for _, codes in sorted(where.items()) for code in codes)]
if answer.release_metadata.get("synthetic") is True or data.is_synthetic():
    parts.append(ui.t("tables.synthetic_suffix"))
name = tables.file_stem(parts)
st.subheader(ui.t("tables.downloads"))
buttons = st.columns(5)
downloads = (
    ("excel_csv", writers.excel_csv_bytes, f"{name}_excel-nl-BE.csv", "text/csv"),
    ("csv", writers.csv_bytes, f"{name}.csv", "text/csv"),
    ("xlsx", writers.xlsx_bytes, f"{name}.xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("parquet", writers.parquet_bytes, f"{name}.parquet", "application/vnd.apache.parquet"),
    ("codebook", codebook.codebook_bytes, f"{name}.codebook.json", "application/json"),
)  # fmt: skip
for column, (kind, writer, file_name, mime) in zip(buttons, downloads, strict=True):
    column.download_button(ui.t(f"tables.download_{kind}"), writer(answer, lang), file_name=file_name,
                           mime=mime, key=f"download_{kind}", on_click="ignore",
                           help=ui.t(f"tables.download_{kind}_help"))  # fmt: skip

st.subheader(ui.t("tables.cite"))
st.code(codebook.description(answer, lang)["cite"], language=None, wrap_lines=True)
