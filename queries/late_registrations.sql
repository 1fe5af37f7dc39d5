-- late_registrations: kept trajectories first ingested after the ledger's last calendar release,
-- per start year (the builder keeps only closed start years whose definitive figures are carried
-- forward: their registrations arrived late and are in none of their figures).
--
-- Privacy unit: the person. Only kept trajectories count (at most c per person over their life,
-- bounded_trajectories.sql), and each trajectory is first ingested once, so it is counted in at
-- most one release's late count: one person changes all late counts ever published by at most c.
-- Parameters: $watermark (the highest ingest id a calendar release of these data measured, from the
--   privacy ledger). Input: bounded_trajectories (its row_id is the warehouse row), key_year,
--   wh.trajectories and wh.trajectory_history (a corrected registration's earliest version).
-- Columns: year, true_count = the kept trajectories of the start year first ingested after
--   $watermark.
-- This runs in the in-memory measuring database; true counts leave it only as noisy figures.
WITH kept AS (
    SELECT b.year, t.record_id, t.ingest_id
    FROM bounded_trajectories AS b
    JOIN wh.trajectories AS t ON t.rowid = b.row_id
),
first_seen AS (
    SELECT h.record_id, min(h.ingest_id) AS first_ingest
    FROM wh.trajectory_history AS h
    SEMI JOIN kept AS k ON k.record_id = h.record_id
    GROUP BY h.record_id
),
late AS (
    SELECT k.year
    FROM kept AS k
    LEFT JOIN first_seen AS f ON f.record_id = k.record_id
    WHERE least(k.ingest_id, coalesce(f.first_ingest, k.ingest_id)) > $watermark
)
SELECT key_year.year, count(late.year) AS true_count
FROM key_year
LEFT JOIN late ON late.year = key_year.year
GROUP BY key_year.year
ORDER BY key_year.year
