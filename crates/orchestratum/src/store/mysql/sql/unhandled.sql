-- Commands due for longer than the parameter's microseconds (or whose lease lapsed that long
-- ago) that no live worker of their target (compared exactly, as the claim does) has a handler
-- for, by target and name.
SELECT c.target, c.name, count(*) AS waiting, min(c.scheduled_at) AS oldest_due
FROM `{prefix}commands` AS c
WHERE c.is_completed = FALSE AND c.is_failed = FALSE AND c.is_canceled = FALSE
  AND (c.is_running = FALSE OR c.run_expires_at IS NULL OR c.run_expires_at < UTC_TIMESTAMP(6))
  AND c.scheduled_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND
  AND NOT EXISTS (
      SELECT 1 FROM `{prefix}workers` AS w
      WHERE CAST(w.instance_key AS BINARY) = CAST(c.target AS BINARY)
        AND w.heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL (3 * w.lease_ms * 1000) MICROSECOND
        AND JSON_CONTAINS(w.names, JSON_QUOTE(c.name)))
GROUP BY c.target, c.name
ORDER BY c.target, c.name
