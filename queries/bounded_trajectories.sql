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
-- Other youth care is never counted; it only sets the care_before / care_after flags of the
-- person's own 1G1P trajectories (so it too only moves that person's own cells).
-- Parameters: $first_year, $last_year, $cap, $salt, $as_of (release date: ongoing trajectories are
--   censored here), and the open lower bound of each banded dimension ($age_open, ...).
-- Lookup tables band_<dimension>(value, <dimension>) come from data/reference/bands.csv.
-- Columns (all keys are codes of public lists; NULL when a value is outside the public domain,
-- such a row falls in no cell):
--   person            hash of the pseudonym (only to count distinct children)
--   year              start year
--   partnership, province, municipality, trajectory_type, sex, family_situation
--   age_band          age at start, banded
--   family_size_band  household members, banded
--   end_reason        the end reason, or 'ongoing'
--   follow_up         the follow-up, or 'not_recorded'
--   status            'ended' or 'ongoing' on $as_of
--   duration_band     whole months (days / 30.4375) from start to end, or to $as_of when ongoing
--   waiting_band      days from referral to start, or 'unknown' without a referral date
--   care_before       'yes' when another youth-care trajectory of the person started earlier
--   care_after        'yes' when another youth-care trajectory of the person started later
CREATE TEMP TABLE bounded_trajectories AS
-- NOT MATERIALIZED: scanning the warehouse twice is cheaper than copying every row once.
WITH measured AS NOT MATERIALIZED (
    SELECT t.rowid AS row_id, t.*
    FROM wh.trajectories AS t
    WHERE t.programme = '1g1p'
      AND t.start_date >= make_date($first_year, 1, 1)
      AND t.start_date < make_date($last_year + 1, 1, 1)
),
ranked AS (
    SELECT m.row_id,
           row_number() OVER (
               PARTITION BY m.pseudonym
               ORDER BY md5(m.pseudonym || '|' || m.record_id || '|' || $salt), m.record_id,
                        m.start_date, m.row_id
           ) AS keep_rank
    FROM measured AS m
    SEMI JOIN persons_over_cap AS p ON p.pseudonym = m.pseudonym
),
dropped AS (
    SELECT row_id FROM ranked WHERE keep_rank > $cap
),
other_care AS (
    SELECT pseudonym, min(start_date) AS first_start, max(start_date) AS last_start
    FROM wh.trajectories
    WHERE programme = 'other_youth_care'
    GROUP BY pseudonym
)
SELECT
    hash(m.pseudonym) AS person,
    CAST(year(m.start_date) AS SMALLINT) AS year,
    TRY_CAST(CAST(m.partnership_id AS VARCHAR) AS partnership_key) AS partnership,
    TRY_CAST(m.province_nis AS province_key) AS province,
    TRY_CAST(m.municipality_nis AS municipality_key) AS municipality,
    TRY_CAST(CAST(m.trajectory_type AS VARCHAR) AS trajectory_type_key) AS trajectory_type,
    TRY_CAST(CAST(m.sex AS VARCHAR) AS sex_key) AS sex,
    TRY_CAST(CAST(m.family_situation AS VARCHAR) AS family_situation_key) AS family_situation,
    age.age_band,
    size.family_size_band,
    TRY_CAST(coalesce(CAST(m.end_reason AS VARCHAR), 'ongoing') AS end_reason_key) AS end_reason,
    TRY_CAST(coalesce(CAST(m.follow_up AS VARCHAR), 'not_recorded') AS follow_up_key) AS follow_up,
    CAST(CASE WHEN m.end_date IS NULL THEN 'ongoing' ELSE 'ended' END AS status_key) AS status,
    duration.duration_band,
    coalesce(waiting.waiting_band, CAST('unknown' AS waiting_band_key)) AS waiting_band,
    CAST(CASE WHEN o.first_start < m.start_date THEN 'yes' ELSE 'no' END AS care_before_key) AS care_before,
    CAST(CASE WHEN o.last_start > m.start_date THEN 'yes' ELSE 'no' END AS care_after_key) AS care_after
FROM measured AS m
ANTI JOIN dropped AS d ON d.row_id = m.row_id
LEFT JOIN other_care AS o ON o.pseudonym = m.pseudonym
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
