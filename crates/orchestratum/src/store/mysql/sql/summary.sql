-- Counts by name, target and state (as `CommandRecord::state()` derives it, by the database's
-- clock); per group, the seconds since the earliest `scheduled_at` and the rows whose lease
-- lapsed (marked running, counted as pending). Names and targets are grouped byte for byte, as
-- on the other backends, whatever the columns' collation (every value of a group is the same,
-- so MIN gives it back).
SELECT MIN(name) AS name, MIN(target) AS target, state, COUNT(*) AS n,
       TIMESTAMPDIFF(MICROSECOND, MIN(scheduled_at), UTC_TIMESTAMP(6)) / 1e6 AS oldest_secs,
       CAST(SUM(lapsed) AS SIGNED) AS lapsed
FROM (
    SELECT name, target, scheduled_at,
           CASE WHEN is_completed THEN 'completed'
                WHEN is_failed THEN 'failed'
                WHEN is_canceled THEN 'canceled'
                WHEN is_running AND run_expires_at > UTC_TIMESTAMP(6) THEN 'running'
                WHEN scheduled_at >= '9999-01-01 00:00:00' THEN 'waiting'
                WHEN scheduled_at > UTC_TIMESTAMP(6) THEN 'scheduled'
                ELSE 'pending' END AS state,
           CASE WHEN is_running AND is_completed = FALSE AND is_failed = FALSE
                     AND is_canceled = FALSE
                     AND (run_expires_at IS NULL OR run_expires_at <= UTC_TIMESTAMP(6))
                THEN 1 ELSE 0 END AS lapsed
    FROM `{prefix}commands`
) AS c
GROUP BY CAST(name AS BINARY), CAST(target AS BINARY), state
