-- Commands due for longer than ?1 microseconds (or whose lease lapsed that long ago) that no
-- live worker of their target has a handler for, by target and name.
SELECT c.target, c.name, count(*) AS waiting, min(c.scheduled_at) AS oldest_due
FROM "{prefix}commands" AS c
WHERE NOT c.is_completed AND NOT c.is_failed AND NOT c.is_canceled
  AND (NOT c.is_running OR c.run_expires_at IS NULL
       OR c.run_expires_at < strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
  AND c.scheduled_at < strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', format('%+.6f seconds', -?1 / 1e6))
  AND NOT EXISTS (
      SELECT 1 FROM "{prefix}workers" AS w
      WHERE w.instance_key = c.target
        AND w.heartbeat_at >= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                                       format('%+.3f seconds', -3 * w.lease_ms / 1000.0))
        AND EXISTS (SELECT 1 FROM json_each(w.names) WHERE value = c.name))
GROUP BY c.target, c.name
ORDER BY c.target, c.name
