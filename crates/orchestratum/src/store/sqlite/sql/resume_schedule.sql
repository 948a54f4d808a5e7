-- Resumes a paused schedule from its next occurrence after now (?2).
UPDATE "{prefix}schedules" SET "paused" = 0, "next_run_at" = ?2 WHERE "name" = ?1 AND "paused"
