-- The per-minute buckets from minute $1 on, of name $2 only unless it is NULL, oldest first.
SELECT minute, name, outcome, n, run_us FROM "{prefix}stats"
WHERE minute >= $1 AND ($2::text IS NULL OR name = $2)
ORDER BY minute, name, outcome
