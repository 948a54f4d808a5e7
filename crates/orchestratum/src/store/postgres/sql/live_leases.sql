-- Unfinished commands held under a live lease: a worker is running them now.
SELECT count(*) AS n FROM "{prefix}commands"
WHERE is_running AND run_expires_at > now()
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
  AND scheduled_at < timestamptz '9999-01-01 00:00:00+00'
