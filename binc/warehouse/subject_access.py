"""Subject access: every warehouse record of one person, found through the key, for the DPO."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from binc.core.errors import UserError
from binc.core.national_number import is_well_formed, normalise, valid_before_2000, valid_from_2000
from binc.core.pseudonym_key import PseudonymKey

_TRAJECTORY_FIELDS = (
    "record_id, programme, partnership_id, municipality_nis, province_nis, sex, birth_year, age_at_start, "
    "family_situation, family_size, trajectory_type, referral_date, start_date, end_date, end_reason, follow_up"
)


@dataclass(frozen=True)
class SubjectRecords:
    person: pl.DataFrame  # birth_year, sex, retention_until
    trajectories: pl.DataFrame  # current registrations
    history: pl.DataFrame  # earlier versions replaced by corrections
    rejects: pl.DataFrame  # rows of this person that ingest refused, with the reason

    @property
    def found(self) -> bool:
        return any(
            not f.is_empty() for f in (self.person, self.trajectories, self.history, self.rejects)
        )


def normalised_number(national_number: str) -> str:
    """The 11 digits, or a UserError saying what is wrong (the number itself is never echoed)."""
    frame = pl.DataFrame({"n": [national_number]}).select(normalise("n").alias("n"))
    checked = frame.select(
        pl.col("n"),
        is_well_formed(pl.col("n")).alias("well_formed"),
        (valid_before_2000(pl.col("n")) | valid_from_2000(pl.col("n"))).alias("valid"),
    ).row(0, named=True)
    if not checked["well_formed"]:
        raise UserError("--national-number: must have 11 digits (dots, dash and spaces allowed)")
    if not checked["valid"]:
        raise UserError(
            "--national-number: the check digits are wrong; check the number with the requester"
        )
    return checked["n"]


def find_subject(
    con: duckdb.DuckDBPyConnection, key: PseudonymKey, national_number: str
) -> SubjectRecords:
    pseudonym = key.pseudonym(normalised_number(national_number))

    def query(sql: str) -> pl.DataFrame:
        return con.sql(sql, params=[pseudonym]).pl()

    return SubjectRecords(
        person=query(
            "SELECT birth_year, sex, retention_until AS kept_until FROM persons WHERE pseudonym = $1"
        ),
        trajectories=query(
            f"SELECT {_TRAJECTORY_FIELDS}, l.file_name AS source_file, t.source_line "
            "FROM trajectories t JOIN ingest_log l USING (ingest_id) WHERE pseudonym = $1 ORDER BY start_date, record_id"
        ),
        history=query(
            f"SELECT {_TRAJECTORY_FIELDS}, replaced_at FROM trajectory_history WHERE pseudonym = $1 "
            "ORDER BY record_id, replaced_at"
        ),
        rejects=query(
            "SELECT file_name, line, record_id, field, reason FROM rejects WHERE pseudonym = $1 ORDER BY file_name, line"
        ),
    )
