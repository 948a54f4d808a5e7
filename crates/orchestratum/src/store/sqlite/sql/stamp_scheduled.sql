-- Makes a command pushed by a schedule due at the schedule's due time.
UPDATE "{prefix}commands" SET "scheduled_at" = ?2 WHERE "id" = ?1
