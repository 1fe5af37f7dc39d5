"""Plotly figures that always show the 95% interval and never draw a suppressed value as zero.

Input frames hold a `category` label (and optionally `series`), `value`, `ci_low`, `ci_high`,
`suppressed` and (optionally) `too_uncertain`. A suppressed value gets no bar, point, line segment
or whisker: the category carries a grey "onderdrukt"/"suppressed" note instead; so does a value too
uncertain to read, with a "te onzeker"/"too uncertain" note. A value the frame flags `provisional` (a
release on the publication calendar: its start year is still open) is drawn open: an open marker, a
dashed line into it, a hatched bar; its label says "(voorlopig)" and a caption explains (panels).
Colours are Okabe–Ito (safe for colour-blind readers); maps use Cividis. The modebar's camera button downloads a PNG (no server-side renderer needed).

A figure is laid out for every screen from a phone (390 px wide) to a desktop, because the server
cannot know the reader's width: no fixed right margin, axes that make room for their labels
(automargin), long labels wrapped, the legend below the plot. `caption` dresses a figure to stand on
its own as an image: a title with the filters and period above the plot, and below it the unit, the
source line, the licence, the link to the view and the synthetic-data mark (all drawn on screen
too: plotly.js exports exactly what it draws). `config` gives the modebar only the camera button,
with Dutch or English tooltips, and the PNG's file name and size.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
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


# Plotly.js's own English texts (modebar tooltip, notices) -> their keys in the language files. Its
# locale bundles are not part of Streamlit's build, so the translations travel in the chart's
# config (`locales`), which plotly.js consults before its registry.
PLOTLY_TEXTS = {
    "Download plot as a PNG": "plotly.download_png",
    "Download plot": "plotly.download",
    "Preparing image - this may take a few seconds": "plotly.preparing",
    "Image download succeeded": "plotly.downloaded",
    "Sorry, there was a problem downloading your image!": "plotly.failed",
    "Double-click on legend to isolate one trace": "plotly.isolate",
    "Double-click to zoom back out": "plotly.zoom_out",
}
EXPORT_WIDTH = 900  # px of the exported PNG (times `scale`), whatever the screen's width


def config(filename: str, lang: str = "nl", height: float | None = None) -> dict[str, Any]:
    """st.plotly_chart config: the modebar (`modebar`) and the PNG's file name and size."""
    image: dict[str, Any] = {
        "format": "png",
        "filename": filename,
        "scale": 2,
        "width": EXPORT_WIDTH,
    }
    if height:
        image["height"] = height
    return {"displaylogo": False, **modebar(lang), "toImageButtonOptions": image}


def modebar(lang: str) -> dict[str, Any]:
    """A modebar with only the camera button (all a reader needs; it keeps the modebar small on a
    phone, and it replaces Streamlit's untranslatable "Fullscreen" button), its tooltip and notices
    in the page's language."""
    dictionary = {source: i18n.text(key, lang) for source, key in PLOTLY_TEXTS.items()}
    return {
        "modeBarButtons": [["toImage"]],
        "locale": lang,
        "locales": {lang: {"dictionary": dictionary}},
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


# Laid out for the narrowest screen: a phone's content width, in px. Widths of text are estimated
# from the number of characters (plotly measures text only in the browser); an estimate errs wide.
NARROW = 330
LABEL_CHARS = 20  # a category label on the y axis, per line
TITLE_CHARS, SUBTITLE_CHARS, FOOTER_CHARS = 38, 52, 62  # per line, at 15, 12 and 10 px
FOOTER_SIZE, LINE = 10, 1.3  # the caption's font size (px) and line height (em)
MARK = "#A4161A"  # the synthetic-data mark: dark red, 7:1 on white


def _char_px(size: float) -> float:
    """The width of an average character at font size `size` (px), erring wide."""
    return 0.58 * size


def _style(
    fig: go.Figure, lang: str, title: str | None, axis_title: str, height: float
) -> go.Figure:
    """The layout every chart shares: no fixed right margin (a phone's width is all plot), axes that
    grow their margins for their labels, the legend horizontal below the plot, no zooming (a touch
    scrolls the page instead of the chart)."""
    fig.update_layout(
        separators=i18n.plotly_separators(lang), height=height,
        title=title, margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 40},
        colorway=list(OKABE_ITO),
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.15, "yanchor": "top"},
    )  # fmt: skip
    fig.update_xaxes(automargin=True, fixedrange=True)
    fig.update_yaxes(automargin=True, fixedrange=True)
    return _readable(fig)


def _escape(text: str) -> str:
    """Text as plotly.js draws it literally (it reads <b>, <br> and &amp; as markup)."""
    return html.escape(text, quote=False)


def _pieces(word: str, width: int) -> list[str]:
    """A word longer than a line (a link) in pieces, each ending after a '/', '?' or '&'; a word
    without them (a long label word) stays whole unless it is longer than two lines."""
    pieces, current = [], ""
    for part in re.split(r"(?<=[/?&])", word):
        if current and len(current) + len(part) > width:
            pieces.append(current)
            current = ""
        while len(part) > 2 * width:  # only a very long run without a separator is cut
            pieces.append(part[:width])
            part = part[width:]
        current += part
    return [*pieces, current] if current else pieces


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters (plotly.js never wraps text): at spaces, and a
    long word (a link) after its separators."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        for i, piece in enumerate(_pieces(word, width) if len(word) > width else [word]):
            glue = "" if i > 0 or not line else " "
            if line and len(line) + len(glue) + len(piece) > width:
                lines.append(line)
                line = piece
            else:
                line += glue + piece
    return [*lines, line] if line else lines


def _markup(text: str, width: int) -> str:
    return "<br>".join(_escape(line) for line in wrap(text, width))


def _wrapped_labels(categories: Sequence[str], width: int = LABEL_CHARS) -> list[str]:
    return [_markup(category, width) for category in categories]


def caption(fig: go.Figure, title: str, subtitle: str, footer: Sequence[str],
            mark: str = "") -> go.Figure:  # fmt: skip
    """Dress `fig` to stand on its own as an image (the camera button draws exactly this): `title`
    and `subtitle` (the filters and period) above the plot, and below the axis and the legend the
    `footer` lines (unit, source, licence, link), preceded by `mark` (the synthetic-data warning)
    in dark red. Every text is wrapped for a phone's width; the margins and the height are worked
    out here in pixels (the plot keeps its height), so nothing overlaps or is cut at any width."""
    layout = fig.layout
    heading = wrap(title, TITLE_CHARS)
    sub = wrap(subtitle, SUBTITLE_CHARS)
    heading_px, sub_px = math.ceil(len(heading) * 15 * LINE), math.ceil(len(sub) * 12 * LINE)
    top = 8 + heading_px + 4 + sub_px + 12
    lines = [
        f'<span style="color:{MARK};font-weight:bold">{_escape(line)}</span>'
        for line in wrap(mark, FOOTER_CHARS)
    ]
    for text in footer:
        lines += [_escape(line) for line in wrap(text, FOOTER_CHARS)]
    foot = math.ceil(len(lines) * FOOTER_SIZE * LINE) + 8
    axis, legend, left = _axis_px(fig), _legend_px(fig), _left_px(fig)
    bottom = axis + legend + foot
    margin = layout.margin
    plot = (layout.height or 400) - (margin.t or 0) - (margin.b or 0)
    height = top + max(plot, 120) + bottom
    fig.update_layout(
        height=height, margin={"t": top, "b": bottom, "l": left, "r": 10}, title=None,
        # the legend (or a colour bar) between the axis and the footer, at a fixed distance from
        # the bottom: the figure's height is known, the screen's width is not
        legend={"xref": "container", "x": 0, "xanchor": "left", "yref": "container",
                "y": (foot + legend) / height, "yanchor": "top", "orientation": "h"},
    )  # fmt: skip
    # Title and subtitle as annotations, placed in px from the plot's top edge (plotly's own title
    # anchors only the first of several lines, and a wrapped title went over the top edge).
    edge = {"xref": "paper", "x": 0, "xanchor": "left", "xshift": 4 - left, "yref": "paper",
            "y": 1, "yanchor": "bottom", "align": "left", "showarrow": False}  # fmt: skip
    fig.add_annotation(
        text="<br>".join(f"<b>{_escape(line)}</b>" for line in heading), yshift=12 + sub_px + 4,
        font={"size": 15, "color": TEXT}, name="title", **edge,
    )  # fmt: skip
    fig.add_annotation(
        text="<br>".join(map(_escape, sub)), yshift=12, font={"size": 12, "color": TEXT},
        name="subtitle", **edge,
    )  # fmt: skip
    for trace in fig.data:  # a colour bar (the map's) lies in the legend's place
        if getattr(getattr(trace, "marker", None), "showscale", False):
            trace.marker.colorbar.update(
                orientation="h",
                xref="container",
                x=0.02,
                xanchor="left",
                len=min(NARROW, 300),
                lenmode="pixels",
                thickness=12,
                yref="container",
                y=(foot + 8) / height,
                yanchor="bottom",
                title_side="right",  # "top" drew the title over a horizontal bar
            )
    fig.add_annotation(
        text="<br>".join(lines), align="left", showarrow=False, font={"size": FOOTER_SIZE, "color": GREY},
        xref="paper", x=0, xanchor="left", xshift=4 - left, name="footer",
        yref="paper", y=0, yanchor="top", yshift=-(axis + legend),
    )  # fmt: skip
    return fig


def _axis_px(fig: go.Figure) -> int:
    """The room below the plot for the x axis: its tick labels (as many lines as the longest) and
    its title."""
    axis = fig.layout.xaxis
    if axis.visible is False:
        return 0
    ticks = max((str(t).count("<br>") + 1 for t in axis.ticktext or ()), default=1)
    size = (axis.tickfont.size or 12) if axis.tickfont else 12
    title = axis.title.text if axis.title else None
    return 10 + math.ceil(ticks * size * LINE) + (24 if title else 0)


def _legend_px(fig: go.Figure) -> int:
    """The room for the legend below the axis, as a phone (NARROW px) wraps it into rows; or for a
    horizontal colour bar."""
    if any(
        getattr(trace.marker, "showscale", False) for trace in fig.data if hasattr(trace, "marker")
    ):
        return 64
    if not fig.layout.showlegend:
        return 0
    names = [str(trace.name) for trace in fig.data if trace.showlegend is not False and trace.name]
    rows, used = 1, 0.0
    for name in names:
        width = 40 + _char_px(12) * len(name)
        if used and used + width > NARROW:
            rows, used = rows + 1, 0.0
        used += width
    return 16 + 24 * rows


def _left_px(fig: go.Figure) -> int:
    """The left margin the y axis needs (estimated, erring wide; plotly's automargin only ever adds
    to it): its tick labels and its title. The footer starts at the figure's left edge from it."""
    axis = fig.layout.yaxis
    if axis.visible is False:
        return 0
    size = (axis.tickfont.size or 12) if axis.tickfont else 12
    if axis.ticktext:
        lines = [line for text in axis.ticktext for line in str(text).split("<br>")]
        chars = max((len(html.unescape(line)) for line in lines), default=4)
    else:
        values = [abs(v) for trace in fig.data for v in (getattr(trace, "y", None) or ())
                  if isinstance(v, int | float)]  # fmt: skip
        chars = len(f"{max(values, default=100) * 1.2:,.0f}")
    title = axis.title.text if axis.title else None
    return 12 + math.ceil(chars * _char_px(size)) + (26 if title else 0)


def _readable(fig: go.Figure) -> go.Figure:
    """Every text of the figure in TEXT, where Streamlit's chart theme would set a faint grey; whole
    numbers on the axes in the reader's format (10.000, not "10k"; 1.500, not "1500")."""
    fig.update_layout(font_color=TEXT, title_font_color=TEXT, legend_font_color=TEXT)
    numbers = {"exponentformat": "none", "separatethousands": True}
    fig.update_xaxes(tickfont_color=TEXT, title_font_color=TEXT, **numbers)
    fig.update_yaxes(tickfont_color=TEXT, title_font_color=TEXT, **numbers)
    return fig


# What keeps a value off a chart, each with its note: suppressed ("onderdrukt"), or shown but with
# an interval too wide to read by the release's rule ("te onzeker").
NOT_DRAWN = ("suppressed", "too_uncertain")


def _undrawn(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with `too_uncertain` (False where it has none) and no numbers where a value is
    suppressed or too uncertain: neither gets a point, bar, line segment or whisker."""
    if "too_uncertain" not in frame.columns:
        frame = frame.with_columns(too_uncertain=pl.lit(False))
    off = pl.col("suppressed").fill_null(True) | pl.col("too_uncertain").fill_null(False)
    return frame.with_columns(
        pl.when(off).then(None).otherwise(pl.col(name)).alias(name)
        for name in ("value", "ci_low", "ci_high")
    )


def _drawn(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows that get a point or bar (of a frame passed through `_undrawn`)."""
    return frame.filter(~pl.col("suppressed") & ~pl.col("too_uncertain"))


def _suppressed_notes(frame: pl.DataFrame, series: bool) -> dict[str, dict[str, list[str]]]:
    """category -> why it is not drawn ("suppressed", "too_uncertain") -> the series it holds for
    ("" without series)."""
    notes: dict[str, dict[str, list[str]]] = {}
    for row in frame.iter_rows(named=True):
        for flag in NOT_DRAWN:
            if row.get(flag):
                names = notes.setdefault(row["category"], {}).setdefault(flag, [])
                names.append(row["series"] if series else "")
    return notes


# A provisional value is drawn open, so that a trend mixes definitive and provisional start years
# visibly: an open marker (and a dashed line into it), or a hatched bar. A trace that draws one says
# how in its `meta` ("line", "points" or "bars"): the caption under the chart explains that kind.
OPEN = "circle-open"
FILLED = "circle"
HATCH = "/"
MARKERS = ("line", "points", "bars")


def _provisional(frame: pl.DataFrame) -> list[bool]:
    """Which rows of a chart frame are provisional (none when it has no such column)."""
    if "provisional" not in frame.columns:
        return [False] * frame.height
    return [bool(flag) for flag in frame["provisional"].fill_null(False)]


def provisional_markers(fig: go.Figure) -> str:
    """How `fig` draws provisional values ("line", "points", "bars"); "" when it draws none."""
    return next((t.meta for t in fig.data if getattr(t, "meta", None) in MARKERS), "")


def _line_traces(x: list[Any], part: pl.DataFrame, lang: str, decimals: int, *, color: str,
                 thickness: float, **common: Any) -> list[go.Scatter]:  # fmt: skip
    """A line with markers and interval whiskers through `part` (a chart frame's series, passed
    through `_undrawn`). Provisional points leave the solid line: a second trace draws them with
    open markers, their whiskers, and a dashed line from their neighbours."""
    plus, minus = _errors(part)
    values = part["value"].to_list()
    hover = _hover(part, lang, decimals)
    template = "%{x}: %{customdata}<extra></extra>"
    provisional = _provisional(part)
    if not any(provisional):
        return [go.Scatter(
            x=x, y=values, mode="lines+markers", connectgaps=False, line={"color": color},
            error_y={"type": "data", "array": plus, "arrayminus": minus, "thickness": thickness},
            customdata=hover, hovertemplate=template, **common,
        )]  # fmt: skip
    n = len(values)
    near = [p or (i > 0 and provisional[i - 1]) or (i + 1 < n and provisional[i + 1])
            for i, p in enumerate(provisional)]  # fmt: skip
    solid = go.Scatter(
        x=x, y=[None if p else v for v, p in zip(values, provisional, strict=True)],
        mode="lines+markers", connectgaps=False, line={"color": color},
        error_y={"type": "data", "thickness": thickness,
                 "array": [0.0 if p else e for e, p in zip(plus, provisional, strict=True)],
                 "arrayminus": [0.0 if p else e for e, p in zip(minus, provisional, strict=True)]},
        customdata=hover, hovertemplate=template, **common,
    )  # fmt: skip
    name = common.get("name")
    dashed_options = {**common, "showlegend": False}
    if name:
        word = i18n.text("provisional.word", lang)
        dashed_options.update(name=f"{name} ({word})", legendgroup=str(name))
        solid.update(legendgroup=str(name))
    dashed = go.Scatter(
        x=x, y=[v if k else None for v, k in zip(values, near, strict=True)],
        mode="lines+markers", connectgaps=False, line={"color": color, "dash": "dash"},
        marker={"symbol": [OPEN if p else FILLED for p in provisional], "size": 8,
                "line": {"width": 2, "color": color}},
        error_y={"type": "data", "thickness": thickness,
                 "array": [e if p else 0.0 for e, p in zip(plus, provisional, strict=True)],
                 "arrayminus": [e if p else 0.0 for e, p in zip(minus, provisional, strict=True)]},
        customdata=hover, hovertemplate=template, meta="line", **dashed_options,
    )  # fmt: skip
    return [solid, dashed]


def _note_text(lang: str, names: list[str], every: int = 0, flag: str = "suppressed") -> str:
    """The note on a point not drawn: "onderdrukt" (or "te onzeker"), naming the series when only
    some of the `every` series of the row are (wrapped: it sits in the plot, which is narrow on a
    phone)."""
    word = i18n.text(f"chart.{flag}", lang)
    names = [n for n in names if n]
    if not names or len(names) == every:
        return f"<i>{word}</i>"
    return f"<i>{_markup(f'{word}: ' + ', '.join(names), 28)}</i>"


def _notes_text(lang: str, kinds: dict[str, list[str]], every: int = 0) -> str:
    """One note for a row: "onderdrukt" and/or "te onzeker", each with its series."""
    return "<br>".join(_note_text(lang, names, every, flag) for flag, names in kinds.items())


def forest(frame: pl.DataFrame, lang: str, axis_title: str, decimals: int, *,
           title: str | None = None, reference: float | None = None) -> go.Figure:  # fmt: skip
    """Horizontal points with interval whiskers, one row per category (and a colour per series)."""
    series = "series" in frame.columns
    frame = _undrawn(frame)
    fig = go.Figure()
    groups = frame.partition_by("series", maintain_order=True) if series else [frame]
    for i, part in enumerate(groups):
        shown = _drawn(part)
        plus, minus = _errors(shown)
        marker: dict[str, Any] = {"size": 9, "color": OKABE_ITO[i % len(OKABE_ITO)]}
        provisional = _provisional(shown)
        if any(provisional):  # a provisional value: an open marker
            marker.update(symbol=[OPEN if p else FILLED for p in provisional], line={"width": 2})
        fig.add_trace(go.Scatter(
            x=shown["value"].to_list(), y=shown["category"].to_list(), mode="markers",
            orientation="h", offsetgroup=str(i), name=part["series"][0] if series else axis_title,
            marker=marker,
            error_x={"type": "data", "array": plus, "arrayminus": minus, "thickness": 2},
            customdata=_hover(shown, lang, decimals), hovertemplate="%{y}: %{customdata}<extra></extra>",
            meta="points" if any(provisional) else None,
        ))  # fmt: skip
    categories = list(dict.fromkeys(frame["category"].to_list()))
    # A suppressed (or too uncertain) row has no point: its note sits in the plot at the row's left
    # end (not to the right of the plot, which would need a wide right margin on a phone).
    for category, kinds in _suppressed_notes(frame, series).items():
        fig.add_annotation(x=0, xref="paper", xanchor="left", xshift=4, y=_position(categories[::-1], category),
                           yref="y", text=_notes_text(lang, kinds, len(groups)), showarrow=False,
                           font={"color": GREY}, align="left")  # fmt: skip
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dot", line_color=GREY)
    rows = categories[::-1]
    labels = _wrapped_labels(rows)
    fig.update_yaxes(categoryorder="array", categoryarray=rows, type="category",
                     tickmode="array", tickvals=rows, ticktext=labels)  # fmt: skip
    fig.update_xaxes(title=axis_title, rangemode="tozero")
    fig.update_layout(scattermode="group", showlegend=series)
    extra = sum(label.count("<br>") for label in labels)  # lines beyond one per row
    return _style(fig, lang, title, axis_title,
                  max(260, 34 * len(rows) * (1 + 0.3 * series) + 14 * extra + 100))  # fmt: skip


def trend(frame: pl.DataFrame, lang: str, axis_title: str, decimals: int, *,
          title: str | None = None, x_title: str = "", numeric_x: bool = False) -> go.Figure:  # fmt: skip
    """Lines over `category` (years, months) with interval bars; suppressed points are gaps with a note.

    `numeric_x`: the categories are numbers (months) and are placed at their distance (0, 3, 6, 12
    are not equally far apart), each series shifted a little so that their whiskers do not pile up."""
    series = "series" in frame.columns
    frame = _undrawn(frame)
    fig = go.Figure()
    groups = frame.partition_by("series", maintain_order=True) if series else [frame]
    for i, part in enumerate(groups):
        x: list[Any] = part["category"].to_list()
        if numeric_x:
            shift = (i - (len(groups) - 1) / 2) * DODGE
            x = [float(c) + shift for c in x]
        fig.add_traces(_line_traces(
            x, part, lang, decimals, color=OKABE_ITO[i % len(OKABE_ITO)], thickness=1.5,
            name=part["series"][0] if series else axis_title,
        ))  # fmt: skip
    categories = list(dict.fromkeys(frame["category"].to_list()))
    for category, kinds in _suppressed_notes(frame, series).items():
        where = float(category) if numeric_x else _position(categories, category)
        fig.add_annotation(x=where, y=0.02, yref="paper", yanchor="bottom",
                           textangle=-90, text=_notes_text(lang, kinds), showarrow=False, font={"color": GREY})  # fmt: skip
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
                    columns: int = 3) -> go.Figure:  # fmt: skip
    """One small trend per `series` (e.g. a partnership), shared y axis, intervals on every point.

    Three to a row, so that a panel is still about 100 px wide on a phone; each names its series
    (wrapped) and marks only its first and last year, which a narrow panel can hold.

    The grid of axes is laid out by hand and the figure built in one call: plotly's make_subplots
    and per-trace add_trace validate every step, which was slow for 16 partnerships.
    """
    parts = _undrawn(frame).partition_by("series", maintain_order=True)
    rows = -(-len(parts) // columns)
    panel_px, gap_px = 150, 62  # a panel's plot and the room above it for its title, in px
    marked = any(_provisional(frame))
    if marked:
        gap_px += 12  # a provisional year's tick takes two lines: "2025" over "(voorlopig)"
    plot_px = rows * (panel_px + gap_px)
    gap_x = 0.04
    width, height = (1 - gap_x * (columns - 1)) / columns, panel_px / plot_px
    title_chars = int(NARROW / columns / _char_px(10))
    layout: dict[str, object] = {}
    traces, notes = [], []
    for i, part in enumerate(parts):
        row, col = divmod(i, columns)
        left, top = col * (width + gap_x), 1 - (row * (panel_px + gap_px) + gap_px) / plot_px
        suffix = "" if i == 0 else str(i + 1)
        years = part["category"].to_list()
        xaxis: dict[str, Any] = {"domain": [left, min(1.0, left + width)], "anchor": f"y{suffix}",
                                 "type": "category", "tickfont": {"size": 9}, "tickangle": 0,
                                 "tickmode": "array", "tickvals": [years[0], years[-1]],
                                 # pinned: a note on a suppressed year must not re-order the axis
                                 "categoryorder": "array", "categoryarray": years}  # fmt: skip
        if marked:
            xaxis["ticktext"] = [_markup(years[0], 8), _markup(years[-1], 8)]
        layout[f"xaxis{suffix}"] = xaxis
        layout[f"yaxis{suffix}"] = {"domain": [max(0.0, top - height), min(1.0, top)], "anchor": f"x{suffix}",
                                    "rangemode": "tozero", "matches": None if i == 0 else "y",
                                    "showticklabels": col == 0, "tickfont": {"size": 9}}  # fmt: skip
        notes.append({"text": _markup(part["series"][0], title_chars), "x": left + width / 2, "y": top,
                      "xref": "paper", "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                      "showarrow": False, "font": {"size": 10}})  # fmt: skip
        traces.extend(_line_traces(years, part, lang, decimals, color=OKABE_ITO[0], thickness=1,
                                   showlegend=False, xaxis=f"x{suffix}", yaxis=f"y{suffix}"))  # fmt: skip
        notes.extend(
            {"x": _position(years, category), "xref": f"x{suffix}", "y": 0.02, "yref": f"y{suffix} domain", "yanchor": "bottom",
             "textangle": -90, "showarrow": False, "text": _notes_text(lang, kinds),
             "font": {"color": GREY, "size": 9}}
            for category, kinds in _suppressed_notes(part, False).items()
        )  # fmt: skip
    fig = go.Figure(data=traces, layout={**layout, "annotations": notes})
    return _style(fig, lang, None, axis_title, plot_px + 60)


def columns(frame: pl.DataFrame, lang: str, axis_title: str, decimals: int, *,
            title: str | None = None) -> go.Figure:  # fmt: skip
    """Bars with interval whiskers for one distribution (e.g. duration bands), one row per category
    from top to bottom: horizontal, so that ten labels stay readable on a phone."""
    shown = _undrawn(frame)
    plus, minus = _errors(shown)
    bar = go.Bar(
        x=shown["value"].to_list(), y=shown["category"].to_list(), orientation="h",
        marker_color=OKABE_ITO[0],
        error_x={"type": "data", "array": plus, "arrayminus": minus, "color": "#000000"},
        customdata=_hover(shown, lang, decimals), hovertemplate="%{y}: %{customdata}<extra></extra>",
    )  # fmt: skip
    provisional = _provisional(shown)
    if any(provisional):  # a provisional value: a hatched bar
        bar.update(marker_pattern_shape=[HATCH if p else "" for p in provisional], meta="bars")
    fig = go.Figure(bar)
    rows = frame["category"].to_list()[::-1]
    for category, kinds in _suppressed_notes(shown, False).items():
        fig.add_annotation(x=0, xref="paper", xanchor="left", xshift=4, y=_position(rows, category),
                           yref="y", text=_notes_text(lang, kinds), showarrow=False, font={"color": GREY})  # fmt: skip
    labels = _wrapped_labels(rows)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=rows,
                     tickmode="array", tickvals=rows, ticktext=labels)  # fmt: skip
    fig.update_xaxes(title=axis_title, rangemode="tozero")
    extra = sum(label.count("<br>") for label in labels)
    return _style(fig, lang, title, axis_title, max(260, 30 * len(rows) + 14 * extra + 100))


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
    bundled geometry without a geo subplot; suppressed provinces grey with an 'onderdrukt' note, and
    provinces whose value is too uncertain to read grey with a 'te onzeker' note."""
    provinces = _provinces()
    frame = _undrawn(frame)
    shown = _drawn(frame).filter(pl.col("value").is_not_null())
    codes, values = shown["code"].to_list(), shown["value"].to_list()
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    scaled = [(v - low) / (high - low) if high > low else 0.5 for v in values]
    fills = dict(zip(codes, sample_colorscale(MAP_SCALE, scaled), strict=True)) if values else {}
    hovers = dict(zip(codes, _hover(shown, lang, decimals), strict=True))
    hidden = dict.fromkeys(frame.filter(pl.col("suppressed"))["code"].to_list(), "suppressed")
    hidden.update(
        dict.fromkeys(frame.filter(pl.col("too_uncertain"))["code"].to_list(), "too_uncertain")
    )
    names = dict(zip(frame["code"].to_list(), frame["category"].to_list(), strict=True))
    traces: list[go.Scatter] = []
    notes: list[dict[str, Any]] = []
    for code, province in provinces.items():
        name = names.get(code) or province.labels.get(lang, province.labels["nl"])
        line = "white"
        if code in fills:
            fill, text = fills[code], f"{name}: {hovers[code]}"
        elif code in hidden:
            word = i18n.text(f"chart.{hidden[code]}", lang)
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
                    # horizontal under the map: beside it, it would take a phone's width
                    "colorbar": {"title": {"text": axis_title, "font": {"color": TEXT}, "side": "top"},
                                 "tickfont": {"color": TEXT}, "orientation": "h", "thickness": 12,
                                 "x": 0, "xanchor": "left", "len": 0.8, "yref": "paper", "y": -0.02,
                                 "yanchor": "top"}},
        ))  # fmt: skip
    return go.Figure(data=traces, layout={"font": {"color": TEXT},
        "xaxis": {"visible": False, "fixedrange": True},
        "yaxis": {"visible": False, "fixedrange": True, "scaleanchor": "x", "scaleratio": MAP_ASPECT},
        "margin": {"l": 0, "r": 0, "t": 30, "b": 70}, "height": 490, "showlegend": False,
        "hovermode": "closest", "dragmode": False, "annotations": notes,
        "plot_bgcolor": "rgba(0,0,0,0)", "separators": i18n.plotly_separators(lang),
    })  # fmt: skip
