-- One schedule, with the database's clock.
SELECT "name", "kind", "expression", "time_zone", "misfire", "command_name", "command_input",
       "target", "timeout_us", "retries", "priority", "unique_key", "unique_states", "next_run_at", "last_run_at", "paused",
       "registered_at", strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') AS db_now
FROM "{prefix}schedules"
WHERE "name" = ?1
