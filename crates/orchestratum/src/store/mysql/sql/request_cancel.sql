-- Marks the command `request_cancel_lock` found for cancellation (the first request's time stays).
UPDATE `{prefix}commands` SET cancel_requested_at = COALESCE(cancel_requested_at, UTC_TIMESTAMP(6))
WHERE id = ?
