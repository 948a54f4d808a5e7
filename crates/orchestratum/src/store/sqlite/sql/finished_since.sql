-- Outcomes from minute ?1 on, by name and outcome, from the per-minute stats (a range of the
-- primary key).
SELECT name, outcome, sum(n) AS n FROM "{prefix}stats"
WHERE minute >= ?1
GROUP BY name, outcome
