"""Fact sheets: one printable page per region (partnership, province or Flanders) with the headline
figures, the trend, target group, outcomes and duration — every number an `answer()` cell.

`build(release, code, language)` gives the content (binc.factsheet.content.Sheet), `render(sheet)`
the PDF bytes; `factsheet_pdf` does both (the command line and the dashboard call it).
"""

from __future__ import annotations

from binc.factsheet.content import FLANDERS, Sheet, build, is_synthetic, region, regions
from binc.factsheet.render import render
from binc.release_file import Release


def factsheet_pdf(
    release: Release, code: str, language: str = "nl", synthetic: bool | None = None
) -> bytes:
    """The one-page PDF of region `code` (UserError for an unknown code)."""
    return render(build(release, code, language, synthetic))


__all__ = [
    "FLANDERS",
    "Sheet",
    "build",
    "factsheet_pdf",
    "is_synthetic",
    "region",
    "regions",
    "render",
]
