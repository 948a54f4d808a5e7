-- Records the lapsed runs among the rows `claim_lock` (or `claim_scan`) locked (a JSON array of
-- their ids) as attempts that ended `lease_expired`, before `claim` overwrites what they were.
INSERT IGNORE INTO `{prefix}attempts`
    (command_id, attempt, worker_id, started_at, ended_at, outcome, error)
SELECT c.id, c.attempt, c.worker_id, c.running_at, COALESCE(c.run_expires_at, UTC_TIMESTAMP(6)),
       'lease_expired', 'lease expired: the worker running it stopped renewing'
FROM JSON_TABLE(?, '$[*]' COLUMNS (id varchar(36) PATH '$')) AS j
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(j.id USING ascii)
