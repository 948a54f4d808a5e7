-- Asks every unfinished step of workflow ?1 to cancel; a waiting one is released so that a
-- worker claims it to cancel it. Says which a live lease holds.
UPDATE "{prefix}commands" SET
    cancel_requested_at = COALESCE(cancel_requested_at, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    scheduled_at = CASE WHEN scheduled_at = '9999-12-31 00:00:00.000+00:00'
                        THEN strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') ELSE scheduled_at END
WHERE id IN (SELECT command_id FROM "{prefix}workflow_steps" WHERE workflow_id = ?1)
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
RETURNING id, (is_running AND run_expires_at IS NOT NULL AND run_expires_at >= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')) AS running
