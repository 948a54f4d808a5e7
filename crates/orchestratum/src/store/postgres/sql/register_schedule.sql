-- Upserts a schedule from the code. `paused` and the run times are kept, unless the definition
-- changed: then the next run is recomputed ($11, the first occurrence after now).
INSERT INTO "{prefix}schedules" AS s (
    name, kind, expression, time_zone, misfire, command_name, command_input, target,
    timeout_us, retries, next_run_at, last_run_at, paused, registered_at, priority, unique_key,
    unique_states)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, false, now(), $12, $13, $14)
ON CONFLICT (name) DO UPDATE SET
    next_run_at = CASE
        WHEN (s.kind, s.expression, s.time_zone, s.command_name, s.command_input, s.target,
              s.timeout_us, s.retries, s.priority, s.unique_key, s.unique_states)
             IS DISTINCT FROM
             (EXCLUDED.kind, EXCLUDED.expression, EXCLUDED.time_zone, EXCLUDED.command_name,
              EXCLUDED.command_input, EXCLUDED.target, EXCLUDED.timeout_us, EXCLUDED.retries,
              EXCLUDED.priority, EXCLUDED.unique_key, EXCLUDED.unique_states)
        THEN EXCLUDED.next_run_at
        ELSE s.next_run_at
    END,
    kind = EXCLUDED.kind,
    expression = EXCLUDED.expression,
    time_zone = EXCLUDED.time_zone,
    misfire = EXCLUDED.misfire,
    command_name = EXCLUDED.command_name,
    command_input = EXCLUDED.command_input,
    target = EXCLUDED.target,
    timeout_us = EXCLUDED.timeout_us,
    retries = EXCLUDED.retries,
    priority = EXCLUDED.priority,
    unique_key = EXCLUDED.unique_key,
    unique_states = EXCLUDED.unique_states,
    registered_at = now()
