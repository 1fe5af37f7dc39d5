"""The province map (dashboard/charts.py): drawn from the bundled outlines on plain axes, never from a
geo subplot whose base map the browser would fetch from a CDN; values on the sequential scale, the
interval in the hover text, suppressed provinces grey and marked 'onderdrukt', never 0."""

from __future__ import annotations

import json
import math

import plotly.graph_objects as go
import polars as pl
import pytest
from plotly.colors import get_colorscale, sample_colorscale

from binc.core import i18n
from binc.core.resources import reference_dir
from dashboard import charts

GEOJSON = json.loads((reference_dir() / "provinces.geojson").read_text(encoding="utf-8"))
CODES = {f["properties"]["province_nis"] for f in GEOJSON["features"]}


def _frame(rows: list[tuple[str, str, float | None, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "code": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "value": [r[2] for r in rows],
            "ci_low": [None if r[2] is None else r[2] * 0.8 for r in rows],
            "ci_high": [None if r[2] is None else r[2] * 1.2 for r in rows],
            "suppressed": [r[3] for r in rows],
        },
        schema_overrides={"value": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64},
    )


# Brussels (04000) has no row: an outline without a value
FRAME = _frame(
    [
        ("10000", "Antwerpen", 1234.5, False),
        ("20001", "Vlaams-Brabant", None, True),
        ("30000", "West-Vlaanderen", 100.0, False),
        ("40000", "Oost-Vlaanderen", 700.0, False),
        ("70000", "Limburg", None, True),
    ]
)


def _provinces(fig: go.Figure) -> dict[str, go.Scatter]:
    """Name -> filled outline."""
    return {t.name: t for t in fig.data if t.fill == "toself"}


def test_the_reference_holds_the_flemish_provinces_and_brussels():
    assert sorted(CODES) == ["04000", "10000", "20001", "30000", "40000", "70000"]


def test_no_geo_subplot_and_nothing_to_fetch():
    fig = charts.province_map(FRAME, "nl", "trajecten", 1)
    spec = fig.to_plotly_json()
    assert {t["type"] for t in spec["data"]} == {"scatter"}
    assert not [key for key in spec["layout"] if key.startswith(("geo", "map"))]
    assert "://" not in fig.to_json()  # no URL of any kind in the figure
    # one filled outline per province of the reference, Brussels included (outline only: no row)
    assert len(_provinces(fig)) == len(CODES)


def test_a_map_not_a_stretched_plot():
    layout = charts.province_map(FRAME, "nl", "trajecten", 1).layout
    assert layout.yaxis.scaleanchor == "x"
    assert layout.yaxis.scaleratio == pytest.approx(1 / math.cos(math.radians(50.8)))
    assert (layout.xaxis.visible, layout.yaxis.visible) == (False, False)


def test_values_on_the_sequential_scale_with_a_colour_bar():
    fig = charts.province_map(FRAME, "nl", "trajecten", 1)
    shapes = _provinces(fig)
    low, high = sample_colorscale(charts.MAP_SCALE, [0.0, 1.0])
    assert shapes["West-Vlaanderen"].fillcolor == low
    assert shapes["Antwerpen"].fillcolor == high
    assert shapes["Oost-Vlaanderen"].fillcolor not in (low, high)
    (bar,) = [t for t in fig.data if t.marker.showscale]
    assert (bar.marker.cmin, bar.marker.cmax) == (100.0, 1234.5)
    assert [c for _, c in bar.marker.colorscale] == [c for _, c in get_colorscale(charts.MAP_SCALE)]
    assert bar.marker.colorbar.title.text == "trajecten"
    assert bar.hoverinfo == "skip"


@pytest.mark.parametrize(("lang", "expected"), [
    ("nl", "Antwerpen: 1.234,5 ({interval} 987,6 – 1.481,4)"),
    ("en", "Antwerpen: 1,234.5 ({interval} 987.6 – 1,481.4)"),
])  # fmt: skip
def test_hover_names_the_province_with_value_and_interval_in_the_readers_format(lang, expected):
    shapes = _provinces(charts.province_map(FRAME, lang, "trajecten", 1))
    interval = i18n.text("chart.interval", lang)
    assert shapes["Antwerpen"].text == expected.format(interval=interval)
    assert (shapes["Antwerpen"].hoveron, shapes["Antwerpen"].hoverinfo) == ("fills", "text")


def test_suppressed_provinces_are_grey_and_say_so_never_zero():
    fig = charts.province_map(FRAME, "nl", "trajecten", 1)
    shapes = _provinces(fig)
    word = i18n.text("chart.suppressed", "nl")
    for name in ("Vlaams-Brabant", "Limburg"):
        assert shapes[name].fillcolor == charts.SUPPRESSED_FILL
        assert shapes[name].text == f"{name}: {word}"
    assert [a.text for a in fig.layout.annotations] == [f"<i>{word}</i>"] * 2
    bar = next(t for t in fig.data if t.marker.showscale)
    assert len(bar.marker.color) == 3  # the colour bar spans the shown values only


def test_a_province_without_a_row_is_an_outline_without_a_value():
    shapes = _provinces(charts.province_map(FRAME, "en", "trajectories", 1))
    brussels = shapes["Brussels-Capital Region"]
    assert brussels.fillcolor == "rgba(0,0,0,0)"
    assert brussels.text == "Brussels-Capital Region: –"


def test_nothing_shown_draws_outlines_without_a_colour_bar():
    hidden = FRAME.with_columns(suppressed=pl.lit(True), value=None)
    fig = charts.province_map(hidden, "nl", "trajecten", 1)
    assert not [t for t in fig.data if t.marker.showscale]
    assert len(_provinces(fig)) == len(CODES)
