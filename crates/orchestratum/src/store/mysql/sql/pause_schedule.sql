-- Pauses a schedule for every instance.
UPDATE `{prefix}schedules` SET paused = TRUE WHERE name = ?
