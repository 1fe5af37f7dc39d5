-- year_municipality: trajectories per municipality of the child's address and year (for maps; small municipalities are mostly suppressed).
--
-- Dimensions: year × municipality.
--   Every combination of public codes is a cell (the key_* tables come from reference data and the
--   config's years), so an empty cell is measured like any other.
-- Privacy unit: the person. Each person keeps at most c trajectories (bounded_trajectories.sql)
--   and each trajectory is in exactly one cell, so one person changes the table by at most c
--   in total (L1 sensitivity c).
-- Input: bounded_trajectories (1G1P trajectories starting in the release's years, at most c per person).
-- Columns: year, municipality = the cell's codes;
--   true_count = number of 1G1P trajectories in the cell (0 when empty).
-- The true counts exist only in memory: noise is added before anything is written to a release.
WITH counted AS (
    SELECT year, municipality, count(*) AS true_count
    FROM bounded_trajectories
    GROUP BY ALL
)
SELECT year, municipality, coalesce(counted.true_count, 0) AS true_count
FROM key_year
CROSS JOIN key_municipality
LEFT JOIN counted USING (year, municipality)
ORDER BY year, municipality
