-- dropped_by_bounding: how many trajectories contribution bounding left out, per start year.
--
-- Dimensions: year. Privacy unit: the person.
-- Each person's dropped trajectories are counted up to c over the person's whole life: the ones
-- ranked c+1 to 2c in the keep order (persons_over_cap.sql), each in its start year. So one person
-- changes the whole table by at most c (L1 sensitivity c), and the per-year slices of every release
-- together by at most c too: the dropped figures form one family of the per-child lifetime bound
-- (binc/release/ledger.py).
-- Parameters: $cap (= c). Input: persons_over_cap, key_year (the public years).
-- Columns: year, true_count = the dropped trajectories that started in the year.
SELECT k.year, count(d.row_id) AS true_count
FROM key_year AS k
LEFT JOIN persons_over_cap AS d
       ON year(d.start_date) = k.year AND d.keep_rank > $cap AND d.keep_rank <= 2 * $cap
GROUP BY k.year
ORDER BY k.year
