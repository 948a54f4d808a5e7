-- Records the runs among the outcomes `record_outcomes_lock` let through (a JSON array of {id,
-- outcome, error}, rows locked) that did not succeed as attempts, before the outcome overwrites
-- what they were.
INSERT IGNORE INTO `{prefix}attempts`
    (command_id, attempt, worker_id, started_at, ended_at, outcome, error)
SELECT c.id, c.attempt, c.worker_id, c.running_at, UTC_TIMESTAMP(6), j.outcome, j.error
FROM JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    outcome varchar(32) PATH '$.outcome',
    error longtext PATH '$.error')) AS j
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(j.id USING ascii)
