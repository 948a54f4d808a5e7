-- Writes the outcomes that passed `record_outcomes_lock` (a JSON array), fenced again. No
-- assignment reads a column another assignment writes: a multi-table UPDATE gives no order.
UPDATE JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    token varchar(36) PATH '$.token',
    kind varchar(16) PATH '$.kind',
    output longtext PATH '$.output',
    retries_left int PATH '$.retries_left',
    delay_us bigint PATH '$.delay_us',
    error longtext PATH '$.error',
    error_kind varchar(32) PATH '$.error_kind')) AS o
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(o.id USING ascii)
SET c.is_running = FALSE,
    c.run_expires_at = NULL,
    c.lease_token = NULL,
    c.is_completed = (o.kind = 'complete'),
    c.completed_at = CASE WHEN o.kind = 'complete' THEN UTC_TIMESTAMP(6) ELSE c.completed_at END,
    c.output = CASE WHEN o.kind = 'complete' THEN o.output ELSE c.output END,
    c.is_failed = (o.kind = 'fail'),
    c.failed_at = CASE WHEN o.kind = 'fail' THEN UTC_TIMESTAMP(6) ELSE c.failed_at END,
    c.is_canceled = (o.kind = 'cancel'),
    c.canceled_at = CASE WHEN o.kind = 'cancel' THEN UTC_TIMESTAMP(6) ELSE c.canceled_at END,
    c.retries_left = COALESCE(o.retries_left, c.retries_left),
    c.scheduled_at = CASE WHEN o.kind = 'retry'
                          THEN UTC_TIMESTAMP(6) + INTERVAL o.delay_us MICROSECOND
                          ELSE c.scheduled_at END,
    c.last_error = COALESCE(o.error, c.last_error),
    c.last_outcome = COALESCE(o.error_kind, c.last_outcome)
WHERE c.is_completed = FALSE AND c.is_failed = FALSE AND c.is_canceled = FALSE
  AND CASE WHEN o.token IS NOT NULL THEN c.is_running AND c.lease_token = CONVERT(o.token USING ascii)
           ELSE NOT c.is_running OR c.run_expires_at IS NULL
                OR c.run_expires_at < UTC_TIMESTAMP(6) END
