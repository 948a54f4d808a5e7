-- Claims up to ?3 due commands of target ?1 whose name is in the JSON array ?2, for worker ?5.
-- A row still marked running has a lapsed lease: reclaiming it costs the lapsed run one retry
-- (and a trigger records that run as an attempt, see migration 5). A running
-- row without an expiry (another program's write) has no lease at all, so it counts as lapsed.
-- Paused names (`{prefix}controls`) are skipped, and so are workflow steps waiting for their
-- parents (due in the year 9999), which the claim index leaves out.
UPDATE "{prefix}commands" SET
    is_running = 1,
    running_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'),
    run_expires_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', format('%+.6f seconds', ?4 / 1e6)),
    lease_token = lower(hex(randomblob(16))),
    worker_id = ?5,
    attempt = attempt + 1,
    retries_left = CASE WHEN is_running THEN retries_left - 1 ELSE retries_left END,
    last_error = CASE WHEN is_running THEN 'lease expired: the worker running it stopped renewing'
                      ELSE last_error END,
    last_outcome = CASE WHEN is_running THEN 'lease_expired' ELSE last_outcome END
WHERE id IN (
    SELECT id FROM "{prefix}commands"
    WHERE target = ?1 AND name IN (SELECT value FROM json_each(?2))
      AND NOT is_completed AND NOT is_failed AND NOT is_canceled
      AND scheduled_at < '9999-01-01'
      AND (NOT is_running OR run_expires_at IS NULL
           OR run_expires_at < strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
      AND (scheduled_at <= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
           OR cancel_requested_at IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM "{prefix}controls" AS k
                      WHERE k.name = "{prefix}commands".name AND k.paused)
    ORDER BY priority DESC, scheduled_at, id
    LIMIT ?3)
RETURNING id, name, input, timeout, retries_left, attempt, lease_token, workflow_id,
          cancel_requested_at IS NOT NULL AS cancel_requested,
          CAST((julianday('now') - julianday(scheduled_at)) * 86400e6 AS INTEGER) AS queue_wait_us,
          priority
