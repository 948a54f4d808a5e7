-- Adds one flush of per-minute counts: parallel arrays of minute, name, outcome, count and run
-- time (µs), one element per key, sorted by key so concurrent flushes lock rows in one order.
INSERT INTO "{prefix}stats" AS s (minute, name, outcome, n, run_us)
SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
ON CONFLICT (minute, name, outcome)
DO UPDATE SET n = s.n + excluded.n, run_us = s.run_us + excluded.run_us
