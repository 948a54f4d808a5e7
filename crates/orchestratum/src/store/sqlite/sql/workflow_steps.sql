-- The steps of workflow ?1 with their commands' rows, in push order.
SELECT c.id, c.target, c.name, c.input, c.output, c.scheduled_at, c.timeout, c.is_running,
       c.running_at, c.run_expires_at, c.is_completed, c.completed_at, c.is_canceled,
       c.canceled_at, c.retries_left, c.is_failed, c.failed_at, c.attempt, c.last_error,
       c.last_outcome, c.parent_id, c.cancel_requested_at, c.worker_id, c.priority,
       c.unique_key, c.unique_states, c.workflow_id, s.step_key, s.role, s.workflow_name,
       strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') AS read_at
FROM "{prefix}workflow_steps" AS s
JOIN "{prefix}commands" AS c ON c.id = s.command_id
WHERE s.workflow_id = ?1
ORDER BY c.id
