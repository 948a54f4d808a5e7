-- Unfinished commands held under a live lease: a worker is running them now.
SELECT COUNT(*) AS n FROM `{prefix}commands`
WHERE is_running AND run_expires_at > UTC_TIMESTAMP(6)
  AND is_completed = FALSE AND is_failed = FALSE AND is_canceled = FALSE
