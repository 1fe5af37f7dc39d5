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
from binc.synthetic.recipe import RECIPE, Recipe
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


def check_arguments(children: int, seed: int, file_format: str) -> None:
    if seed < 0:
        raise UserError(f"--seed must be zero or a positive whole number (got {seed})")
    if not 1 <= children <= MAX_CHILDREN:
        raise UserError(f"--children must be between 1 and {MAX_CHILDREN:,} (got {children})")
    if file_format not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)} (got {file_format!r})")


def build_registrations(children: int, seed: int, recipe: Recipe = RECIPE) -> pl.DataFrame:
    """Every row as written (typed), each file's rows in their order, with `_file`, `_defect`, `_correction` and
    `_child_id` kept for tests and checks; `generate_exports` writes only the v1 columns."""
    check_arguments(children, seed, "csv")
    pools = build_pools(recipe, seed, draws.stream(seed, "geography"))
    population = build_population(recipe, pools, children, seed)
    trajectories = add_outcomes(recipe, build_trajectories(recipe, population, seed), seed)
    frame = assemble(recipe, population, trajectories, pools)
    frame = add_defects(recipe, add_corrections(recipe, frame, seed), seed)
    frame = format_national_numbers(recipe, frame, seed)
    is_resent = pl.col(CORRECTION).is_not_null() & (pl.col(CORRECTION) != "original")
    return frame.with_columns(is_resent.alias("_resent")).sort("_resent", ORDER).drop("_resent")


def generate_exports(
    out_dir: Path, children: int = RECIPE.default_children, seed: int = DEFAULT_SEED,
    file_format: str = "csv",
) -> GenerationSummary:  # fmt: skip
    """Write one export per partnership and start year (2019–2025) plus other youth care per year."""
    check_arguments(children, seed, file_format)
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise UserError(f"--out {out_dir}: exists and is not a directory; give a directory")
    frame = build_registrations(children, seed)
    files = write_exports(RECIPE, frame, Path(out_dir), file_format)
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
