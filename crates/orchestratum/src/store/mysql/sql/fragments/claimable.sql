-- The row is free to claim now: unfinished, not a workflow step waiting for its parents (due
-- in the year 9999), not running under a live lease (a row still marked running has a lapsed
-- lease; one without an expiry, another program's write, has no lease at all), due (or asked
-- to cancel, which a claim finishes), and not of a paused name (`{prefix}controls`). Shared by
-- `claim_candidates`, `claim_lock` and `claim_scan`.
is_completed = FALSE AND is_failed = FALSE AND is_canceled = FALSE
  AND scheduled_at < '9999-01-01 00:00:00'
  AND (is_running = FALSE OR run_expires_at IS NULL OR run_expires_at < UTC_TIMESTAMP(6))
  AND (scheduled_at <= UTC_TIMESTAMP(6) OR cancel_requested_at IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM `{prefix}controls` AS k
                  WHERE k.name = `{prefix}commands`.name COLLATE utf8mb4_bin AND k.paused)
