"""Leakage: render every page and produce every download for a sample of filter combinations, and
check that nothing below k is published unsuppressed and no identifier or pseudonym appears.

Every answer the app asks for is recorded (a spy around `answer`); the rendered text, chart specs
and download bytes are searched for the warehouse's pseudonyms, national numbers and names.
"""

from __future__ import annotations

import base64
import io
import json
import re

import duckdb
import numpy as np
import polars as pl
import pytest
import streamlit as st
from support.small_release import PAGES, app_test, page_path, small_release

from binc.answering import answer as real_answer
from dashboard import data

SAMPLES = (
    {},
    {"year": ["2024"], "region": "P07"},
    {"year": ["2021", "2022"], "region": "30000"},
    {"region": "P12", "type": ["case_coordination", "bridging"]},
    {"lang": "en", "year": ["2019"], "type": ["psychologist"]},
)
TABLE_QUESTIONS = (
    # Tables the small test release can protect: three-dimension tables over three years are so
    # sparse there that they are refused (tests/app/test_app.py checks that message).
    ("trajectories", ["year", "partnership"]),
    ("share", ["age_band", "sex"]),
    ("median_duration_months", ["year", "trajectory_type"]),
)

pytestmark = pytest.mark.usefixtures("app_release")


@pytest.fixture(scope="module")
def secrets_in_warehouse() -> list[str]:
    """Pseudonyms (the linkage key of a person) that must never reach the screen or a download."""
    _, warehouse = small_release()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT DISTINCT pseudonym FROM trajectories LIMIT 2000").fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


@pytest.fixture
def recorded(monkeypatch):
    tables = []

    def spy(*args, **kwargs):
        table = real_answer(*args, **kwargs)
        tables.append(table)
        return table

    st.cache_data.clear()
    monkeypatch.setattr(data, "answer", spy)
    yield tables
    st.cache_data.clear()


def _page_output(at) -> str:
    parts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "info",
                                       "warning", "error", "code") for e in getattr(at, kind)]  # fmt: skip
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [t.value.to_csv() if hasattr(t.value, "to_csv") else str(t.value) for t in at.table]
    return "\n".join(parts)


@pytest.fixture
def downloads(monkeypatch) -> list[bytes]:
    """Every payload handed to a download button during the test."""
    from streamlit.delta_generator import DeltaGenerator

    blobs: list[bytes] = []
    original = DeltaGenerator.download_button

    def spy(self, label, data, *args, **kwargs):
        blobs.append(data)
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    return blobs


def _check_tables(tables, k: int) -> None:
    assert tables, "the spy saw no answers"
    for table in tables:
        frame = table.frame
        shown = frame.filter(~pl.col("suppressed"))
        assert shown.filter(pl.col("base") < k).is_empty(), (
            f"{table.measure}: unsuppressed base below k"
        )
        hidden = frame.filter(pl.col("suppressed"))
        for column in ("value", "ci_low", "ci_high", "base"):
            assert hidden[column].null_count() == hidden.height, (
                f"{table.measure}: suppressed cell keeps {column}"
            )


def _chart_numbers(node: object) -> list[float]:
    """Every number in a chart's data, including Plotly's base64 typed arrays ({dtype, bdata})."""
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            raw = np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.dtype(node["dtype"]))
            return [float(x) for x in raw]
        return [x for value in node.values() for x in _chart_numbers(value)]
    if isinstance(node, list):
        return [x for value in node for x in _chart_numbers(value)]
    if isinstance(node, float):
        return [node]
    return []


def _check_chart_precision(at, page: str) -> None:
    """A chart's data reach the browser: no number in them has more than the one decimal a page
    ever shows (a full-precision share would give back more than the page publishes)."""
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            numbers = np.array(_chart_numbers(trace), dtype=np.float64)
            numbers = numbers[np.isfinite(numbers)]
            extra = numbers[np.abs(np.round(numbers, 1) - numbers) > 1e-9]
            assert extra.size == 0, (
                f"{page}, {trace.get('name')!r}: chart data with more digits than shown: {extra[:5]}"
            )


def _check_text(text: str, pseudonyms: list[str]) -> None:
    assert not re.search(r"\b[0-9a-f]{64}\b", text), "a 64-hex pseudonym-like string is shown"
    assert not re.search(r"\b\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?\d{2}\b", text), (
        "a national number is shown"
    )
    for pseudonym in pseudonyms[:500]:
        assert pseudonym not in text


@pytest.mark.parametrize(
    "query", SAMPLES, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()) or "default"
)
def test_pages_leak_nothing(recorded, secrets_in_warehouse, query):
    at = app_test()
    at.query_params = {key: value for key, value in query.items()}
    at.run()
    for page in PAGES:
        at.switch_page(page_path(page)).run()
        assert not at.exception
        _check_text(_page_output(at), secrets_in_warehouse)
        _check_chart_precision(at, page)
    _check_tables(recorded, recorded[0].release_metadata["k"])


@pytest.mark.parametrize(("measure", "by"), TABLE_QUESTIONS)
@pytest.mark.parametrize("totals", [False, True])
def test_downloads_leak_nothing(recorded, downloads, secrets_in_warehouse, measure, by, totals):
    at = app_test()
    at.query_params = {"year": ["2023", "2024", "2025"]}
    at.run()
    at.switch_page(page_path("tables")).run()
    at.selectbox(key="tables_measure").set_value(measure).run()
    at.multiselect(key="tables_by").set_value(by).run()
    at.toggle(key="tables_totals").set_value(totals).run()
    assert not at.exception
    # the downloads on screen belong to this very question (not to an earlier run of the page)
    assert (recorded[-1].measure, recorded[-1].dimensions) == (measure, tuple(by))
    blobs = downloads[-5:]
    assert len(blobs) == 5
    k = recorded[-1].release_metadata["k"]
    _check_tables(recorded, k)
    for blob in blobs:
        _check_text(blob.decode("utf-8", errors="ignore"), secrets_in_warehouse)
    plain = pl.read_csv(io.BytesIO(blobs[1]), infer_schema=False)
    if recorded[-1].kind == "count":
        shown = plain.filter(pl.col("suppressed") == "false")
        assert (shown["value"].cast(pl.Float64) >= k).all(), (
            "an unsuppressed count below k is downloadable"
        )
    hidden = plain.filter(pl.col("suppressed") == "true")
    assert hidden["value"].null_count() == hidden.height
