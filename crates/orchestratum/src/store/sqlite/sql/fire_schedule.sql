-- The compare-and-swap that makes one due time fire once (see the PostgreSQL statement); SQLite
-- runs one writer at a time, so a second instance finds next_run_at moved.
UPDATE "{prefix}schedules"
SET "next_run_at" = ?2, "last_run_at" = COALESCE(?3, "last_run_at")
WHERE "name" = ?1 AND "next_run_at" = ?4 AND NOT "paused"
