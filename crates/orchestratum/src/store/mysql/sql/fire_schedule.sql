-- The compare-and-swap that makes one due time fire once (see the PostgreSQL statement): the
-- UPDATE reads the latest committed row under its lock, so a second instance finds it moved.
UPDATE `{prefix}schedules`
SET next_run_at = ?, last_run_at = COALESCE(?, last_run_at)
WHERE name = ? AND next_run_at = ? AND NOT paused
