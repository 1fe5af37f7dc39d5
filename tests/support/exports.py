"""Tiny hand-made provider exports for tests (registration format v1)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from binc.core.format_v1 import COLUMNS

TEST_KEY = b"test-key-0123456789-0123456789-abcdef"
OTHER_KEY = b"another-key-9876543210-9876543210-zyx"


def national_number(birth: date, counter: int, *, rule_2000: bool | None = None) -> str:
    """A national number for `birth` (odd counter = male); the check-digit rule follows the year unless forced."""
    base = f"{birth:%y%m%d}{counter:03d}"
    use_2000 = birth.year >= 2000 if rule_2000 is None else rule_2000
    value = int(("2" if use_2000 else "") + base)
    return base + f"{97 - value % 97:02d}"


def row(**overrides: str) -> dict[str, str]:
    """A valid 1g1p registration; override any field."""
    values = {
        "record_id": "P01-2023-000001",
        "programme": "1g1p",
        "partnership_id": "P01",
        "national_number": national_number(date(2015, 3, 12), 123),
        "last_name": "Janssens",
        "first_name": "Lotte",
        "birth_date": "2015-03-12",
        "sex": "M",
        "street": "Kerkstraat",
        "house_number": "12",
        "postal_code": "2930",
        "municipality_nis": "11008",
        "family_situation": "single_parent",
        "family_size": "3",
        "trajectory_type": "coaching_short",
        "referral_date": "2023-01-10",
        "start_date": "2023-02-01",
        "end_date": "2023-06-15",
        "end_reason": "goals_reached",
        "follow_up": "none",
    }
    values.update(overrides)
    return values


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    separator: str = ",",
    bom: bool = False,
    columns=COLUMNS,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=list(columns), delimiter=separator, extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(rows)
    return path
