-- Up to ?1 unfinished commands still marked running whose lease lapsed, longest lapsed first.
SELECT id, target, name, input, output, scheduled_at, timeout, is_running, running_at,
       run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left,
       is_failed, failed_at, attempt, last_error, last_outcome, parent_id, cancel_requested_at,
       worker_id, priority, unique_key, unique_states, workflow_id,
       strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') AS read_at
FROM "{prefix}commands"
WHERE is_running AND NOT is_completed AND NOT is_failed AND NOT is_canceled
  AND scheduled_at < '9999-01-01'
  AND (run_expires_at IS NULL
       OR run_expires_at <= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
ORDER BY run_expires_at NULLS FIRST, id
LIMIT ?1
