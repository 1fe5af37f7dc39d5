"""Tabellen & downloads never hands out a stale table: each run empties the result area before it
asks for the table (Streamlit would otherwise keep showing the previous preview and its download
buttons while the new table is computed), makes every download's bytes from the answer of that
same run, and keys the buttons on the table definition (tables.definition_key)."""

from __future__ import annotations

import io

import polars as pl
import pytest
from support.small_release import app_test, page_path

from binc.export import writers
from dashboard import data, tables

pytestmark = pytest.mark.usefixtures("app_release")


@pytest.fixture
def events(monkeypatch) -> list[tuple]:
    """What the page does, in order: ("empty",), ("ask", answer), ("download", key, data)."""
    import streamlit as st
    from streamlit.delta_generator import DeltaGenerator

    seen: list[tuple] = []
    empty, ask, download = st.empty, data.try_ask, DeltaGenerator.download_button

    def spy_empty(*args, **kwargs):
        seen.append(("empty",))
        return empty(*args, **kwargs)

    def spy_ask(*args, **kwargs):
        answer = ask(*args, **kwargs)
        seen.append(("ask", answer))
        return answer

    def spy_download(self, label, payload, *args, **kwargs):
        seen.append(("download", kwargs.get("key"), payload))
        return download(self, label, payload, *args, **kwargs)

    monkeypatch.setattr(st, "empty", spy_empty)
    monkeypatch.setattr(data, "try_ask", spy_ask)
    monkeypatch.setattr(DeltaGenerator, "download_button", spy_download)
    return seen


def _run(at, events: list[tuple], change) -> list[tuple]:
    """What one run after `change` did."""
    events.clear()
    change(at).run()
    assert not at.exception, [e.value for e in at.exception]
    return list(events)


def test_the_downloads_are_those_of_the_table_just_defined(events):
    at = app_test()
    at.query_params = {"lang": "nl"}
    at.run()
    at.switch_page(page_path("tables")).run()
    before = {key for kind, key, *_ in (e for e in events if e[0] == "download")}

    for change, measure, by in (
        (lambda at: at.multiselect(key="tables_by").set_value(["sex"]), None, ("sex",)),
        (lambda at: at.selectbox(key="tables_measure").set_value("share"), "share", ("sex",)),
        (lambda at: at.toggle(key="tables_totals").set_value(True), "share", ("sex",)),
    ):
        run = _run(at, events, change)
        kinds = [e[0] for e in run]
        asked = [e[1] for e in run if e[0] == "ask"]
        assert len(asked) == 1
        answer = asked[0]
        assert measure in (None, answer.measure)
        assert answer.dimensions == by
        downloads = [e for e in run if e[0] == "download"]
        assert len(downloads) == 5
        # emptied before the question, every button after the answer, in the same run
        assert kinds.index("empty") < kinds.index("ask") < kinds.index("download")
        totals = "TOTAL" in answer.frame["sex"].to_list()
        where = dict(answer.filters)
        key = tables.definition_key(answer.measure, by, where, totals, "nl")
        assert all(e[1].endswith(f"_{key}") for e in downloads)
        assert not before & {e[1] for e in downloads}  # no button of an earlier definition
        # the bytes are this very answer's: Excel CSV, plain CSV (and XLSX, Parquet, codebook)
        assert downloads[0][2] == writers.excel_csv_bytes(answer, "nl")
        assert downloads[1][2] == writers.csv_bytes(answer, "nl")
        plain = pl.read_csv(io.BytesIO(downloads[1][2]))
        assert plain.columns[:2] == ["sex", "sex_label"]
        assert ("TOTAL" in plain["sex"].to_list()) == totals
        # and the page shows exactly these buttons, keyed on this definition
        shown = [b.proto.id for b in at.get("download_button")]
        assert len(shown) == 5
        assert all(i.endswith(f"_{key}") for i in shown)
        before = {e[1] for e in downloads}
