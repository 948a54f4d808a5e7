-- Releases the waiting steps of a JSON array of {id, delay_us, cancel}: due after the delay,
-- with a cancel request where asked. A step no longer waiting was released before and is
-- left alone. No assignment reads a column another assignment writes.
UPDATE JSON_TABLE(?, '$[*]' COLUMNS (
    id varchar(36) PATH '$.id',
    delay_us bigint PATH '$.delay_us',
    cancel int PATH '$.cancel')) AS r
STRAIGHT_JOIN `{prefix}commands` AS c FORCE INDEX (PRIMARY)
  ON c.id = CONVERT(r.id USING ascii)
SET c.scheduled_at = UTC_TIMESTAMP(6) + INTERVAL r.delay_us MICROSECOND,
    c.cancel_requested_at = CASE WHEN r.cancel = 1
                                 THEN COALESCE(c.cancel_requested_at, UTC_TIMESTAMP(6))
                                 ELSE c.cancel_requested_at END
WHERE c.scheduled_at = '9999-12-31 00:00:00'
  AND c.is_completed = FALSE AND c.is_failed = FALSE AND c.is_canceled = FALSE
