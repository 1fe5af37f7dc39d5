-- bounded_trajectories: the 1G1P trajectories a release measures, at most c per person, with every
-- dimension a measurement groups by.
--
-- Step 2 of contribution bounding (privacy model 1), done ONCE per release; every measured
-- marginal (the other files in this folder) counts rows of this table.
-- Privacy unit: the person. Which trajectories a person keeps depends only on that person's own
-- records and the release's public salt: the order is md5(pseudonym | record_id | salt), and the
-- first c in that order are kept. The pseudonym is already keyed (HMAC), so the order cannot be
-- steered from outside; the salt (the release id, recorded) spreads the drops differently in each
-- release instead of always dropping the same trajectory, and makes a release reproducible.
-- Only the people above c (persons_over_cap.sql) are ranked; everybody else keeps all rows.
-- Input: measured_trajectories (measured_trajectories.sql), persons_over_cap.
-- Parameters: $cap (= c), $salt (the release id).
-- Columns: those of measured_trajectories (see there) except row_id:
--   person, year, partnership, province, municipality, trajectory_type, sex, family_situation,
--   age_band, family_size_band, end_reason, follow_up, status, duration_band, waiting_band,
--   care_before, care_after
-- This is an in-memory working table of the release process: it is never written to a release.
CREATE TEMP TABLE bounded_trajectories AS
WITH ranked AS (
    SELECT row_id,
           row_number() OVER (
               PARTITION BY pseudonym
               ORDER BY md5(pseudonym || '|' || record_id || '|' || $salt), record_id,
                        start_date, row_id
           ) AS keep_rank
    FROM persons_over_cap
),
dropped AS (
    SELECT row_id FROM ranked WHERE keep_rank > $cap
)
SELECT m.* EXCLUDE (row_id)
FROM measured_trajectories AS m
ANTI JOIN dropped AS d ON d.row_id = m.row_id
