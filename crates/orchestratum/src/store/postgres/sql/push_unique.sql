-- Inserts a batch in one statement and wakes the instances of each target; the notification
-- is delivered only if the surrounding transaction commits. A row whose unique key a live
-- command holds (or an earlier row of the batch) is not inserted: only the ids inserted are
-- returned, and the caller reads the holders back.
WITH inserted AS (
    INSERT INTO "{prefix}commands" (
        id, target, name, input, output, scheduled_at, timeout, is_running, is_completed,
        is_canceled, retries_left, is_failed, attempt, parent_id, priority, unique_key,
        unique_states)
    SELECT i.id, i.target, i.name, i.input, NULL,
           now() + i.delay_us * interval '1 microsecond',
           i.timeout_us * interval '1 microsecond',
           false, false, false, i.retries, false, 0, i.parent_id, i.priority, i.unique_key,
           i.unique_states
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                $7::integer[], $8::uuid[], $10::smallint[], $11::text[], $12::smallint[])
         AS i(id, target, name, input, delay_us, timeout_us, retries, parent_id, priority,
              unique_key, unique_states)
    ON CONFLICT DO NOTHING
    RETURNING id, target
),
-- pg_notify is volatile, so this is evaluated although only its count is read.
notified AS (
    SELECT count(*) AS n
    FROM (SELECT DISTINCT target FROM inserted) AS t, LATERAL (SELECT pg_notify($9, t.target)) AS p
)
SELECT inserted.id FROM inserted, notified WHERE notified.n >= 0
