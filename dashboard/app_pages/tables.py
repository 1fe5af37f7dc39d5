"""Tabellen & downloads: build a safe table within the workload, preview it, download it, cite it."""

from __future__ import annotations

import streamlit as st

from binc.export import codebook, writers
from dashboard import data, panels, tables, ui, view_state

view = ui.current_view()
lang = view.language
ui.heading("tables.title")
st.write(ui.t("tables.intro"))

catalogue = {m["name"]: m for m in data.measures()}
measure = view_state.selectbox(ui.t("tables.measure"), "measure", list(catalogue),
                               key="tables_measure", format_func=ui.labeller("measure", lang))  # fmt: skip
st.caption(ui.t(f"help.{measure}"))
allowed = [d for d in catalogue[measure]["dimensions"] or [] if d != "municipality"]
by = view_state.multiselect(ui.t("tables.dimensions"), "by", allowed, key="tables_by", max_selections=3,
                            format_func=ui.labeller("dim", lang), help=ui.t("tables.dimensions_help"),
                            placeholder=ui.t("tables.dimensions_placeholder"))  # fmt: skip
left, right = st.columns(2)
use_filters = view_state.toggle(
    ui.t("tables.use_filters"), "filters", key="tables_filters", default=True, where=left
)
totals = view_state.toggle(
    ui.t("tables.totals"), "totals", key="tables_totals", default=False, where=right
)

# One run answers one table definition and hands out only that table. The result area is emptied
# first: while a changed definition is answered, Streamlit would otherwise keep showing the previous
# preview and its download buttons, which would hand out the previous table. The table, its preview
# and every download's bytes are then made from the same answer, in this run, and the buttons are
# keyed on the definition (tests/app/test_table_downloads.py).
result = st.empty()
# A breakdown by start year shows every year: the sidebar's year filter would silently keep one.
where = view.where(years="year" not in by) if use_filters else {}
answer = data.try_ask(measure, by=by, where=where, totals=totals)
if isinstance(answer, str):
    with result.container():
        ui.explain_refusal(answer)
    st.stop()
definition = tables.definition_key(measure, by, where, totals, lang)

with result.container():
    shown = tables.display_table(answer, lang)
    hidden = int(answer.frame["suppressed"].fill_null(True).sum())
    st.dataframe(shown, hide_index=True, key=f"tables_preview_{definition}")
    st.caption(ui.t("tables.suppressed_count", count=hidden))
    # figures of a start year still open (a release on the publication calendar): said so
    ui.provisional_note(answer.release_metadata, panels.provisional_of(answer))
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
                               mime=mime, key=f"download_{kind}_{definition}", on_click="ignore",
                               help=ui.t(f"tables.download_{kind}_help"))  # fmt: skip

    st.subheader(ui.t("tables.cite"))
    st.code(codebook.description(answer, lang)["cite"], language=None, wrap_lines=True)
    panels.technical_notes("suppression")
