-- Makes a command pushed by a schedule due at the schedule's due time.
UPDATE `{prefix}commands` SET scheduled_at = ? WHERE id = ?
