-- Releases the waiting steps $1: due after $2 microseconds, with a cancel request where $3
-- (a parent's failure dooms it, or it is a failure step nothing needs). A step no longer
-- waiting was released before and is left alone. Wakes the instances of each target, as a
-- push does.
WITH released AS (
    UPDATE "{prefix}commands" AS c SET
        scheduled_at = now() + r.delay_us * interval '1 microsecond',
        cancel_requested_at = CASE WHEN r.cancel THEN COALESCE(c.cancel_requested_at, now())
                                   ELSE c.cancel_requested_at END
    FROM unnest($1::uuid[], $2::bigint[], $3::boolean[]) AS r(id, delay_us, cancel)
    WHERE c.id = r.id AND c.scheduled_at = timestamptz '9999-12-31 00:00:00+00'
      AND NOT c.is_completed AND NOT c.is_failed AND NOT c.is_canceled
    RETURNING c.target
)
SELECT t.target, pg_notify($4, t.target)::text AS woke
FROM (SELECT DISTINCT target FROM released) AS t
