-- Adds one flush of per-minute counts given as one JSON array of {minute, name, outcome, n,
-- run_us}, one element per key, sorted by key so concurrent flushes lock rows in one order.
-- The JSON columns are named apart from the table's, so the update clause is unambiguous.
INSERT INTO `{prefix}stats` (minute, name, outcome, n, run_us)
SELECT j.j_minute, j.j_name, j.j_outcome, j.j_n, j.j_run_us
FROM JSON_TABLE(?, '$[*]' COLUMNS (
    j_minute bigint PATH '$.minute',
    j_name varchar(255) PATH '$.name',
    j_outcome varchar(16) PATH '$.outcome',
    j_n bigint PATH '$.n',
    j_run_us bigint PATH '$.run_us')) AS j
ON DUPLICATE KEY UPDATE n = n + VALUES(n), run_us = run_us + VALUES(run_us)
