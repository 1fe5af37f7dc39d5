-- persons_over_cap: the 1G1P trajectories of the people who have more than c of them in the
-- public years (one row per trajectory, ranked in the order that decides which c they keep).
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
--   row_id, start_date  the trajectory (warehouse row, its start)
--   pseudonym     the person
--   trajectories  how many 1G1P trajectories the person started in the public years (> c)
--   keep_rank     1, 2, ...: the trajectory's place in the person's keep order; the first c are
--                 kept (bounded_trajectories.sql), the next c are counted as dropped
--                 (dropped_by_bounding.sql)
-- The keep order is a LIFETIME order that depends only on the person's own records: first by the
-- ingest that first brought the registration (its record_id's earliest version, in trajectories
-- or trajectory_history), then by start date, then by md5(pseudonym | record_id) (the pseudonym is
-- keyed, so the order cannot be steered from outside). A later ingest can only add trajectories
-- after the ones a person already keeps, so the kept set of every person only grows, up to c, and
-- is the same in every release: the per-child lifetime bound of the publication calendar needs
-- that (binc/release/ledger.py, docs/methodology.md "The publication calendar").
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
    SELECT t.rowid AS row_id, t.record_id, t.start_date, t.pseudonym, t.ingest_id,
           count(*) OVER (PARTITION BY t.pseudonym) AS trajectories
    FROM wh.trajectories AS t
    SEMI JOIN candidate_rows AS r ON r.row_id = t.rowid
),
over_cap AS (
    SELECT * FROM counted WHERE trajectories > $cap
),
first_ingest AS (
    SELECT h.record_id, min(h.ingest_id) AS first_ingest
    FROM wh.trajectory_history AS h
    SEMI JOIN over_cap AS o ON o.record_id = h.record_id
    GROUP BY h.record_id
)
SELECT o.row_id, o.start_date, o.pseudonym, o.trajectories,
       row_number() OVER (
           PARTITION BY o.pseudonym
           ORDER BY least(o.ingest_id, coalesce(f.first_ingest, o.ingest_id)), o.start_date,
                    md5(o.pseudonym || '|' || o.record_id), o.row_id
       ) AS keep_rank
FROM over_cap AS o
LEFT JOIN first_ingest AS f ON f.record_id = o.record_id
