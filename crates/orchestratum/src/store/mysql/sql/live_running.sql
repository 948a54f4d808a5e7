-- Runs of a name under a live lease, anywhere. Read after `control_lock` in the claim's READ
-- COMMITTED transaction: a plain read there sees every claim committed before the lock.
SELECT COUNT(*) FROM `{prefix}commands`
WHERE CAST(name AS BINARY) = CAST(? AS BINARY) AND is_running = TRUE
  AND run_expires_at > UTC_TIMESTAMP(6)
  AND is_completed = FALSE AND is_failed = FALSE AND is_canceled = FALSE
