-- The recorded attempts of a command, in order.
SELECT attempt, worker_id, started_at, ended_at, outcome, error
FROM `{prefix}attempts` WHERE command_id = ? ORDER BY attempt
