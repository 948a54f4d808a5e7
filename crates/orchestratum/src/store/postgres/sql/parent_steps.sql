-- The parents of step $1 with their commands' rows and keys, in push order.
SELECT c.id, c.target, c.name, c.input, c.output, c.scheduled_at, c.timeout, c.is_running,
       c.running_at, c.run_expires_at, c.is_completed, c.completed_at, c.is_canceled,
       c.canceled_at, c.retries_left, c.is_failed, c.failed_at, c.attempt, c.last_error,
       c.last_outcome, c.parent_id, c.cancel_requested_at, c.worker_id, c.priority,
       c.unique_key, c.unique_states, c.workflow_id, s.step_key,
       now() AS read_at
FROM "{prefix}workflow_edges" AS e
JOIN "{prefix}commands" AS c ON c.id = e.parent_id
LEFT JOIN "{prefix}workflow_steps" AS s ON s.command_id = e.parent_id
WHERE e.child_id = $1
ORDER BY c.id
