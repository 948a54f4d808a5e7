-- Records the runs among the outcomes just written (a JSON array of {id, outcome, error}, rows
-- locked by that write) that did not succeed as attempts. The outcome leaves the columns read
-- here (attempt, worker, start) as the run left them.
INSERT IGNORE INTO `{prefix}attempts`
    (command_id, attempt, worker_id, started_at, ended_at, outcome, error)
SELECT c.id, c.attempt, c.worker_id, c.running_at, UTC_TIMESTAMP(6), j.outcome, j.error
FROM JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    outcome varchar(32) PATH '$.outcome',
    error longtext PATH '$.error')) AS j
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(j.id USING ascii)
