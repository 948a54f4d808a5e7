-- The per-minute buckets from a minute on, of one name only unless it is NULL (given twice),
-- oldest first.
SELECT minute, name, outcome, n, run_us FROM `{prefix}stats`
WHERE minute >= ? AND (? IS NULL OR name = ?)
ORDER BY minute, name, outcome
