-- Inserts a batch of rows without unique keys given as one JSON array. Timestamps are UTC text
-- in one fixed format, so comparing them as text compares instants. A batch with a unique key
-- takes `push_unique.sql`, whose upsert clause, returned ids and two more fields read out of
-- each element a plain batch need not pay for.
INSERT INTO "{prefix}commands" (
    id, target, name, input, output, scheduled_at, timeout, is_running, is_completed,
    is_canceled, retries_left, is_failed, attempt, parent_id, priority, unique_key, unique_states)
SELECT j.value ->> 'id', j.value ->> 'target', j.value ->> 'name', j.value ->> 'input', NULL,
       strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                format('%+.6f seconds', (j.value ->> 'delay_us') / 1e6)),
       j.value ->> 'timeout', 0, 0, 0, j.value ->> 'retries', 0, 0, j.value ->> 'parent_id',
       j.value ->> 'priority', NULL, 0
FROM jsonb_each(jsonb(?1)) AS j
