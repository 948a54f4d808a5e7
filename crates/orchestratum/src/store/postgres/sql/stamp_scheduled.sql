-- Makes a command pushed by a schedule due at the schedule's due time, so its row tells which
-- due time it stands for.
UPDATE "{prefix}commands" SET scheduled_at = $2 WHERE id = $1
