-- measured_trajectories: every 1G1P trajectory starting in the release's years, BEFORE bounding,
-- reduced to the small codes the measurements group by.
--
-- Step 0 of a release: one scan of the warehouse derives every dimension (bands, status, linkage
-- flags) once, so no later query reads the warehouse's text columns again. Contribution bounding
-- (persons_over_cap.sql, bounded_trajectories.sql) then removes the rows over the cap.
-- Privacy unit: the person. Other youth care is never counted; it only sets the care_before /
-- care_after flags of the person's own 1G1P trajectories (so it too only moves that person's own
-- cells). It is matched on the exact pseudonym.
-- Parameters: $first_year, $last_year, $as_of (release date: ongoing trajectories are censored
--   here), and the open lower bound of each banded dimension ($age_open, ...).
-- Lookup tables band_<dimension>(value, <dimension>) come from data/reference/bands.csv.
-- A warehouse code list is cast straight to the public code list (ENUM to ENUM, by code text);
-- a code missing from the public list becomes NULL.
-- Columns (all keys are codes of public lists, stored as ENUMs; NULL when a value is outside the
-- public domain, such a row falls in no cell):
--   row_id            the warehouse row (to drop rows over the cap; never leaves the process)
--   person            64-bit hash of the pseudonym (to count per person and distinct children)
--   year              start year
--   partnership, province, municipality, trajectory_type, sex, family_situation
--   age_band          age at start, banded
--   family_size_band  household members, banded
--   end_reason        the end reason, or 'ongoing'
--   end_group         the end reason's public group (binc/core/dimensions.py END_GROUPS)
--   follow_up         the follow-up, or 'not_recorded'
--   status            'ended' or 'ongoing' on $as_of
--   duration_band     whole months (days / 30.4375) from start to end, or to $as_of when ongoing
--   waiting_band      days from referral to start, or 'unknown' without a referral date
--   care_before       'yes' when another youth-care trajectory of the person started earlier
--   care_after        'yes' when another youth-care trajectory of the person started later
-- This is an in-memory working table of the release process: it is never written to a release.
CREATE TEMP TABLE measured_trajectories AS
WITH other_care AS (
    SELECT pseudonym, min(start_date) AS first_start, max(start_date) AS last_start
    FROM wh.trajectories
    WHERE programme = 'other_youth_care' AND start_date <= $as_of
    GROUP BY pseudonym
),
-- The registrations as known on $as_of: a trajectory that starts later is not there yet, and one
-- that ends later is still ongoing (with no end reason or follow-up yet). Live data never holds
-- such dates; a replay of history (the calendar simulation) measures one warehouse as of many days.
as_of AS (
    SELECT * REPLACE (
        CASE WHEN end_date <= $as_of THEN end_date END AS end_date,
        CASE WHEN end_date <= $as_of THEN end_reason END AS end_reason,
        CASE WHEN end_date <= $as_of THEN follow_up END AS follow_up
    ), rowid AS row_id
    FROM wh.trajectories
    WHERE programme = '1g1p' AND start_date <= $as_of
)
SELECT
    m.row_id,
    hash(m.pseudonym) AS person,
    CAST(year(m.start_date) AS SMALLINT) AS year,
    TRY_CAST(m.partnership_id AS partnership_key) AS partnership,
    TRY_CAST(m.province_nis AS province_key) AS province,
    TRY_CAST(m.municipality_nis AS municipality_key) AS municipality,
    TRY_CAST(m.trajectory_type AS trajectory_type_key) AS trajectory_type,
    TRY_CAST(m.sex AS sex_key) AS sex,
    TRY_CAST(m.family_situation AS family_situation_key) AS family_situation,
    age.age_band,
    size.family_size_band,
    CASE WHEN m.end_reason IS NULL THEN CAST('ongoing' AS end_reason_key)
         ELSE TRY_CAST(m.end_reason AS end_reason_key) END AS end_reason,
    end_group.end_group,
    CASE WHEN m.follow_up IS NULL THEN CAST('not_recorded' AS follow_up_key)
         ELSE TRY_CAST(m.follow_up AS follow_up_key) END AS follow_up,
    CAST(CASE WHEN m.end_date IS NULL THEN 'ongoing' ELSE 'ended' END AS status_key) AS status,
    duration.duration_band,
    coalesce(waiting.waiting_band, CAST('unknown' AS waiting_band_key)) AS waiting_band,
    CAST(CASE WHEN o.first_start < m.start_date THEN 'yes' ELSE 'no' END AS care_before_key) AS care_before,
    CAST(CASE WHEN o.last_start > m.start_date THEN 'yes' ELSE 'no' END AS care_after_key) AS care_after
FROM as_of AS m
LEFT JOIN other_care AS o ON o.pseudonym = m.pseudonym
LEFT JOIN rollup_end_group AS end_group
       ON end_group.end_reason = CASE WHEN m.end_reason IS NULL THEN CAST('ongoing' AS end_reason_key)
                                      ELSE TRY_CAST(m.end_reason AS end_reason_key) END
LEFT JOIN band_age_band AS age
       ON age.value = least(greatest(m.age_at_start, 0), $age_open)
LEFT JOIN band_family_size_band AS size
       ON size.value = least(greatest(m.family_size, 0), $family_size_open)
LEFT JOIN band_duration_band AS duration
       ON duration.value = least(greatest(
              floor(date_diff('day', m.start_date, coalesce(m.end_date, $as_of)) / 30.4375), 0),
              $duration_open)
LEFT JOIN band_waiting_band AS waiting
       -- (greatest() skips NULLs, so a missing referral date is excluded explicitly)
       ON m.referral_date IS NOT NULL
      AND waiting.value = least(greatest(date_diff('day', m.referral_date, m.start_date), 0),
                                $waiting_open)
WHERE m.start_date >= make_date($first_year, 1, 1)
  AND m.start_date < make_date($last_year + 1, 1, 1)
