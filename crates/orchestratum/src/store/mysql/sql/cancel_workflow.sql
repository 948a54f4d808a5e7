-- Asks every unfinished step of workflow ? to cancel; a waiting one is released so that a
-- worker claims it to cancel it.
UPDATE `{prefix}commands` AS c
JOIN `{prefix}workflow_steps` AS s ON s.command_id = c.id
SET c.cancel_requested_at = COALESCE(c.cancel_requested_at, UTC_TIMESTAMP(6)),
    c.scheduled_at = CASE WHEN c.scheduled_at = '9999-12-31 00:00:00'
                          THEN UTC_TIMESTAMP(6) ELSE c.scheduled_at END
WHERE s.workflow_id = ?
  AND c.is_completed = FALSE AND c.is_failed = FALSE AND c.is_canceled = FALSE
