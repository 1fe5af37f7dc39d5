"""A chart's two downloads, as a reader gets them in Debian's chromium, on a filtered view (start
year 2024, partnership P02): the modebar's camera button saves a PNG named after the view (the
same name as the chart's CSV), at the export size; the chart's CSV button saves a CSV (nl: BOM, `;`,
decimal comma) that polars reads back with the chart's filters, source, licence, link and the
synthetic-data mark in its last columns. What the PNG shows is the figure itself, whose caption
tests/app/test_chart_exports.py checks in the figure sent to the browser.
"""

from __future__ import annotations

import io
import struct

import polars as pl
import pytest
from support.browser import chromium

from binc.core import i18n
from binc.export.labels import display_label
from dashboard import charts

pytestmark = pytest.mark.browser

VIEW = "duur?lang=nl&year=2024&region=P02"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def test_the_camera_and_the_csv_button_hand_out_the_view(server, tmp_path):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(f"{server}/{VIEW}", wait_until="domcontentloaded")
        chart = page.locator('[data-testid="stPlotlyChart"]').first
        chart.locator(".main-svg").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        chart.hover()  # the modebar shows on hover
        camera = chart.locator(
            f'.modebar-btn[data-title="{i18n.text("plotly.download_png", "nl")}"]'
        )
        with page.expect_download(timeout=30_000) as png:
            camera.click()
        image = png.value
        image.save_as(tmp_path / "chart.png")
        # the chart's table and CSV under it, in its closed expander
        page.locator('[data-testid="stExpander"] summary').first.click()
        button = page.get_by_role("button", name=i18n.text("figure.csv", "nl")).first
        with page.expect_download(timeout=30_000) as csv:
            button.click()
        table = csv.value
        table.save_as(tmp_path / "chart.csv")

    stem = table.suggested_filename.removesuffix(".csv")
    assert table.suggested_filename.endswith(".csv")
    assert image.suggested_filename == f"{stem}.png"  # one name for the view's two files
    for part in ("duration-bands", "2024", "p02", i18n.text("tables.synthetic_suffix", "nl")):
        assert part in stem, (part, stem)
    width, height = _png_size((tmp_path / "chart.png").read_bytes())
    assert width == 2 * charts.EXPORT_WIDTH, width
    assert height > 600, height

    raw = (tmp_path / "chart.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel (nl-BE): BOM, `;`, decimal comma
    frame = pl.read_csv(io.BytesIO(raw[3:]), separator=";", decimal_comma=True, infer_schema=False)
    assert frame.columns[:2] == ["duration_band", "duration_band_label"]
    assert frame.columns[-7:] == [
        "title",
        "filters",
        "unit",
        "source",
        "licence",
        "view",
        "synthetic",
    ]
    about = frame.row(0, named=True)
    assert "2024" in about["filters"]
    assert display_label("partnership", "P02", "nl") in about["filters"]
    assert about["source"].startswith("Opgroeien, BINC")
    assert about["licence"] == i18n.text("export.licence", "nl")
    assert about["view"].startswith(server)
    assert "region=P02" in about["view"]
    assert "year=2024" in about["view"]
    assert about["synthetic"] == i18n.text("export.synthetic", "nl")
    assert frame.select("title", "filters", "source", "view").unique().height == 1  # every row
