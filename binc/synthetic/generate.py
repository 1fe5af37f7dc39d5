"""Synthetic provider exports in registration format v1: the one entry point for the CLI and the demo.

Nothing here is real: names, numbers and addresses are drawn from public lists with a seed, so
the same seed always writes the same bytes. The recipe (shares and distributions) lives in
`recipe.py`; each step below has its own module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from binc.core.errors import UserError
from binc.synthetic import draws
from binc.synthetic.defects import CORRECTION, DEFECT, add_corrections, add_defects
from binc.synthetic.exports import FORMATS, format_national_numbers, write_exports
from binc.synthetic.families import build_population
from binc.synthetic.outcomes import add_outcomes
from binc.synthetic.pools import build_pools
from binc.synthetic.recipe import (
    EARLIEST_YEAR,
    FIRST_YEAR,
    LAST_YEAR,
    LATEST_YEAR,
    MAX_YEARS,
    RECIPE,
    Recipe,
)
from binc.synthetic.registrations import ORDER, assemble
from binc.synthetic.trajectories import build_trajectories

DEFAULT_SEED = 20260331
# Everything is built in memory (docs/performance.md has the measured size): refuse sizes
# that would exhaust a normal machine instead of failing half-way.
MAX_CHILDREN = 5_000_000


@dataclass(frozen=True)
class GenerationSummary:
    out_dir: Path
    file_format: str
    files: tuple[Path, ...]  # in chronological (= sorted) order: ingest them in this order
    rows: int  # every row written, corrections and deliberately invalid rows included
    children: int  # distinct children (persons)
    invalid_rows: int
    corrections: int

    def line(self) -> str:
        """One line for the terminal: counts only, never a name or number of a person."""
        return (
            f"wrote {len(self.files)} {self.file_format} files to {self.out_dir}: "
            f"{self.rows:,} rows, {self.children:,} children "
            f"({self.invalid_rows:,} deliberately invalid rows, {self.corrections:,} corrections)"
        )


def check_horizon(first_year: int, last_year: int) -> None:
    """1 to MAX_YEARS start years within EARLIEST_YEAR–LATEST_YEAR, first before last."""
    got = f"(got {first_year}–{last_year})"
    if not (
        EARLIEST_YEAR <= first_year <= LATEST_YEAR and EARLIEST_YEAR <= last_year <= LATEST_YEAR
    ):
        raise UserError(
            f"--first-year and --last-year must lie within {EARLIEST_YEAR}–{LATEST_YEAR} {got}"
        )
    if last_year < first_year:
        raise UserError(f"--last-year must not be before --first-year {got}")
    if last_year - first_year + 1 > MAX_YEARS:
        raise UserError(
            f"--first-year to --last-year may span at most {MAX_YEARS} start years "
            f"(got {last_year - first_year + 1}: {first_year}–{last_year})"
        )


def default_children(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> int:
    """The default --children for a horizon: 50,000 for 2019–2025, scaled by the years' volume."""
    check_horizon(first_year, last_year)
    return RECIPE.with_horizon(first_year, last_year).children_for_horizon()


def check_arguments(
    children: int,
    seed: int,
    file_format: str,
    first_year: int = FIRST_YEAR,
    last_year: int = LAST_YEAR,
) -> None:
    check_horizon(first_year, last_year)
    if seed < 0:
        raise UserError(f"--seed must be zero or a positive whole number (got {seed})")
    if not 1 <= children <= MAX_CHILDREN:
        raise UserError(f"--children must be between 1 and {MAX_CHILDREN:,} (got {children})")
    if file_format not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)} (got {file_format!r})")


def build_registrations(children: int, seed: int, recipe: Recipe = RECIPE) -> pl.DataFrame:
    """Every row as written (typed), each file's rows in their order, with `_file`, `_defect`, `_correction` and
    `_child_id` kept for tests and checks; `generate_exports` writes only the v1 columns.

    The start years are the recipe's (`RECIPE.with_horizon(first, last)` for others)."""
    check_arguments(children, seed, "csv", recipe.first_year, recipe.last_year)
    pools = build_pools(recipe, seed, draws.stream(seed, "geography"))
    population = build_population(recipe, pools, children, seed)
    trajectories = add_outcomes(recipe, build_trajectories(recipe, population, seed), seed)
    frame = assemble(recipe, population, trajectories, pools)
    frame = add_defects(recipe, add_corrections(recipe, frame, seed), seed)
    frame = format_national_numbers(recipe, frame, seed)
    is_resent = pl.col(CORRECTION).is_not_null() & (pl.col(CORRECTION) != "original")
    return frame.with_columns(is_resent.alias("_resent")).sort("_resent", ORDER).drop("_resent")


def generate_exports(
    out_dir: Path, children: int | None = None, seed: int = DEFAULT_SEED,
    file_format: str = "csv", *, first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR,
) -> GenerationSummary:  # fmt: skip
    """Write one export per partnership and start year (default 2019–2025) plus other youth care
    per year. `children` defaults to `default_children(first_year, last_year)`."""
    if children is None:
        children = default_children(first_year, last_year)
    check_arguments(children, seed, file_format, first_year, last_year)
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise UserError(f"--out {out_dir}: exists and is not a directory; give a directory")
    recipe = RECIPE.with_horizon(first_year, last_year)
    frame = build_registrations(children, seed, recipe)
    files = write_exports(recipe, frame, Path(out_dir), file_format)
    return GenerationSummary(
        out_dir=Path(out_dir),
        file_format=file_format,
        files=tuple(files),
        rows=frame.height,
        children=frame["_child_id"].n_unique(),
        invalid_rows=int(frame[DEFECT].is_not_null().sum()),
        corrections=int(
            (frame[CORRECTION].is_not_null() & (frame[CORRECTION] != "original")).sum()
        ),
    )
