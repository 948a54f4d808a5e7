-- Pauses a schedule for every instance.
UPDATE "{prefix}schedules" SET "paused" = 1 WHERE "name" = ?1
