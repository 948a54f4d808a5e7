-- Resumes a paused schedule from its next occurrence after now ($2), so a long pause does not
-- burst; a schedule already running is left alone.
UPDATE "{prefix}schedules" SET paused = false, next_run_at = $2 WHERE name = $1 AND paused
