-- One search page, newest id first (ids are UUIDv7: creation order, served by the primary
-- key). Each filter is skipped when its parameter is NULL, and each parameter is bound twice
-- (MySQL has no numbered parameters): the state (as `CommandRecord::state()` derives it),
-- the name, the target (both compared byte for byte, as on the other backends), the
-- `scheduled_at` lower (inclusive) and upper (exclusive) bounds, the id lower (inclusive) and
-- upper (exclusive) bounds (creation time), the exact id, a LIKE pattern escaped with `!`
-- that the input or the last error contains (the columns' collation ignores case), ids
-- below the cursor's; then at most N rows.
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
  AND (? IS NULL OR scheduled_at >= ?)
  AND (? IS NULL OR scheduled_at < ?)
  AND (? IS NULL OR id >= ?)
  AND (? IS NULL OR id < ?)
  AND (? IS NULL OR id = ?)
  AND (? IS NULL OR input LIKE ? ESCAPE '!' OR last_error LIKE ? ESCAPE '!')
  AND (? IS NULL OR id < ?)
ORDER BY id DESC
LIMIT ?
