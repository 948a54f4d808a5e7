-- Upserts a schedule from the code (see the PostgreSQL statement). MySQL applies the
-- assignments left to right, each seeing the ones before: next_run_at goes first, while the
-- other columns still hold the stored definition. VALUES() is what MariaDB understands.
INSERT INTO `{prefix}schedules` (
    name, kind, expression, time_zone, misfire, command_name, command_input, target,
    timeout_us, retries, next_run_at, last_run_at, paused, registered_at, priority, unique_key,
    unique_states)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, FALSE, UTC_TIMESTAMP(6), ?, ?, ?)
ON DUPLICATE KEY UPDATE
    next_run_at = IF(
        kind <=> VALUES(kind) AND expression <=> VALUES(expression)
            AND time_zone <=> VALUES(time_zone) AND command_name <=> VALUES(command_name)
            AND command_input <=> VALUES(command_input) AND target <=> VALUES(target)
            AND timeout_us <=> VALUES(timeout_us) AND retries <=> VALUES(retries)
            AND priority <=> VALUES(priority) AND unique_key <=> VALUES(unique_key)
            AND unique_states <=> VALUES(unique_states),
        next_run_at,
        VALUES(next_run_at)),
    kind = VALUES(kind),
    expression = VALUES(expression),
    time_zone = VALUES(time_zone),
    misfire = VALUES(misfire),
    command_name = VALUES(command_name),
    command_input = VALUES(command_input),
    target = VALUES(target),
    timeout_us = VALUES(timeout_us),
    retries = VALUES(retries),
    priority = VALUES(priority),
    unique_key = VALUES(unique_key),
    unique_states = VALUES(unique_states),
    registered_at = UTC_TIMESTAMP(6)
