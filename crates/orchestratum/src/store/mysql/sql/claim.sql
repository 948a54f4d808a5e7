-- Takes a lease on the rows `claim_lock` locked, given as a JSON array of {id, token, lapsed}:
-- reclaiming a lapsed row costs the lapsed run one retry (`claim_lapsed` recorded that run
-- first). The lease lasts ?2 microseconds; ?3 is the claiming worker.
-- No assignment reads a column another assignment writes: a multi-table UPDATE gives no order.
UPDATE JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    token varchar(36) PATH '$.token',
    lapsed int PATH '$.lapsed')) AS j
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(j.id USING ascii)
SET c.running_at = UTC_TIMESTAMP(6),
    c.run_expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND,
    c.lease_token = j.token,
    c.worker_id = ?,
    c.attempt = c.attempt + 1,
    c.retries_left = c.retries_left - j.lapsed,
    c.last_error = CASE WHEN j.lapsed = 1
                        THEN 'lease expired: the worker running it stopped renewing'
                        ELSE c.last_error END,
    c.last_outcome = CASE WHEN j.lapsed = 1 THEN 'lease_expired' ELSE c.last_outcome END,
    c.is_running = TRUE
