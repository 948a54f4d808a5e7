-- Commands newest `scheduled_at` first. Each filter is skipped when its parameter is NULL, and
-- each parameter is bound twice (MySQL has no numbered parameters): the state (as
-- `CommandRecord::state()` derives it), the name, the target (both compared byte for byte, as
-- on the other backends, whatever the columns' collation), scheduled within the last N
-- microseconds, scheduled at or after an instant (UTC); then at most N rows.
SELECT id, target, name, input, output, scheduled_at, timeout, is_running, running_at,
       run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left,
       is_failed, failed_at, attempt, last_error, last_outcome, parent_id, cancel_requested_at,
       worker_id, priority, unique_key, unique_states, workflow_id,
       UTC_TIMESTAMP(6) AS read_at
FROM `{prefix}commands`
WHERE (? IS NULL OR ? = CASE WHEN is_completed THEN 'completed'
                             WHEN is_failed THEN 'failed'
                             WHEN is_canceled THEN 'canceled'
                             WHEN is_running AND run_expires_at > UTC_TIMESTAMP(6) THEN 'running'
                             WHEN scheduled_at >= '9999-01-01 00:00:00' THEN 'waiting'
                             WHEN scheduled_at > UTC_TIMESTAMP(6) THEN 'scheduled'
                             ELSE 'pending' END)
  AND (? IS NULL OR CAST(name AS BINARY) = CAST(? AS BINARY))
  AND (? IS NULL OR CAST(target AS BINARY) = CAST(? AS BINARY))
  AND (? IS NULL OR scheduled_at >= UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND)
  AND (? IS NULL OR scheduled_at >= ?)
ORDER BY scheduled_at DESC, id DESC
LIMIT ?
