"""A phone (390 × 844, touch) in Debian's chromium: every page fits the screen's width (no
horizontal scrolling), every chart takes at least 90 % of the content width and its plot reaches
its right edge (no fixed right margin), no text of a chart is cut off at the chart's edges, and
the parts of a chart that stands on its own (title, filters, axis title, legend or colour bar,
source footer) do not overlap.

The charts are laid out by dashboard/charts.py for every width at once (the server cannot know the
screen): the legend and the footer below the plot, labels wrapped, three small multiples a row.
"""

from __future__ import annotations

import pytest
from support import TESTS
from support.browser import PAGES, chromium, visit

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = TESTS / "screenshots"  # git-ignored

# The page's width, and per chart: its width, how far its plot stops short of its right edge,
# the texts that reach past its edges, and which of its parts overlap.
MEASURE = r"""() => {
  const rect = el => el && el.getBoundingClientRect();
  const block = document.querySelector('[data-testid="stMainBlockContainer"]');
  const style = getComputedStyle(block);
  const content = block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const overlap = (a, b) => a && b && a.width && b.width &&
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const charts = [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
    const box = rect(plot);
    const drags = [...plot.querySelectorAll('.draglayer .nsewdrag')].map(rect);  // a plot area each
    const area = drags.length ? {right: Math.max(...drags.map(r => r.right)),
                                 bottom: Math.max(...drags.map(r => r.bottom))} : null;
    const cut = [...plot.querySelectorAll('svg text')]
      .filter(text => text.textContent.trim() && getComputedStyle(text).visibility !== 'hidden')
      .map(text => [text.textContent.slice(0, 40), rect(text)])
      .filter(([, r]) => r.width && (r.left < box.left - 1 || r.right > box.right + 1 ||
                                     r.top < box.top - 1 || r.bottom > box.bottom + 1))
      .map(([text]) => text);
    const notes = [...plot.querySelectorAll('.infolayer g.annotation')];
    const footer = notes.find(note => note.textContent.includes('://'));
    const parts = {};
    if (footer) {  // a chart dressed by charts.caption: title, subtitle, ..., footer, in this order
      const i = notes.indexOf(footer);
      Object.assign(parts, {title: rect(notes[i - 2]), subtitle: rect(notes[i - 1]), footer: rect(footer),
        axis: rect(plot.querySelector('.g-xtitle')), legend: rect(plot.querySelector('.legend')),
        colorbar: rect(plot.querySelector('.colorbar'))});
    }
    const names = Object.keys(parts).filter(name => parts[name] && parts[name].width);
    const overlaps = [];
    names.forEach((a, i) => names.slice(i + 1).forEach(b => {
      if (overlap(parts[a], parts[b])) overlaps.push(`${a}/${b}`);
    }));
    if (area && footer && parts.footer.top < area.bottom) overlaps.push('plot/footer');
    return {width: box.width, short: area ? box.right - area.right : 0, cut, overlaps, dressed: !!footer};
  });
  return {scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
          content, charts};
}"""


def test_every_page_fits_a_phone(server):
    SCREENSHOTS.mkdir(exist_ok=True)
    problems: list[str] = []
    dressed = 0
    with chromium() as browser:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        for slug in PAGES:
            visit(page, server, slug, settle_ms=1200)
            page.screenshot(
                path=str(SCREENSHOTS / f"phone_{slug or 'overzicht'}.png"), full_page=True
            )
            seen = page.evaluate(MEASURE)
            name = slug or "overzicht"
            if seen["scroll"] > seen["client"]:
                problems.append(f"{name}: {seen['scroll']} px wide on a {seen['client']} px screen")
            for i, chart in enumerate(seen["charts"]):
                where = f"{name}, chart {i + 1}"
                if chart["width"] < 0.9 * seen["content"]:
                    problems.append(f"{where}: {chart['width']:.0f} of {seen['content']:.0f} px")
                if chart["short"] > 24:
                    problems.append(
                        f"{where}: the plot stops {chart['short']:.0f} px short of the right edge"
                    )
                if chart["cut"]:
                    problems.append(f"{where}: text cut off at the edge: {chart['cut'][:4]}")
                if chart["overlaps"]:
                    problems.append(f"{where}: parts overlap: {chart['overlaps']}")
                dressed += chart["dressed"]
    assert not problems, "on a phone:\n" + "\n".join(problems)
    assert dressed >= 8, f"only {dressed} charts carry their caption"  # the check itself works
