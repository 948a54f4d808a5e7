-- The recorded attempts of command ?1 (either spelling of its id), in order.
SELECT attempt, worker_id, started_at, ended_at, outcome, error
FROM "{prefix}attempts" WHERE command_id IN (?1, lower(?1)) ORDER BY attempt
