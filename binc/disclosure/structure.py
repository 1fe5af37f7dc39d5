"""The additive structure of a table with margins: which cells sum to which total, along every dimension.

Both the suppression heuristic and the LP audit reason about the same linear constraints, so they are
derived once, here. A *line* is one additivity constraint: a margin cell (code "TOTAL" in dimension
d) equals the sum of the cells that agree with it on every other dimension and hold a real code in d.
Tables with margins on several dimensions give lines along every dimension, at every level (cells,
sub-totals, grand total), exactly as a reader of the published table could write them down.

A cell that a margin would need but that the table does not contain is treated as a published zero:
the reader may well know it is empty, so assuming that is the cautious choice. A margin with no cells
at all under it gives no constraint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from binc.core.table import TOTAL


@dataclass(frozen=True)
class Line:
    """One additivity constraint: cells[margin] == sum(cells[children])."""

    dimension: str
    margin: int
    children: tuple[int, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return (self.margin, *self.children)


@dataclass(frozen=True)
class TableStructure:
    """Row keys of a table and the lines linking them; cell i is row i of the frame it came from."""

    dimensions: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    lines: tuple[Line, ...]
    lines_of: tuple[tuple[int, ...], ...]  # cell index -> indices into `lines` it belongs to

    @property
    def size(self) -> int:
        return len(self.keys)

    def level(self, cell: int) -> int:
        """How many dimensions of the cell are margins (0 = an inner cell, len(dimensions) = grand total)."""
        return sum(code == TOTAL for code in self.keys[cell])

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, dimensions: Sequence[str]) -> TableStructure:
        dims = tuple(dimensions)
        missing = [d for d in dims if d not in frame.columns]
        if missing:
            raise ValueError(
                f"table has no column for dimension(s) {missing}; columns: {frame.columns}"
            )
        if dims:
            columns = [frame[d].cast(pl.String).fill_null("").to_list() for d in dims]
            keys = tuple(zip(*columns, strict=True))
        else:
            keys = tuple(() for _ in range(frame.height))
        index: dict[tuple[str, ...], int] = {}
        for i, key in enumerate(keys):
            if key in index:
                raise ValueError(f"table has two rows for the same cell {key}")
            index[key] = i

        lines: list[Line] = []
        for position, dim in enumerate(dims):
            # Group every row by its key without dimension `dim`; the TOTAL row of the group is the margin.
            groups: dict[tuple[str, ...], list[int]] = {}
            margins: dict[tuple[str, ...], int] = {}
            for i, key in enumerate(keys):
                rest = key[:position] + key[position + 1 :]
                if key[position] == TOTAL:
                    margins[rest] = i
                else:
                    groups.setdefault(rest, []).append(i)
            for rest in sorted(margins):
                children = groups.get(rest)
                if children:
                    lines.append(Line(dim, margins[rest], tuple(children)))

        lines_of: list[list[int]] = [[] for _ in keys]
        for number, line in enumerate(lines):
            for cell in line.members:
                lines_of[cell].append(number)
        return cls(dims, keys, tuple(lines), tuple(tuple(ls) for ls in lines_of))
