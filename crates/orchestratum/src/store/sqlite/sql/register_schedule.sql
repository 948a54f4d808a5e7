-- Upserts a schedule from the code (see the PostgreSQL statement). Every SET expression reads
-- the row as it was before the update.
INSERT INTO "{prefix}schedules" (
    "name", "kind", "expression", "time_zone", "misfire", "command_name", "command_input",
    "target", "timeout_us", "retries", "next_run_at", "last_run_at", "paused", "registered_at",
    "priority", "unique_key", "unique_states")
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, 0, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'),
        ?12, ?13, ?14)
ON CONFLICT ("name") DO UPDATE SET
    "next_run_at" = CASE
        WHEN "kind" IS NOT excluded."kind" OR "expression" IS NOT excluded."expression"
             OR "time_zone" IS NOT excluded."time_zone"
             OR "command_name" IS NOT excluded."command_name"
             OR "command_input" IS NOT excluded."command_input"
             OR "target" IS NOT excluded."target" OR "timeout_us" IS NOT excluded."timeout_us"
             OR "retries" IS NOT excluded."retries" OR "priority" IS NOT excluded."priority"
             OR "unique_key" IS NOT excluded."unique_key"
             OR "unique_states" IS NOT excluded."unique_states"
        THEN excluded."next_run_at"
        ELSE "next_run_at"
    END,
    "kind" = excluded."kind",
    "expression" = excluded."expression",
    "time_zone" = excluded."time_zone",
    "misfire" = excluded."misfire",
    "command_name" = excluded."command_name",
    "command_input" = excluded."command_input",
    "target" = excluded."target",
    "timeout_us" = excluded."timeout_us",
    "retries" = excluded."retries",
    "priority" = excluded."priority",
    "unique_key" = excluded."unique_key",
    "unique_states" = excluded."unique_states",
    "registered_at" = excluded."registered_at"
