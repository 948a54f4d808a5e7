-- Inserts a batch given as one JSON array. Timestamps are UTC text in one fixed format, so
-- comparing them as text compares instants.
INSERT INTO "{prefix}commands" (
    id, target, name, input, output, scheduled_at, timeout, is_running, is_completed,
    is_canceled, retries_left, is_failed, attempt, parent_id)
SELECT j.value ->> 'id', j.value ->> 'target', j.value ->> 'name', j.value ->> 'input', NULL,
       strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                format('%+.6f seconds', (j.value ->> 'delay_us') / 1e6)),
       j.value ->> 'timeout', 0, 0, 0, j.value ->> 'retries', 0, 0, j.value ->> 'parent_id'
FROM json_each(?1) AS j
