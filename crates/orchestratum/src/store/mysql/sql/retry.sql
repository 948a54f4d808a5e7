-- Makes the command `retry_lock` locked (id: the second parameter) pending again, due now, with
-- the first parameter's retries (NULL: the retries it had left, at least 0). Fenced again, like
-- the other backends' single statement: a row that is not failed or canceled is left alone.
-- `attempt`, `last_error` and `last_outcome` are kept as history. (A single-table UPDATE
-- assigns left to right; no assignment reads a column an earlier one wrote.)
UPDATE `{prefix}commands` SET
    is_failed = FALSE,
    failed_at = NULL,
    is_canceled = FALSE,
    canceled_at = NULL,
    is_running = FALSE,
    run_expires_at = NULL,
    lease_token = NULL,
    cancel_requested_at = NULL,
    retries_left = COALESCE(?, GREATEST(retries_left, 0)),
    scheduled_at = UTC_TIMESTAMP(6)
WHERE id = ? AND (is_failed OR is_canceled) AND is_completed = FALSE
