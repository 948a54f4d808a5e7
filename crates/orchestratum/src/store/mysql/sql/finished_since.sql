-- Outcomes from a minute on, by name and outcome, from the per-minute stats (a range of the
-- primary key).
SELECT name, outcome, CAST(SUM(n) AS SIGNED) AS n FROM `{prefix}stats`
WHERE minute >= ?
GROUP BY name, outcome
