-- The unfinished commands only, counted by name, target and state as `summary.sql` counts
-- them (same columns), without reading a finished row: the due and scheduled rows through the
-- partial claim index (this predicate is the index's), the waiting workflow steps through the
-- steps table and the primary key (the claim index leaves them out).
SELECT name, target, state, count(*) AS n,
       EXTRACT(EPOCH FROM (now() - min(scheduled_at)))::float8 AS oldest_secs,
       sum(CASE WHEN lapsed THEN 1 ELSE 0 END)::bigint AS lapsed
FROM (
    SELECT name, target, scheduled_at,
           CASE WHEN is_running AND run_expires_at > now() THEN 'running'
                WHEN scheduled_at >= '9999-01-01 00:00:00+00' THEN 'waiting'
                WHEN scheduled_at > now() THEN 'scheduled'
                ELSE 'pending' END AS state,
           (is_running AND (run_expires_at IS NULL OR run_expires_at <= now())) AS lapsed
    FROM (
        SELECT name, target, scheduled_at, is_running, run_expires_at
        FROM "{prefix}commands"
        WHERE NOT is_completed AND NOT is_failed AND NOT is_canceled
          AND scheduled_at < timestamptz '9999-01-01 00:00:00+00'
        UNION ALL
        SELECT c.name, c.target, c.scheduled_at, c.is_running, c.run_expires_at
        FROM "{prefix}workflow_steps" AS s
        JOIN "{prefix}commands" AS c ON c.id = s.command_id
        WHERE NOT c.is_completed AND NOT c.is_failed AND NOT c.is_canceled
          AND c.scheduled_at >= timestamptz '9999-01-01 00:00:00+00'
    ) AS u
) AS c
GROUP BY name, target, state
