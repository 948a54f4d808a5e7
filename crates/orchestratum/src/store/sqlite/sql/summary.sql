-- Counts by name, target and state (as `CommandRecord::state()` derives it, by the database's
-- clock); per group, the seconds since the earliest `scheduled_at` and the rows whose lease
-- lapsed (marked running, counted as pending). Timestamps are UTC text in one fixed format,
-- so comparing them as text compares instants.
SELECT name, target, state, count(*) AS n,
       (julianday('now') - julianday(min(scheduled_at))) * 86400.0 AS oldest_secs,
       sum(CASE WHEN lapsed THEN 1 ELSE 0 END) AS lapsed
FROM (
    SELECT name, target, scheduled_at,
           CASE WHEN is_completed THEN 'completed'
                WHEN is_failed THEN 'failed'
                WHEN is_canceled THEN 'canceled'
                WHEN is_running AND run_expires_at > strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
                    THEN 'running'
                WHEN scheduled_at >= '9999-01-01' THEN 'waiting'
                WHEN scheduled_at > strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') THEN 'scheduled'
                ELSE 'pending' END AS state,
           (is_running AND NOT is_completed AND NOT is_failed AND NOT is_canceled
            AND (run_expires_at IS NULL
                 OR run_expires_at <= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))) AS lapsed
    FROM "{prefix}commands"
) AS c
GROUP BY name, target, state
