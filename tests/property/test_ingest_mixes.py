"""Property: on any mix of valid and invalid rows, ingest accounts for every row read — accepted plus
rejected equals read, and the warehouse holds exactly the accepted rows and the rejects."""

from __future__ import annotations

from datetime import date

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.exports import TEST_KEY, row, write_csv

from binc.core.pseudonym_key import PseudonymKey
from binc.ingest.pipeline import ingest_files

TODAY = date(2026, 11, 29)
KEY = PseudonymKey(TEST_KEY)

FIELD_VALUES = {
    "national_number": st.sampled_from(
        ["15031212376", "15031212300", "", "abc", "15.03.12-123.76"]
    ),
    "birth_date": st.sampled_from(["2015-03-12", "12/03/2015", "2015-02-30", "", "2030-01-01"]),
    "sex": st.sampled_from(["M", "V", "X", "", "Q"]),
    "family_size": st.sampled_from(["1", "3", "20", "21", "0", "", "x"]),
    "trajectory_type": st.sampled_from(["coaching_short", "psychologist", "", "nope"]),
    "end_date": st.sampled_from(["2023-06-15", "", "2023-01-01", "2031-01-01"]),
    "end_reason": st.sampled_from(["goals_reached", "", "other", "bad"]),
    "record_id": st.sampled_from(["r1", "r2", "r3", ""]),
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.fixed_dictionaries(FIELD_VALUES), min_size=0, max_size=12))
def test_accepted_plus_rejected_equals_read_on_random_mixes(
    tmp_path_factory, rows: list[dict[str, str]]
) -> None:
    directory = tmp_path_factory.mktemp("mix")
    export = write_csv(directory / "mix.csv", [row(**r) for r in rows])
    (counts,) = ingest_files(directory / "w.duckdb", [export], KEY, today=TODAY).files
    assert counts.read == len(rows)
    assert counts.accepted + counts.rejected == counts.read
    con = duckdb.connect(str(directory / "w.duckdb"), read_only=True)
    stored, rejected = con.execute(
        "SELECT (SELECT count(*) FROM trajectories), (SELECT count(*) FROM rejects)"
    ).fetchall()[0]
    con.close()
    assert (stored, rejected) == (counts.accepted, counts.rejected)
