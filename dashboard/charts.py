"""Plotly figures that always show the 95% interval and never draw a suppressed value as zero.

Input frames hold a `category` label (and optionally `series`), `value`, `ci_low`, `ci_high` and
`suppressed`. A suppressed value gets no bar, point or line segment: the category carries a grey
"onderdrukt"/"suppressed" note instead. Colours are Okabe–Ito (safe for colour-blind readers); maps
use Cividis. The modebar's camera button downloads a PNG (no server-side renderer needed).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.colors import sample_colorscale

from binc.core import i18n
from binc.core.resources import reference_dir

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
GREY = "#6E6E6E"  # notes and reference lines: 5.1:1 on white
# Every text of a chart (ticks, axis titles, legend, colour bar): Streamlit's chart theme draws
# them in #808495, 3.7:1 on white, below WCAG AA's 4.5:1; this is 12.6:1.
TEXT = "#333333"
# How far (in months) the series of a numeric-axis trend are set apart.
DODGE = 0.12
MAP_SCALE = "Cividis"

# plotly_white as the process default, not per figure: a figure copies and re-validates a template
# it is given (a large share of a page's server time under load), whereas the default is applied
# unvalidated when the figure is created. Same figure JSON either way.
pio.templates.default = "plotly_white"


def config(filename: str) -> dict[str, Any]:
    """st.plotly_chart config: PNG download from the modebar, no plotly logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


def _fmt(value: float | None, lang: str, decimals: int) -> str:
    return i18n.format_number(value, lang, decimals)


def _hover(frame: pl.DataFrame, lang: str, decimals: int) -> list[str]:
    interval = i18n.text("chart.interval", lang)
    return [
        f"{_fmt(v, lang, decimals)} ({interval} {_fmt(lo, lang, decimals)} – {_fmt(hi, lang, decimals)})"
        for v, lo, hi in zip(frame["value"], frame["ci_low"], frame["ci_high"], strict=True)
    ]


def _position(categories: list[str], category: str) -> int:
    """Where a category sits on its axis. Notes are placed by position, not by name: plotly.js
    reads a name such as "2021" as the number 2021 and stretches the axis to reach it."""
    return categories.index(category)


def _errors(frame: pl.DataFrame) -> tuple[list[float], list[float]]:
    """Whisker lengths. A suppressed point has no value and is not drawn; its whisker is 0, not
    null: plotly.js lets one null whisker break the whole axis range (all points piled up)."""
    plus = [
        0.0 if v is None else hi - v for v, hi in zip(frame["value"], frame["ci_high"], strict=True)
    ]
    minus = [
        0.0 if v is None else v - lo for v, lo in zip(frame["value"], frame["ci_low"], strict=True)
    ]
    return plus, minus


def _style(
    fig: go.Figure, lang: str, title: str | None, axis_title: str, height: float
) -> go.Figure:
    fig.update_layout(
        separators=i18n.plotly_separators(lang), height=height,
        title=title, margin={"l": 10, "r": 140, "t": 50 if title else 20, "b": 40},
        colorway=list(OKABE_ITO), legend={"orientation": "h", "y": -0.15},
    )  # fmt: skip
    return _readable(fig)


def _readable(fig: go.Figure) -> go.Figure:
    """Every text of the figure in TEXT, where Streamlit's chart theme would set a faint grey; whole
    numbers on the axes in the reader's format (10.000, not "10k"; 1.500, not "1500")."""
    fig.update_layout(font_color=TEXT, title_font_color=TEXT, legend_font_color=TEXT)
    numbers = {"exponentformat": "none", "separatethousands": True}
    fig.update_xaxes(tickfont_color=TEXT, title_font_color=TEXT, **numbers)
    fig.update_yaxes(tickfont_color=TEXT, title_font_color=TEXT, **numbers)
    return fig


def _suppressed_notes(frame: pl.DataFrame, series: bool) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = {}
    for row in frame.filter(pl.col("suppressed")).iter_rows(named=True):
        notes.setdefault(row["category"], []).append(row["series"] if series else "")
    return notes


def _note_text(lang: str, names: list[str]) -> str:
    word = i18n.text("chart.suppressed", lang)
    names = [n for n in names if n]
    return f"<i>{word}: {', '.join(names)}</i>" if names else f"<i>{word}</i>"


def forest(frame: pl.DataFrame, lang: str, axis_title: str, decimals: int, *,
           title: str | None = None, reference: float | None = None) -> go.Figure:  # fmt: skip
    """Horizontal points with interval whiskers, one row per category (and a colour per series)."""
    series = "series" in frame.columns
    fig = go.Figure()
    groups = frame.partition_by("series", maintain_order=True) if series else [frame]
    for i, part in enumerate(groups):
        shown = part.filter(~pl.col("suppressed"))
        plus, minus = _errors(shown)
        fig.add_trace(go.Scatter(
            x=shown["value"].to_list(), y=shown["category"].to_list(), mode="markers",
            orientation="h", offsetgroup=str(i), name=part["series"][0] if series else axis_title,
            marker={"size": 9, "color": OKABE_ITO[i % len(OKABE_ITO)]},
            error_x={"type": "data", "array": plus, "arrayminus": minus, "thickness": 2},
            customdata=_hover(shown, lang, decimals), hovertemplate="%{y}: %{customdata}<extra></extra>",
        ))  # fmt: skip
    categories = list(dict.fromkeys(frame["category"].to_list()))
    for category, names in _suppressed_notes(frame, series).items():
        fig.add_annotation(x=1.0, xref="paper", xanchor="left", y=_position(categories[::-1], category),
                           yref="y", text=_note_text(lang, names), showarrow=False, font={"color": GREY})  # fmt: skip
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dot", line_color=GREY)
    fig.update_yaxes(categoryorder="array", categoryarray=categories[::-1], type="category")
    fig.update_xaxes(title=axis_title, rangemode="tozero")
    fig.update_layout(scattermode="group", showlegend=series)
    return _style(
        fig, lang, title, axis_title, max(260, 34 * len(categories) * (1 + 0.3 * series) + 100)
    )


def trend(frame: pl.DataFrame, lang: str, axis_title: str, decimals: int, *,
          title: str | None = None, x_title: str = "", numeric_x: bool = False) -> go.Figure:  # fmt: skip
    """Lines over `category` (years, months) with interval bars; suppressed points are gaps with a note.

    `numeric_x`: the categories are numbers (months) and are placed at their distance (0, 3, 6, 12
    are not equally far apart), each series shifted a little so that their whiskers do not pile up."""
    series = "series" in frame.columns
    fig = go.Figure()
    groups = frame.partition_by("series", maintain_order=True) if series else [frame]
    for i, part in enumerate(groups):
        plus, minus = _errors(part)
        x: list[Any] = part["category"].to_list()
        if numeric_x:
            shift = (i - (len(groups) - 1) / 2) * DODGE
            x = [float(c) + shift for c in x]
        fig.add_trace(go.Scatter(
            x=x, y=part["value"].to_list(), mode="lines+markers",
            name=part["series"][0] if series else axis_title, connectgaps=False,
            line={"color": OKABE_ITO[i % len(OKABE_ITO)]},
            error_y={"type": "data", "array": plus, "arrayminus": minus, "thickness": 1.5},
            customdata=_hover(part, lang, decimals), hovertemplate="%{x}: %{customdata}<extra></extra>",
        ))  # fmt: skip
    categories = list(dict.fromkeys(frame["category"].to_list()))
    for category, names in _suppressed_notes(frame, series).items():
        where = float(category) if numeric_x else _position(categories, category)
        fig.add_annotation(x=where, y=0.02, yref="paper", yanchor="bottom",
                           textangle=-90, text=_note_text(lang, names), showarrow=False, font={"color": GREY})  # fmt: skip
    if numeric_x:
        ticks = [float(c) for c in categories]
        fig.update_xaxes(type="linear", title=x_title, tickvals=ticks, ticktext=categories,
                         range=[min(ticks) - 0.5, max(ticks) + 0.5])  # fmt: skip
    else:
        fig.update_xaxes(
            type="category", title=x_title, categoryorder="array", categoryarray=categories
        )
    fig.update_yaxes(title=axis_title, rangemode="tozero")
    fig.update_layout(showlegend=series)
    return _style(fig, lang, title, axis_title, 380)


def small_multiples(frame: pl.DataFrame, lang: str, axis_title: str, decimals: int, *,
                    columns: int = 4) -> go.Figure:  # fmt: skip
    """One small trend per `series` (e.g. a partnership), shared y axis, intervals on every point.

    The grid of axes is laid out by hand and the figure built in one call: plotly's make_subplots
    and per-trace add_trace validate every step, which was slow for 16 partnerships.
    """
    parts = frame.partition_by("series", maintain_order=True)
    rows = -(-len(parts) // columns)
    gap_x, gap_y = 0.03, 0.24 / max(rows, 1)
    width, height = (1 - gap_x * (columns - 1)) / columns, (1 - gap_y * (rows - 1)) / rows
    layout: dict[str, object] = {}
    traces, notes = [], []
    for i, part in enumerate(parts):
        row, col = divmod(i, columns)
        left, top = col * (width + gap_x), 1 - row * (height + gap_y)
        suffix = "" if i == 0 else str(i + 1)
        layout[f"xaxis{suffix}"] = {"domain": [left, min(1.0, left + width)], "anchor": f"y{suffix}",
                                    "type": "category", "tickfont": {"size": 9},
                                    # pinned: a note on a suppressed year must not re-order the axis
                                    "categoryorder": "array", "categoryarray": part["category"].to_list()}  # fmt: skip
        layout[f"yaxis{suffix}"] = {"domain": [max(0.0, top - height), min(1.0, top)], "anchor": f"x{suffix}",
                                    "rangemode": "tozero", "matches": None if i == 0 else "y",
                                    "showticklabels": col == 0}  # fmt: skip
        notes.append({"text": part["series"][0], "x": left + width / 2, "y": top, "xref": "paper",
                      "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                      "font": {"size": 10}})  # fmt: skip
        plus, minus = _errors(part)
        traces.append(go.Scatter(
            x=part["category"].to_list(), y=part["value"].to_list(), mode="lines+markers",
            line={"color": OKABE_ITO[0]}, showlegend=False, connectgaps=False,
            xaxis=f"x{suffix}", yaxis=f"y{suffix}",
            error_y={"type": "data", "array": plus, "arrayminus": minus, "thickness": 1},
            customdata=_hover(part, lang, decimals), hovertemplate="%{x}: %{customdata}<extra></extra>",
        ))  # fmt: skip
        notes.extend(
            {"x": _position(part["category"].to_list(), category), "xref": f"x{suffix}", "y": 0.02, "yref": f"y{suffix} domain", "yanchor": "bottom",
             "textangle": -90, "showarrow": False, "text": _note_text(lang, []),
             "font": {"color": GREY, "size": 9}}
            for category in part.filter(pl.col("suppressed"))["category"]
        )  # fmt: skip
    fig = go.Figure(data=traces, layout={**layout, "annotations": notes})
    return _style(fig, lang, None, axis_title, 190 * rows + 60)


def columns(frame: pl.DataFrame, lang: str, axis_title: str, decimals: int, *,
            title: str | None = None) -> go.Figure:  # fmt: skip
    """Vertical bars with interval whiskers for one distribution (e.g. duration bands)."""
    shown = frame.with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("value")).alias("value")
    )
    plus, minus = _errors(shown)
    fig = go.Figure(go.Bar(
        x=shown["category"].to_list(), y=shown["value"].to_list(), marker_color=OKABE_ITO[0],
        error_y={"type": "data", "array": plus, "arrayminus": minus, "color": "#000000"},
        customdata=_hover(shown, lang, decimals), hovertemplate="%{x}: %{customdata}<extra></extra>",
    ))  # fmt: skip
    categories = frame["category"].to_list()
    for category in frame.filter(pl.col("suppressed"))["category"]:
        fig.add_annotation(x=_position(categories, category), y=0.02, yref="paper", yanchor="bottom",
                           textangle=-90, text=_note_text(lang, []), showarrow=False, font={"color": GREY})  # fmt: skip
    fig.update_xaxes(
        type="category", categoryorder="array", categoryarray=frame["category"].to_list()
    )
    fig.update_yaxes(title=axis_title, rangemode="tozero")
    return _style(fig, lang, title, axis_title, 380)


@cache
def _provinces_geojson() -> dict[str, Any]:
    return json.loads((reference_dir() / "provinces.geojson").read_text(encoding="utf-8"))


# Plotly's geo traces (Choropleth, Scattergeo) make the visitor's browser fetch a base map from
# cdn.plot.ly: blank offline or behind a strict proxy, and a third-party request from every visitor.
# The provinces are drawn instead as filled polygons on plain x/y axes from the bundled geometry, so
# the map needs nothing but the dashboard's own server (tests/browser checks every request).
SUPPRESSED_FILL = "#D9D9D9"
# The geometry is longitude/latitude. At Flanders' mid latitude a degree of longitude is cos(50.8°)
# as long as a degree of latitude: y units are drawn 1/cos(50.8°) as large as x units, so the map
# is not stretched east-west (equirectangular; exact enough for a region this small).
MAP_ASPECT = 1 / math.cos(math.radians(50.8))

Ring = list[list[float]]


@dataclass(frozen=True)
class _Province:
    labels: dict[str, str]  # language -> name
    x: tuple[float | None, ...]  # every ring, None between rings (plotly closes and fills each)
    y: tuple[float | None, ...]
    anchor: tuple[float, float]  # where a note goes: the centroid of the largest polygon
    area: float


def _ring_area_centroid(ring: Ring) -> tuple[float, float, float]:
    """Shoelace area (absolute) and centroid of a closed ring."""
    twice, cx, cy = 0.0, 0.0, 0.0
    for (x0, y0, *_), (x1, y1, *_) in pairwise(ring):
        cross = x0 * y1 - x1 * y0
        twice += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if twice == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(twice) / 2, cx / (3 * twice), cy / (3 * twice)


def _polygon_area_centroid(polygon: list[Ring]) -> tuple[float, float, float]:
    """Area and centroid of an outer ring less its holes (so a note avoids an enclosed region)."""
    area, cx, cy = _ring_area_centroid(polygon[0])
    mx, my = area * cx, area * cy  # first moments
    for hole_area, hx, hy in map(_ring_area_centroid, polygon[1:]):
        area, mx, my = area - hole_area, mx - hole_area * hx, my - hole_area * hy
    return (area, mx / area, my / area) if area > 0 else (0.0, cx, cy)


@cache
def _provinces() -> dict[str, _Province]:
    """Province NIS code -> outline, largest first (so an enclosed region, Brussels, lies on top)."""
    provinces = []
    for feature in _provinces_geojson()["features"]:
        geometry = feature["geometry"]
        multi = geometry["type"] == "MultiPolygon"
        polygons = geometry["coordinates"] if multi else [geometry["coordinates"]]
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in (ring for polygon in polygons for ring in polygon):
            if xs:
                xs.append(None)
                ys.append(None)
            xs.extend(point[0] for point in ring)
            ys.extend(point[1] for point in ring)
        parts = [_polygon_area_centroid(polygon) for polygon in polygons]
        _, ax, ay = max(parts)
        props = feature["properties"]
        provinces.append((props["province_nis"], _Province(
            labels={"nl": props["label_nl"], "en": props["label_en"]}, x=tuple(xs), y=tuple(ys),
            anchor=(ax, ay), area=sum(a for a, _, _ in parts),
        )))  # fmt: skip
    return dict(sorted(provinces, key=lambda item: -item[1].area))


def province_map(frame: pl.DataFrame, lang: str, axis_title: str, decimals: int) -> go.Figure:
    """Provinces (`code` = province NIS) filled by value on a sequential colour scale, drawn from the
    bundled geometry without a geo subplot; suppressed provinces grey with an 'onderdrukt' note."""
    provinces = _provinces()
    shown = frame.filter(~pl.col("suppressed") & pl.col("value").is_not_null())
    codes, values = shown["code"].to_list(), shown["value"].to_list()
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    scaled = [(v - low) / (high - low) if high > low else 0.5 for v in values]
    fills = dict(zip(codes, sample_colorscale(MAP_SCALE, scaled), strict=True)) if values else {}
    hovers = dict(zip(codes, _hover(shown, lang, decimals), strict=True))
    hidden = set(frame.filter(pl.col("suppressed"))["code"].to_list())
    names = dict(zip(frame["code"].to_list(), frame["category"].to_list(), strict=True))
    word = i18n.text("chart.suppressed", lang)
    traces: list[go.Scatter] = []
    notes: list[dict[str, Any]] = []
    for code, province in provinces.items():
        name = names.get(code) or province.labels.get(lang, province.labels["nl"])
        line = "white"
        if code in fills:
            fill, text = fills[code], f"{name}: {hovers[code]}"
        elif code in hidden:
            fill, text = SUPPRESSED_FILL, f"{name}: {word}"
            notes.append({"x": province.anchor[0], "y": province.anchor[1], "text": f"<i>{word}</i>",
                          "showarrow": False, "font": {"color": "#404040", "size": 11}})  # fmt: skip
        else:  # no figure for this province at all: outline only
            fill, text, line = "rgba(0,0,0,0)", f"{name}: {_fmt(None, lang, decimals)}", GREY
        traces.append(go.Scatter(
            x=province.x, y=province.y, mode="lines", fill="toself", fillcolor=fill, name=name,
            line={"color": line, "width": 1}, hoveron="fills", hoverinfo="text", text=text,
        ))  # fmt: skip
    if values:  # the colour bar rides on an invisible marker trace coloured by the same values
        cx, cy = next(iter(provinces.values())).anchor
        traces.append(go.Scatter(
            x=[cx] * len(values), y=[cy] * len(values), mode="markers", hoverinfo="skip",
            marker={"color": values, "cmin": low, "cmax": high, "colorscale": MAP_SCALE,
                    "size": 0, "opacity": 0, "showscale": True,
                    "colorbar": {"title": {"text": axis_title, "font": {"color": TEXT}},
                                 "tickfont": {"color": TEXT}}},
        ))  # fmt: skip
    return go.Figure(data=traces, layout={"font": {"color": TEXT},
        "xaxis": {"visible": False, "fixedrange": True},
        "yaxis": {"visible": False, "fixedrange": True, "scaleanchor": "x", "scaleratio": MAP_ASPECT},
        "margin": {"l": 0, "r": 0, "t": 30, "b": 0}, "height": 420, "showlegend": False,
        "hovermode": "closest", "dragmode": False, "annotations": notes,
        "plot_bgcolor": "rgba(0,0,0,0)", "separators": i18n.plotly_separators(lang),
    })  # fmt: skip
