-- Resumes a paused schedule from its next occurrence after now.
UPDATE `{prefix}schedules` SET paused = FALSE, next_run_at = ? WHERE name = ? AND paused
