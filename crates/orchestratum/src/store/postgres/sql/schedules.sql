-- Every schedule, with the database's clock (the scheduler's and the listing's "now").
SELECT name, kind, expression, time_zone, misfire, command_name, command_input, target,
       timeout_us, retries, priority, unique_key, unique_states, next_run_at, last_run_at, paused, registered_at, now() AS db_now
FROM "{prefix}schedules"
ORDER BY name
