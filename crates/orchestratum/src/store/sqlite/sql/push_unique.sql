-- Inserts a batch given as one JSON array. Timestamps are UTC text in one fixed format, so
-- comparing them as text compares instants. A row whose unique key a live command holds (or an
-- earlier row of the batch) is not inserted: only the ids inserted are returned, and the caller
-- reads the holders back. (`WHERE true` keeps the upsert clause from parsing as a join's ON.)
INSERT INTO "{prefix}commands" (
    id, target, name, input, output, scheduled_at, timeout, is_running, is_completed,
    is_canceled, retries_left, is_failed, attempt, parent_id, priority, unique_key, unique_states)
SELECT j.value ->> 'id', j.value ->> 'target', j.value ->> 'name', j.value ->> 'input', NULL,
       strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                format('%+.6f seconds', (j.value ->> 'delay_us') / 1e6)),
       j.value ->> 'timeout', 0, 0, 0, j.value ->> 'retries', 0, 0, j.value ->> 'parent_id',
       j.value ->> 'priority', j.value ->> 'unique_key', j.value ->> 'unique_states'
FROM jsonb_each(jsonb(?1)) AS j
WHERE true
ON CONFLICT DO NOTHING
RETURNING id
