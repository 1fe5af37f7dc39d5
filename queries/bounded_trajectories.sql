-- bounded_trajectories: the 1G1P trajectories a release measures, at most c per person, with every
-- dimension a measurement groups by.
--
-- Step 2 of contribution bounding (privacy model 1), done ONCE per release; every measured
-- marginal (the other files in this folder) counts rows of this table.
-- Privacy unit: the person. Which trajectories a person keeps depends only on that person's own
-- records and the release's public salt: the order is md5(pseudonym | record_id | salt), and the
-- first c in that order are kept. The pseudonym is already keyed (HMAC), so the order cannot be
-- steered from outside; the salt (the release id, recorded; a seeded test build draws its own)
-- spreads the drops differently in each release instead of always dropping the same trajectory,
-- and makes a release reproducible.
-- Only the people above c (persons_over_cap.sql) are ranked; everybody else keeps all rows.
-- Input: measured_trajectories (measured_trajectories.sql), persons_over_cap.
-- Parameters: $cap (= c), $salt.
-- How: the rows over the cap are deleted from measured_trajectories in place (half the time of
-- copying the 10M kept rows into a new table), which binc/release/measure.py then renames to
-- bounded_trajectories.
-- Columns: those of measured_trajectories (see there); row_id never leaves the process:
--   row_id, person, year, partnership, province, municipality, trajectory_type, sex,
--   family_situation, age_band, family_size_band, end_reason, follow_up, status, duration_band, waiting_band,
--   care_before, care_after
-- This is an in-memory working table of the release process: it is never written to a release.
DELETE FROM measured_trajectories
WHERE row_id IN (
    SELECT row_id
    FROM (
        SELECT row_id,
               row_number() OVER (
                   PARTITION BY pseudonym
                   ORDER BY md5(pseudonym || '|' || record_id || '|' || $salt), record_id,
                            start_date, row_id
               ) AS keep_rank
        FROM persons_over_cap
    )
    WHERE keep_rank > $cap
)
