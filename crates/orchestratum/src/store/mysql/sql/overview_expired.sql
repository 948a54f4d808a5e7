-- Up to ? unfinished commands of one target (as `overview_unfinished.sql` reads it) still
-- marked running whose lease lapsed, longest lapsed first.
SELECT id, target, name, input, output, scheduled_at, timeout, is_running, running_at,
       run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left,
       is_failed, failed_at, attempt, last_error, last_outcome, parent_id, cancel_requested_at,
       worker_id, priority, unique_key, unique_states, workflow_id,
       UTC_TIMESTAMP(6) AS read_at
FROM `{prefix}commands`
WHERE target = ? AND is_completed = FALSE AND is_failed = FALSE AND is_canceled = FALSE
  AND is_running AND (run_expires_at IS NULL OR run_expires_at <= UTC_TIMESTAMP(6))
ORDER BY run_expires_at, id
LIMIT ?
