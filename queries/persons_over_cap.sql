-- persons_over_cap: the 1G1P trajectories of the people who have more than c of them in the
-- release's years (one row per trajectory, with what ranking needs).
--
-- Step 1 of contribution bounding (privacy model 1). Only these people need their trajectories
-- ranked (bounded_trajectories.sql); everybody else keeps all of theirs.
-- Privacy unit: the person (pseudonym = keyed HMAC of the national number; no identity here).
-- Input: measured_trajectories (measured_trajectories.sql) and wh.trajectories (read-only).
-- Parameters: $cap (= c).
-- How: counting per 64-character pseudonym is the slow part, so rows are first counted per 64-bit
-- hash of the pseudonym (`candidates`). Two people whose pseudonyms share a hash are counted
-- together, which can only ADD a candidate, never hide one; the count per real pseudonym over the
-- candidates' rows (`trajectories` below) is exact, and only people above c are kept.
-- Columns:
--   row_id, record_id, start_date  the trajectory (warehouse row, its record id, its start)
--   pseudonym     the person
--   trajectories  how many 1G1P trajectories the person started in the public years (> c)
-- This is an in-memory working table of the release process: it is never written to a release.
CREATE TEMP TABLE persons_over_cap AS
WITH candidates AS (
    SELECT person
    FROM measured_trajectories
    GROUP BY person
    HAVING count(*) > $cap
),
candidate_rows AS (
    SELECT m.row_id
    FROM measured_trajectories AS m
    SEMI JOIN candidates AS c ON c.person = m.person
),
counted AS (
    SELECT t.rowid AS row_id, t.record_id, t.start_date, t.pseudonym,
           count(*) OVER (PARTITION BY t.pseudonym) AS trajectories
    FROM wh.trajectories AS t
    SEMI JOIN candidate_rows AS r ON r.row_id = t.rowid
)
SELECT row_id, record_id, start_date, pseudonym, trajectories
FROM counted
WHERE trajectories > $cap
