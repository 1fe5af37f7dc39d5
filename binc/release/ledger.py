"""The lifetime privacy budget: an append-only ledger beside the releases.

How privacy loss composes: every release measures *all* public years again from the current
warehouse, so each release spends its full ε on the same people. Successive releases of the same
warehouse (same `warehouse_id`, whatever its data version) therefore add up: lifetime ε = sum of
the ε of all releases of that warehouse (sequential composition of pure ε-DP).

Why a ledger file and not only release metadata: old release files get deleted or overwritten (the
demo rebuilds its release), but the privacy loss they caused does not go away. The ledger
(`privacy-ledger.jsonl` in the release's folder) keeps one line per release ever built there and
`binc release` refuses to exceed the config's `lifetime_epsilon_limit`. Each release also records
the lifetime total at its creation, so the chain is visible in the release metadata too.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from binc.core.errors import UserError, storage_problem

LEDGER_NAME = "privacy-ledger.jsonl"


@dataclass(frozen=True)
class LedgerEntry:
    release_id: str
    warehouse_id: str
    warehouse_version: str
    created_at: str
    epsilon: float
    release_file: str


def ledger_path(release: Path) -> Path:
    return release.parent / LEDGER_NAME


def spent(ledger: Path, warehouse_id: str) -> float:
    """ε already spent on this warehouse by releases recorded in the ledger."""
    if not ledger.exists():
        return 0.0
    total = 0.0
    for number, line in enumerate(ledger.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if entry["warehouse_id"] == warehouse_id:
                total += float(entry["epsilon"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise UserError(
                f"{ledger}: line {number} is not a ledger entry; restore the ledger from backup "
                "(it records the privacy budget already spent and may not be edited by hand)"
            ) from None
    return total


def check_budget(ledger: Path, warehouse_id: str, epsilon: float, limit: float) -> float:
    """The lifetime ε after this release; UserError when it would exceed the limit."""
    after = spent(ledger, warehouse_id) + epsilon
    if after > limit + 1e-9:
        raise UserError(
            f"{ledger}: lifetime budget rule: releases of this warehouse have spent "
            f"ε {after - epsilon:g}; another release of ε {epsilon:g} would exceed "
            f"lifetime_epsilon_limit = {limit:g} in the release config — keep using the latest "
            "release, or have the data-protection officer approve a higher limit"
        )
    return after


def record(ledger: Path, entry: LedgerEntry) -> None:
    """Append one line; on failure (e.g. disk full) cut the file back, so no half line remains."""
    line = (json.dumps(entry.__dict__, sort_keys=True) + "\n").encode()
    with ledger.open("ab", buffering=0) as handle:
        size = handle.seek(0, os.SEEK_END)
        try:
            rest = memoryview(line)
            while rest:  # an unbuffered write may be partial; it raises when nothing fits
                rest = rest[handle.write(rest) :]
            os.fsync(handle.fileno())
        except OSError as error:
            with contextlib.suppress(OSError):
                handle.truncate(size)
            reason = storage_problem(error)
            raise UserError(
                f"{ledger}: could not record the release in the privacy ledger "
                f"({reason[1] if reason else type(error).__name__}); the release was not published"
            ) from None
