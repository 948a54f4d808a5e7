-- The unfinished commands of one target (every target equal to it in the column's collation),
-- counted by name, target and state as `summary.sql` counts them (same columns): the target
-- and the three flags are the unfinished index's first columns, so only unfinished rows are
-- read. Grouped byte for byte, as `summary.sql` is.
SELECT MIN(name) AS name, MIN(target) AS target, state, COUNT(*) AS n,
       TIMESTAMPDIFF(MICROSECOND, MIN(scheduled_at), UTC_TIMESTAMP(6)) / 1e6 AS oldest_secs,
       CAST(SUM(lapsed) AS SIGNED) AS lapsed
FROM (
    SELECT name, target, scheduled_at,
           CASE WHEN is_running AND run_expires_at > UTC_TIMESTAMP(6) THEN 'running'
                WHEN scheduled_at >= '9999-01-01 00:00:00' THEN 'waiting'
                WHEN scheduled_at > UTC_TIMESTAMP(6) THEN 'scheduled'
                ELSE 'pending' END AS state,
           CASE WHEN is_running
                     AND (run_expires_at IS NULL OR run_expires_at <= UTC_TIMESTAMP(6))
                THEN 1 ELSE 0 END AS lapsed
    FROM `{prefix}commands`
    WHERE target = ? AND is_completed = FALSE AND is_failed = FALSE AND is_canceled = FALSE
) AS c
GROUP BY CAST(name AS BINARY), CAST(target AS BINARY), state
