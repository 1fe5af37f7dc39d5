"""Show the privacy ledger of a warehouse's data: one line per release ever made from these data
(date, release id, mechanism, budget, start years covered), then the lifetime totals against the
limits of the release config.

The ledger is found by the warehouse's ledger id (set at `binc ingest`, from the key) in
--ledger-dir, else $BINC_LEDGER_DIR, else ~/.local/state/binc/ledger. Nothing is written. Exit
status 0 when the ledger agrees with the warehouse, 1 (with the reason in one line) when it is
missing or inconsistent — `binc release` refuses to release then — and 2 when an argument or file
is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from binc.core.environment import LEDGER_DIR_ENV
from binc.core.noise import budget_text, zcdp_epsilon
from binc.release.config import load_config
from binc.release.ledger import Entry, LedgerError, LifetimeTotals, open_ledger


def add_ledger_dir_option(parser: argparse.ArgumentParser) -> None:
    """--ledger-dir, shared with `binc release` (both must find the same ledger)."""
    parser.add_argument(
        "--ledger-dir",
        type=Path,
        default=None,
        help=f"directory of the privacy ledgers (default ${LEDGER_DIR_ENV}, else "
        "$XDG_STATE_HOME/binc/ledger)",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", required=True, type=Path, help="the pseudonymised warehouse (DuckDB)"
    )
    add_ledger_dir_option(parser)
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="release config whose lifetime limits to compare with (default config/release.toml)",
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    try:
        book = open_ledger(args.warehouse, args.ledger_dir, write=False)
    except LedgerError as error:
        print(f"binc ledger: {_one_line(str(error))}", file=sys.stderr)
        return 1
    with book:
        print(f"ledger {book.path}")
        if not book.entries:
            print("no releases of these data yet")
        for entry in book.entries:
            print(describe(entry))
        rho_limit = config.lifetime_rho_limit
        lines = totals_lines(book.totals(), config.lifetime_epsilon_limit, rho_limit, config.delta)
        for line in lines:
            print(line)
    return 0


def describe(entry: Entry) -> str:
    """date, release id, mechanism, budget, start years (per phase for a calendar release)."""
    budget = budget_text(entry.mechanism, entry.budget)
    by_phase: dict[str, set[int]] = {}
    for m in entry.measurements:
        by_phase.setdefault(m.phase, set()).update(m.years)
    if set(by_phase) <= {"all"}:
        years = f"years {years_text(entry.years)}"
    else:  # a calendar release: every phase it measured
        years = "; ".join(
            f"{phase} {years_text(tuple(sorted(by_phase[phase])))}"
            for phase in ("definitive", "correction", "provisional", "late")
            if phase in by_phase
        )
    return f"{entry.created_at[:10]}  {entry.release_id}  {entry.mechanism}  {budget}  {years}"


def totals_lines(
    totals: LifetimeTotals, epsilon_limit: float, rho_limit: float | None, delta: float
) -> list[str]:
    """The lifetime totals against the limits; a total in ρ also as the (ε, δ)-DP it implies at
    the config's δ (only once a zCDP release is among them: for pure releases ε itself says more)."""
    rho_of = "not set" if rho_limit is None else f"{rho_limit:g}"
    accounted = (
        "pure ε-DP: the ε add up"
        if totals.pure_only
        else "zCDP: the ρ add up; pure ε-DP releases count as ε²/2"
    )
    return [
        f"lifetime per child: {totals.releases} release(s), accounted in {accounted} (a "
        "calendar's start years side by side: the most one start year got)",
        f"  ε of pure ε-DP releases: {totals.epsilon_pure:g} of lifetime_epsilon_limit "
        f"{epsilon_limit:g} ({max(epsilon_limit - totals.epsilon_pure, 0.0):g} left)",
        f"  ρ (zCDP, all releases): {totals.rho:g} of lifetime_rho_limit {rho_of}"
        + (
            ""
            if totals.pure_only
            else f"; that is (ε {zcdp_epsilon(totals.rho, delta):.2f}, δ {delta:g})-DP"
        ),
    ]


def years_text(years: tuple[int, ...]) -> str:
    """2019–2025 for a run of years; else the years, comma-separated; "-" for none."""
    if not years:
        return "-"
    if list(years) == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return ",".join(str(y) for y in years)


def _one_line(message: str) -> str:
    """As binc.cli prints a user error: control and bidi characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
