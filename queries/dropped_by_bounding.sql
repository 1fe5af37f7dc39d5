-- dropped_by_bounding: how many trajectories contribution bounding left out of this release.
--
-- Dimensions: none (one cell). Privacy unit: the person.
-- Each person's dropped trajectories are counted up to c, so one person changes this count by at
-- most c (L1 sensitivity c) and it can be published with noise like every other measurement.
-- Parameters: $cap (= c). Input: persons_over_cap (see persons_over_cap.sql: one row per
--   trajectory of a person above c, with that person's number of trajectories).
-- Columns: true_count = the number of dropped trajectories (each person counted up to c).
WITH persons AS (
    SELECT DISTINCT pseudonym, trajectories FROM persons_over_cap
)
SELECT coalesce(sum(least(trajectories - $cap, $cap)), 0) AS true_count
FROM persons
