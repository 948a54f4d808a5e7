-- The unfinished commands only, counted by name, target and state as `summary.sql` counts
-- them (same columns), without reading a finished row: the due and scheduled rows through the
-- partial claim index (this predicate is the index's), the waiting workflow steps through the
-- steps table and the primary key (the claim index leaves them out; CROSS JOIN keeps the
-- steps the outer loop, where SQLite's planner would otherwise scan the commands).
SELECT name, target, state, count(*) AS n,
       (julianday('now') - julianday(min(scheduled_at))) * 86400.0 AS oldest_secs,
       sum(CASE WHEN lapsed THEN 1 ELSE 0 END) AS lapsed
FROM (
    SELECT name, target, scheduled_at,
           CASE WHEN is_running AND run_expires_at > strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
                    THEN 'running'
                WHEN scheduled_at >= '9999-01-01' THEN 'waiting'
                WHEN scheduled_at > strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') THEN 'scheduled'
                ELSE 'pending' END AS state,
           (is_running AND (run_expires_at IS NULL
                 OR run_expires_at <= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))) AS lapsed
    FROM (
        SELECT name, target, scheduled_at, is_running, run_expires_at
        FROM "{prefix}commands"
        WHERE NOT "is_completed" AND NOT "is_failed" AND NOT "is_canceled"
          AND "scheduled_at" < '9999-01-01'
        UNION ALL
        SELECT c.name, c.target, c.scheduled_at, c.is_running, c.run_expires_at
        FROM "{prefix}workflow_steps" AS s
        CROSS JOIN "{prefix}commands" AS c ON c.id = s.command_id
        WHERE NOT c.is_completed AND NOT c.is_failed AND NOT c.is_canceled
          AND c.scheduled_at >= '9999-01-01'
    ) AS u
) AS c
GROUP BY name, target, state
