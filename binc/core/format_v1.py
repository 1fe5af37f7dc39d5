"""Registration format v1: the columns a provider export must have (docs/design.md §5)."""

from __future__ import annotations

COLUMNS: tuple[str, ...] = (
    "record_id",
    "programme",
    "partnership_id",
    "national_number",
    "last_name",
    "first_name",
    "birth_date",
    "sex",
    "street",
    "house_number",
    "postal_code",
    "municipality_nis",
    "family_situation",
    "family_size",
    "trajectory_type",
    "referral_date",
    "start_date",
    "end_date",
    "end_reason",
    "follow_up",
)

# Dropped at the door: these never reach any warehouse table, reject reason or log.
IDENTIFYING: frozenset[str] = frozenset(
    {"national_number", "last_name", "first_name", "street", "house_number", "postal_code"}
)

DATE_COLUMNS: tuple[str, ...] = ("birth_date", "referral_date", "start_date", "end_date")

MIN_FAMILY_SIZE, MAX_FAMILY_SIZE = 1, 20
RETENTION_AGE = 35
