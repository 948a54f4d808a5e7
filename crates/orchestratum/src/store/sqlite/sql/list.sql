-- Commands newest `scheduled_at` first. Each filter is skipped when its parameter is NULL:
-- ?1 state (as `CommandRecord::state()` derives it), ?2 name, ?3 target, ?4 scheduled within
-- the last ?4 microseconds, ?5 scheduled at or after ?5 (UTC text in the stored format);
-- at most ?6 rows.
SELECT id, target, name, input, output, scheduled_at, timeout, is_running, running_at,
       run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left,
       is_failed, failed_at, attempt, last_error, last_outcome, parent_id, cancel_requested_at,
       worker_id, priority, unique_key, unique_states, workflow_id,
       strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') AS read_at
FROM "{prefix}commands"
WHERE (?1 IS NULL OR ?1 = CASE WHEN is_completed THEN 'completed'
                               WHEN is_failed THEN 'failed'
                               WHEN is_canceled THEN 'canceled'
                               WHEN is_running AND run_expires_at
                                    > strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') THEN 'running'
                               WHEN scheduled_at >= '9999-01-01' THEN 'waiting'
                               WHEN scheduled_at
                                    > strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') THEN 'scheduled'
                               ELSE 'pending' END)
  AND (?2 IS NULL OR name = ?2)
  AND (?3 IS NULL OR target = ?3)
  AND (?4 IS NULL OR scheduled_at >= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now',
                                              format('%+.6f seconds', -?4 / 1e6)))
  AND (?5 IS NULL OR scheduled_at >= ?5)
ORDER BY scheduled_at DESC, id DESC
LIMIT ?6
