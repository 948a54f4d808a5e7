-- Marks the command `request_cancel_lock` found for cancellation (the first request's time stays).
-- A workflow step waiting for its parents is made due, so that a claim reaches it and cancels it.
-- (A single-table UPDATE assigns left to right; neither assignment reads the other's column.)
UPDATE `{prefix}commands` SET
    cancel_requested_at = COALESCE(cancel_requested_at, UTC_TIMESTAMP(6)),
    scheduled_at = CASE WHEN scheduled_at >= '9999-01-01 00:00:00' THEN UTC_TIMESTAMP(6)
                        ELSE scheduled_at END
WHERE id = ?
