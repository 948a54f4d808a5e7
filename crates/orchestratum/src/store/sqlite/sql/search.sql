-- One search page, newest id first (ids are UUIDv7: creation order, served by the primary
-- key). Each filter is skipped when its parameter is NULL: ?1 state (as
-- `CommandRecord::state()` derives it), ?2 name, ?3 target, ?4 and ?5 `scheduled_at` at or
-- after ?4 and before ?5 (UTC text in the stored format), ?6 and ?7 ids at or above ?6 and
-- below ?7 (creation time bounds), ?8 exactly this id (upper case, as EF Core writes it, or
-- lower case), ?9 a LIKE pattern escaped with `!` that the input or the last error contains
-- (LIKE ignores ASCII case), ?10 ids below the cursor's; at most ?11 rows.
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
  AND (?4 IS NULL OR scheduled_at >= ?4)
  AND (?5 IS NULL OR scheduled_at < ?5)
  AND (?6 IS NULL OR id >= ?6)
  AND (?7 IS NULL OR id < ?7)
  AND (?8 IS NULL OR id IN (?8, lower(?8)))
  AND (?9 IS NULL OR input LIKE ?9 ESCAPE '!' OR last_error LIKE ?9 ESCAPE '!')
  AND (?10 IS NULL OR id < ?10)
ORDER BY id DESC
LIMIT ?11
