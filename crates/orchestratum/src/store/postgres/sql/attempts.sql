-- The recorded attempts of command $1, in order.
SELECT attempt, worker_id, started_at, ended_at, outcome, error
FROM "{prefix}attempts" WHERE command_id = $1 ORDER BY attempt
