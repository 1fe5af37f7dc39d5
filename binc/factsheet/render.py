"""The one-page A4 PDF of a fact sheet (reportlab): header, headline cards with intervals, the trend,
four small bar charts and the source line.

Only what `content.Sheet` holds is drawn: a suppressed cell is written as the word for suppressed,
a cell too uncertain to read as "te onzeker" (either: no bar, no interval, no number, and no part in
a chart's scale), a refused panel as its note; the reading note under the sheet explains both words.
A provisional start year (a release on the publication calendar) is named "2025 (voorlopig)", its
cards say "voorlopig" and its bars are drawn light with a dashed outline; the reading note says why.
Numbers are formatted as the dashboard formats them (binc.core.i18n.format_number: nl-BE 1.234,5).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from binc.core import i18n
from binc.factsheet.content import Cell, Panel, Sheet, interval_text, shown_number

WIDTH, HEIGHT = A4
MARGIN = 36
INNER = WIDTH - 2 * MARGIN
FONT, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
BAR_ROW = 13.0  # height of one bar's row

NAVY = colors.HexColor("#17324d")
ACCENT = colors.HexColor("#2f6f9f")
BAR = colors.HexColor("#5b93c2")
WHISKER = colors.HexColor("#1f2d3a")
MUTED = colors.HexColor("#6b7280")
RULE = colors.HexColor("#d6dde5")
CARD = colors.HexColor("#f1f5f9")
WARNING = colors.HexColor("#b3261e")
OPEN_BAR = colors.HexColor("#dbe7f2")  # a provisional figure's bar: light, with a dashed outline


def _text(c: Canvas, x: float, y: float, text: str, size: float, font: str = FONT,
          color: colors.Color = colors.black, align: str = "left") -> None:  # fmt: skip
    c.setFont(font, size)
    c.setFillColor(color)
    if align == "right":
        c.drawRightString(x, y, text)
    elif align == "center":
        c.drawCentredString(x, y, text)
    else:
        c.drawString(x, y, text)


def _wrapped(c: Canvas, x: float, y: float, text: str, width: float, size: float,
             font: str = FONT, color: colors.Color = colors.black, leading: float | None = None) -> float:  # fmt: skip
    """Draw `text` wrapped to `width` from baseline y downwards; returns the y below the last line."""
    leading = leading or size * 1.25
    for line in simpleSplit(text, font, size, width):
        _text(c, x, y, line, size, font, color)
        y -= leading
    return y


def _header(c: Canvas, sheet: Sheet) -> float:
    lang = sheet.language
    top = HEIGHT - MARGIN
    height = 70
    c.setFillColor(NAVY)
    c.rect(MARGIN, top - height, INNER, height, stroke=0, fill=1)
    white = colors.white
    _text(c, MARGIN + 14, top - 18, i18n.text("factsheet.title", lang).upper(), 8.5, BOLD, white)
    kind = i18n.text(f"factsheet.kind_{sheet.region.kind}", lang)
    code = "" if sheet.region.kind == "flanders" else f" ({sheet.region.code})"
    _text(c, MARGIN + INNER - 14, top - 18, kind + code, 8.5, FONT, white, "right")
    name = sheet.region_name
    size = 22.0
    while c.stringWidth(name, BOLD, size) > INNER - 28 and size > 12:
        size -= 1
    _text(c, MARGIN + 14, top - 44, name, size, BOLD, white)
    period = i18n.text("factsheet.period", lang, year=sheet.year_label(sheet.year),
                       first=min(sheet.years), last=max(sheet.years))  # fmt: skip
    _text(c, MARGIN + 14, top - 61, period, 9, FONT, colors.HexColor("#c9d7e6"))
    y = top - height
    if sheet.synthetic:
        c.setFillColor(WARNING)
        c.rect(MARGIN, y - 18, INNER, 18, stroke=0, fill=1)
        _text(c, MARGIN + INNER / 2, y - 12.5, i18n.text("factsheet.synthetic", lang), 8.5, BOLD,
              colors.white, "center")  # fmt: skip
        y -= 18
    return y


def _cards(c: Canvas, sheet: Sheet, top: float) -> float:
    lang = sheet.language
    heading = i18n.text("factsheet.headlines", lang, year=sheet.year_label(sheet.year))
    _text(c, MARGIN, top - 16, heading, 11, BOLD, NAVY)
    gap = 7
    n = len(sheet.headlines)
    width = (INNER - gap * (n - 1)) / n
    height = 78
    y0 = top - 24 - height
    for i, panel in enumerate(sheet.headlines):
        x = MARGIN + i * (width + gap)
        c.setFillColor(CARD)
        c.setStrokeColor(RULE)
        c.roundRect(x, y0, width, height, 4, stroke=1, fill=1)
        c.setFillColor(ACCENT)
        c.rect(x, y0 + height - 3, width, 3, stroke=0, fill=1)
        _wrapped(c, x + 7, y0 + height - 15, panel.title, width - 14, 7.5, BOLD, NAVY, 9)
        if panel.refused or not panel.cells:
            _wrapped(c, x + 7, y0 + 34, panel.refusal or "", width - 14, 6.5, ITALIC, MUTED, 8)
            continue
        cell = panel.cells[0]
        if not cell.shown:  # the word for suppressed or too uncertain, made to fit the card
            word = shown_number(cell, panel.decimals, lang)
            size = 13.0
            while c.stringWidth(word, BOLD, size) > width - 14 and size > 8:
                size -= 0.5
            _text(c, x + 7, y0 + 26, word, size, BOLD, MUTED)
            continue
        value = shown_number(cell, panel.decimals, lang)
        _text(c, x + 7, y0 + 26, value, 19, BOLD, NAVY)
        unit = "" if panel.measure in ("trajectories", "children") else panel.unit
        if unit:
            _text(c, x + 9 + c.stringWidth(value, BOLD, 19), y0 + 26, unit, 8, FONT, NAVY)
        label, _, rng = interval_text(cell, panel.decimals, lang).partition(": ")
        _text(c, x + 7, y0 + 15, label, 6.5, FONT, MUTED)
        _text(c, x + 7, y0 + 6, rng, 7, FONT, colors.black)
        if cell.provisional:  # a later release replaces it
            word = i18n.text("provisional.word", lang)
            _text(c, x + width - 7, y0 + 15, word, 6.5, ITALIC, WARNING, "right")
    return y0


def _bar(x: float, y: float, width: float, height: float, provisional: bool) -> Rect:
    """A value's bar: filled, or light with a dashed outline for a provisional figure."""
    if provisional:
        return Rect(x, y, width, height, fillColor=OPEN_BAR, strokeColor=BAR, strokeWidth=0.8,
                    strokeDashArray=[2, 1.5])  # fmt: skip
    return Rect(x, y, width, height, fillColor=BAR, strokeColor=None)


def _nice_max(values: Sequence[float]) -> float:
    top = max([v for v in values if v is not None] or [1.0])
    for power in range(0, 9):
        for step in (1, 2, 2.5, 5):
            candidate = step * 10**power
            if candidate >= top:
                return float(candidate)
    return top


def _section_title(d: Drawing, panel: Panel, height: float) -> None:
    d.add(String(0, height - 11, panel.title, fontName=BOLD, fontSize=10, fillColor=NAVY))
    if panel.note:
        d.add(String(0, height - 22, panel.note, fontName=FONT, fontSize=7, fillColor=MUTED))


def _refused(d: Drawing, panel: Panel, height: float) -> None:
    d.add(
        String(0, height - 38, panel.refusal or "", fontName=ITALIC, fontSize=7.5, fillColor=MUTED)
    )


def _trend(sheet: Sheet, width: float, height: float) -> Drawing:
    panel, lang = sheet.trend, sheet.language
    d = Drawing(width, height)
    _section_title(d, panel, height)
    if panel.refused:
        _refused(d, panel, height)
        return d
    cells = panel.cells
    marked = any(x.provisional for x in cells)
    # a provisional year's label takes a second line: "2025" over "(voorlopig)"
    left, bottom, top = 34.0, 24.0 if marked else 16.0, height - 36
    plot_w = width - left - 4
    scale = _nice_max([x.high or x.value or 0 for x in cells])
    y_of = lambda v: bottom + (top - bottom) * v / scale  # noqa: E731
    ticks = (0, scale / 2, scale) if any(x.shown for x in cells) else (0,)
    for tick in ticks:
        y = y_of(tick)
        d.add(Line(left, y, left + plot_w, y, strokeColor=RULE, strokeWidth=0.5))
        d.add(String(left - 4, y - 2.5, i18n.format_number(tick, lang, 0), fontName=FONT,
                     fontSize=6.5, fillColor=MUTED, textAnchor="end"))  # fmt: skip
    slot = plot_w / max(len(cells), 1)
    for i, cell in enumerate(cells):
        cx = left + slot * (i + 0.5)
        d.add(String(cx, bottom - 10, cell.label, fontName=FONT, fontSize=7, textAnchor="middle"))
        if cell.provisional:
            word = i18n.text("provisional.tag", lang)
            d.add(String(cx, bottom - 18, word, fontName=ITALIC, fontSize=6, fillColor=WARNING,
                         textAnchor="middle"))  # fmt: skip
        if cell.value is None:  # suppressed or too uncertain: the word, no bar
            d.add(String(cx, bottom + 3, shown_number(cell, 0, lang), fontName=ITALIC,
                         fontSize=6.5, fillColor=MUTED, textAnchor="middle"))  # fmt: skip
            continue
        bar_w = min(slot * 0.55, 40)
        d.add(_bar(cx - bar_w / 2, bottom, bar_w, y_of(cell.value) - bottom, cell.provisional))
        if cell.low is not None and cell.high is not None:
            lo, hi = y_of(cell.low), y_of(cell.high)
            d.add(Line(cx, lo, cx, hi, strokeColor=WHISKER, strokeWidth=0.7))
            d.add(Line(cx - 3, lo, cx + 3, lo, strokeColor=WHISKER, strokeWidth=0.7))
            d.add(Line(cx - 3, hi, cx + 3, hi, strokeColor=WHISKER, strokeWidth=0.7))
        above = max(y_of(cell.value), y_of(cell.high) if cell.high is not None else 0)
        d.add(String(cx, above + 3, shown_number(cell, panel.decimals, lang), fontName=BOLD,
                     fontSize=7, fillColor=NAVY, textAnchor="middle"))  # fmt: skip
    d.add(Line(left, bottom, left + plot_w, bottom, strokeColor=MUTED, strokeWidth=0.6))
    return d


def _bars(panel: Panel, lang: str, width: float, height: float) -> Drawing:
    """Horizontal bars of shares with their intervals; suppressed and too uncertain rows carry their
    word, no bar."""
    d = Drawing(width, height)
    _section_title(d, panel, height)
    if panel.refused:
        _refused(d, panel, height)
        return d
    cells: tuple[Cell, ...] = panel.cells
    label_w = max([simple_width(x.label, 7) for x in cells] or [40]) + 6
    label_w = min(label_w, width * 0.45)
    value_w = 34.0
    plot_x, plot_w = label_w, width - label_w - value_w
    top = height - 30
    row = min(BAR_ROW, (top - 4) / max(len(cells), 1))
    scale = min(100.0, _nice_max([x.high or x.value or 0 for x in cells]))
    x_of = lambda v: plot_x + plot_w * min(v, scale) / scale  # noqa: E731
    d.add(Line(plot_x, top + 2, plot_x, top - row * len(cells), strokeColor=MUTED, strokeWidth=0.6))
    for i, cell in enumerate(cells):
        y = top - row * (i + 1)
        mid = y + row / 2
        label = cell.label
        while simple_width(label, 7) > label_w - 6 and len(label) > 4:
            label = label[:-2] + "…"
        d.add(String(plot_x - 4, mid - 2.5, label, fontName=FONT, fontSize=7, textAnchor="end"))
        if cell.value is None:  # suppressed or too uncertain: the word, no bar
            d.add(String(plot_x + 3, mid - 2.5, shown_number(cell, 1, lang), fontName=ITALIC,
                         fontSize=6.5, fillColor=MUTED))  # fmt: skip
            continue
        bar_h = row * 0.62
        d.add(_bar(plot_x, mid - bar_h / 2, max(x_of(cell.value) - plot_x, 0.01), bar_h,
                   cell.provisional))  # fmt: skip
        if cell.low is not None and cell.high is not None:
            lo, hi = x_of(cell.low), x_of(cell.high)
            d.add(Line(lo, mid, hi, mid, strokeColor=WHISKER, strokeWidth=0.6))
            d.add(Line(lo, mid - 2, lo, mid + 2, strokeColor=WHISKER, strokeWidth=0.6))
            d.add(Line(hi, mid - 2, hi, mid + 2, strokeColor=WHISKER, strokeWidth=0.6))
        text = shown_number(cell, panel.decimals, lang) + (" %" if panel.unit == "%" else "")
        d.add(String(width, mid - 2.5, text, fontName=BOLD, fontSize=7, fillColor=NAVY,
                     textAnchor="end"))  # fmt: skip
    if not any(x.shown for x in cells):
        return d  # no bar: no scale to read
    scale_text = i18n.format_number(scale, lang, 0) + (" %" if panel.unit == "%" else "")
    bottom = top - row * len(cells)
    d.add(String(plot_x, bottom - 8, "0", fontName=FONT, fontSize=6, fillColor=MUTED))
    d.add(String(plot_x + plot_w, bottom - 8, scale_text, fontName=FONT, fontSize=6,
                 fillColor=MUTED, textAnchor="end"))  # fmt: skip
    return d


def simple_width(text: str, size: float, font: str = FONT) -> float:
    return float(stringWidth(text, font, size))


def _footer(c: Canvas, sheet: Sheet) -> None:
    lang = sheet.language
    y: float = MARGIN + 44
    c.setStrokeColor(RULE)
    c.line(MARGIN, y + 10, MARGIN + INNER, y + 10)
    reading = i18n.text("factsheet.reading", lang, k=sheet.k)
    if sheet.provisional:  # what "voorlopig" and the light bars mean
        reading += " " + i18n.text("factsheet.provisional_reading", lang)
    y = _wrapped(c, MARGIN, y, reading, INNER, 6.8, FONT, MUTED, 8.5)
    y -= 3
    source = sheet.source
    if sheet.synthetic:
        mark = i18n.text("factsheet.synthetic", lang)
        _text(c, MARGIN, y, mark, 7.5, BOLD, WARNING)
        source = source.removeprefix(mark).strip()
        y -= 10
    _wrapped(c, MARGIN, y, source, INNER, 7.5, FONT, colors.black)


def render(sheet: Sheet) -> bytes:
    """The sheet as the bytes of a one-page PDF."""
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    c.setTitle(f"{i18n.text('factsheet.title', sheet.language)} – {sheet.region_name}")
    c.setAuthor("Opgroeien – BINC")
    c.setSubject(sheet.source)
    y = _header(c, sheet)
    y = _cards(c, sheet, y - 6)
    # The bar charts take what their rows need; the trend gets the rest of the page.
    pairs = [sheet.breakdowns[i : i + 2] for i in range(0, len(sheet.breakdowns), 2)]
    heights = [44 + BAR_ROW * max(len(p.cells) for p in pair) for pair in pairs]
    footer_top = MARGIN + 78
    trend_h = min(250.0, y - 16 - footer_top - sum(h + 12 for h in heights))
    renderPDF.draw(_trend(sheet, INNER, trend_h), c, MARGIN, y - 16 - trend_h)
    y -= 16 + trend_h
    gap = 22.0
    col_w = (INNER - gap) / 2
    for pair, box_h in zip(pairs, heights, strict=True):
        y -= 12
        for col, panel in enumerate(pair):
            x = MARGIN + col * (col_w + gap)
            renderPDF.draw(_bars(panel, sheet.language, col_w, box_h), c, x, y - box_h)
        y -= box_h
    _footer(c, sheet)
    c.showPage()
    c.save()
    return buffer.getvalue()
