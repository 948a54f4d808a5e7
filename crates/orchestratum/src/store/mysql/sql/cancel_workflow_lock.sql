-- The unfinished steps of workflow ?, locked for `cancel_workflow`, with whether a live lease
-- holds each.
SELECT c.id,
       (c.is_running AND c.run_expires_at IS NOT NULL AND c.run_expires_at >= UTC_TIMESTAMP(6))
           AS running
FROM `{prefix}commands` AS c
JOIN `{prefix}workflow_steps` AS s ON s.command_id = c.id
WHERE s.workflow_id = ?
  AND c.is_completed = FALSE AND c.is_failed = FALSE AND c.is_canceled = FALSE
ORDER BY c.id
FOR UPDATE
