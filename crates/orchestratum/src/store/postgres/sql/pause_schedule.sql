-- Pauses a schedule for every instance.
UPDATE "{prefix}schedules" SET paused = true WHERE name = $1
