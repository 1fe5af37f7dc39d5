-- persons_over_cap: the people who have more than c 1G1P trajectories in the release's years.
--
-- Step 1 of contribution bounding (privacy model 1). Only these people need their trajectories
-- ranked; everybody else keeps all of theirs.
-- Privacy unit: the person (pseudonym = keyed HMAC of the national number; no identity here).
-- Input: wh.trajectories (the pseudonymised warehouse, opened read-only).
-- Parameters: $first_year, $last_year (public years from the release config), $cap (= c).
-- Columns:
--   pseudonym     the person
--   trajectories  how many 1G1P trajectories the person started in the public years (> c)
-- This is an in-memory working table of the release process: it is never written to a release.
CREATE TEMP TABLE persons_over_cap AS
SELECT pseudonym, count(*) AS trajectories
FROM wh.trajectories
WHERE programme = '1g1p'
  AND start_date >= make_date($first_year, 1, 1)
  AND start_date < make_date($last_year + 1, 1, 1)
GROUP BY pseudonym
HAVING count(*) > $cap
