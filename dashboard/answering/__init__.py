"""Answering: every chart, table and download is post-processing of a release's noisy tables.

`answer(release, measure, by=(), where=None, totals=False) -> AnsweredTable` and
`list_measures(release=None)`. `MEASURES` and `DIMENSIONS` name what a command line may offer.
"""

from __future__ import annotations

from dashboard.answering.catalogue import measure_defs
from dashboard.answering.engine import answer, list_measures
from dashboard.answering.table import TOTAL, AnsweredTable
from dashboard.release.dimensions import known_dimensions

MEASURES: tuple[str, ...] = tuple(measure_defs())
DIMENSIONS: tuple[str, ...] = known_dimensions()

__all__ = ["DIMENSIONS", "MEASURES", "TOTAL", "AnsweredTable", "answer", "list_measures"]
