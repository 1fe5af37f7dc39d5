-- marginal: the number of kept 1G1P trajectories in every cell of a marginal over some dimensions.
--
-- The template of every trajectory marginal without its own SQL file (config/release.toml
-- [[measurement]] with unit "trajectories"; the per-partnership and per-province tables use it).
-- binc/release/measure.py fills in {columns} (the dimensions, comma-separated) and {keys} (one
-- public key table per dimension, CROSS JOINed); dimension names come from the fixed list in
-- binc/core/dimensions.py, never from user input.
-- Every combination of public codes is a cell (the key_* tables come from reference data and the
--   config's years), so an empty cell is measured like any other.
-- Privacy unit: the person. Each person keeps at most c trajectories (bounded_trajectories.sql)
--   and each trajectory is in exactly one cell, so one person changes the table by at most c
--   in total (L1 sensitivity c; L2 at most c).
-- Columns: the dimensions = the cell's codes; true_count = trajectories in the cell (0 when empty).
-- The true counts exist only in memory: noise is added before anything is written to a release.
WITH counted AS (
    SELECT {columns}, count(*) AS true_count
    FROM bounded_trajectories
    GROUP BY ALL
)
SELECT {columns}, coalesce(counted.true_count, 0) AS true_count
FROM {keys}
LEFT JOIN counted USING ({columns})
ORDER BY {columns}
