-- Makes a failed or canceled command pending again, due now, with $2 retries (NULL: the
-- retries it had left, at least 0), and wakes its target's instances. Fenced: a row that is
-- not failed or canceled is left alone and nothing is returned. `attempt`, `last_error` and
-- `last_outcome` are kept as history.
WITH retried AS (
    UPDATE "{prefix}commands" SET
        is_failed = false,
        failed_at = NULL,
        is_canceled = false,
        canceled_at = NULL,
        is_running = false,
        run_expires_at = NULL,
        lease_token = NULL,
        cancel_requested_at = NULL,
        retries_left = COALESCE($2, GREATEST(retries_left, 0)),
        scheduled_at = now()
    WHERE id = $1 AND (is_failed OR is_canceled) AND NOT is_completed
    RETURNING *
)
SELECT id, target, name, input, output, scheduled_at, timeout, is_running, running_at,
       run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left,
       is_failed, failed_at, attempt, last_error, last_outcome, parent_id, cancel_requested_at,
       worker_id, priority, unique_key, unique_states, workflow_id,
       now() AS read_at, pg_notify($3, target)::text AS notified
FROM retried
