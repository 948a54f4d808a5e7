-- Adds one flush of per-minute counts given as one JSON array of {minute, name, outcome, n,
-- run_us}, one element per key. (`WHERE true` tells the parser the upsert clause is not a join.)
INSERT INTO "{prefix}stats" AS s (minute, name, outcome, n, run_us)
SELECT j.value ->> 'minute', j.value ->> 'name', j.value ->> 'outcome', j.value ->> 'n',
       j.value ->> 'run_us'
FROM json_each(?1) AS j WHERE true
ON CONFLICT (minute, name, outcome)
DO UPDATE SET n = s.n + excluded.n, run_us = s.run_us + excluded.run_us
