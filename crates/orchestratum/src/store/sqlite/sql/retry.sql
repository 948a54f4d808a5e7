-- Makes a failed or canceled command pending again, due now, with ?2 retries (NULL: the
-- retries it had left, at least 0). Fenced: a row that is not failed or canceled is left
-- alone and nothing is returned. `attempt`, `last_error` and `last_outcome` are kept as history.
-- ?1 is upper case, as EF Core writes it; a row written in lower case matches too.
UPDATE "{prefix}commands" SET
    is_failed = 0,
    failed_at = NULL,
    is_canceled = 0,
    canceled_at = NULL,
    is_running = 0,
    run_expires_at = NULL,
    lease_token = NULL,
    cancel_requested_at = NULL,
    retries_left = COALESCE(?2, max(retries_left, 0)),
    scheduled_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
WHERE id IN (?1, lower(?1)) AND (is_failed OR is_canceled) AND NOT is_completed
RETURNING id, target, name, input, output, scheduled_at, timeout, is_running, running_at,
          run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left,
          is_failed, failed_at, attempt, last_error, last_outcome, parent_id,
          cancel_requested_at, worker_id, priority, unique_key, unique_states, workflow_id, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') AS read_at
