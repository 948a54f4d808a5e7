-- The follow-ups of command $1 (rows whose parent_id is $1), oldest id first.
SELECT id, target, name, input, output, scheduled_at, timeout, is_running, running_at,
       run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left,
       is_failed, failed_at, attempt, last_error, last_outcome, parent_id, cancel_requested_at,
       worker_id, priority, unique_key, unique_states, workflow_id,
       now() AS read_at
FROM "{prefix}commands" WHERE parent_id = $1
ORDER BY id
