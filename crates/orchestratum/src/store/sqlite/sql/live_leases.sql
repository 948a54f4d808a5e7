-- Unfinished commands held under a live lease: a worker is running them now.
SELECT count(*) AS n FROM "{prefix}commands"
WHERE is_running AND run_expires_at > strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
  AND scheduled_at < '9999-01-01'
