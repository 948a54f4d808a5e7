-- Commands due for longer than $1 microseconds (or whose lease lapsed that long ago) that no
-- live worker of their target has a handler for, by target and name.
SELECT c.target, c.name, count(*) AS waiting, min(c.scheduled_at) AS oldest_due
FROM "{prefix}commands" AS c
WHERE NOT c.is_completed AND NOT c.is_failed AND NOT c.is_canceled
  AND (NOT c.is_running OR c.run_expires_at IS NULL OR c.run_expires_at < now())
  AND c.scheduled_at < now() - $1 * interval '1 microsecond'
  AND NOT EXISTS (
      SELECT 1 FROM "{prefix}workers" AS w
      WHERE w.instance_key = c.target
        AND w.heartbeat_at >= now() - 3 * w.lease_ms * interval '1 millisecond'
        AND w.names::jsonb ? c.name)
GROUP BY c.target, c.name
ORDER BY c.target, c.name
