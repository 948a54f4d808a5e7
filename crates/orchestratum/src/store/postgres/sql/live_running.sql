-- Runs of name $1 under a live lease, anywhere. A separate statement after `control_lock`, so
-- its snapshot is taken after the lock and sees the claims committed before it.
SELECT count(*) FROM "{prefix}commands"
WHERE name = $1 AND is_running AND run_expires_at > now()
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
  AND scheduled_at < timestamptz '9999-01-01 00:00:00+00'
