-- children: children reached: distinct children with at least one (kept) 1G1P trajectory starting in the year.
--
-- Dimensions: year.
--   Every combination of public codes is a cell (the key_* tables come from reference data and the
--   config's years), so an empty cell is measured like any other.
-- Privacy unit: the person. A child counts once per year, but a child's (at most c) kept
--   trajectories can fall in up to c different years, so L1 sensitivity is c (not 1).
-- Input: bounded_trajectories (1G1P trajectories starting in the release's years, at most c per person).
-- Columns: year = the cell's codes;
--   true_count = number of distinct children in the cell (0 when empty).
-- The true counts exist only in memory: noise is added before anything is written to a release.
WITH counted AS (
    SELECT year, count(DISTINCT person) AS true_count
    FROM bounded_trajectories
    GROUP BY ALL
)
SELECT year, coalesce(counted.true_count, 0) AS true_count
FROM key_year
LEFT JOIN counted USING (year)
ORDER BY year
