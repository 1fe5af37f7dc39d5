"""Answering: every chart, table and download is post-processing of a release's noisy tables.

`answer(release, measure, by=(), where=None, totals=False) -> AnsweredTable` and
`list_measures(release=None)`. `MEASURES` and `DIMENSIONS` name what a command line may offer.
"""

from __future__ import annotations

from binc.answering.catalogue import measure_defs
from binc.answering.engine import answer, list_measures
from binc.core.dimensions import known_dimensions
from binc.core.table import TOTAL, AnsweredTable

MEASURES: tuple[str, ...] = tuple(measure_defs())
DIMENSIONS: tuple[str, ...] = known_dimensions()

__all__ = ["DIMENSIONS", "MEASURES", "TOTAL", "AnsweredTable", "answer", "list_measures"]
