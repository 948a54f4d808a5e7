-- Commands newest `scheduled_at` first. Each filter is skipped when its parameter is NULL:
-- $1 state (as `CommandRecord::state()` derives it), $2 name, $3 target, $4 scheduled within
-- the last $4 microseconds, $5 scheduled at or after $5; at most $6 rows.
SELECT id, target, name, input, output, scheduled_at, timeout, is_running, running_at,
       run_expires_at, is_completed, completed_at, is_canceled, canceled_at, retries_left,
       is_failed, failed_at, attempt, last_error, last_outcome, parent_id, cancel_requested_at,
       worker_id, priority, unique_key, unique_states, workflow_id,
       now() AS read_at
FROM "{prefix}commands"
WHERE ($1::text IS NULL OR $1 = CASE WHEN is_completed THEN 'completed'
                                     WHEN is_failed THEN 'failed'
                                     WHEN is_canceled THEN 'canceled'
                                     WHEN is_running AND run_expires_at > now() THEN 'running'
                                     WHEN scheduled_at >= '9999-01-01 00:00:00+00' THEN 'waiting'
                                     WHEN scheduled_at > now() THEN 'scheduled'
                                     ELSE 'pending' END)
  AND ($2::text IS NULL OR name = $2)
  AND ($3::text IS NULL OR target = $3)
  AND ($4::bigint IS NULL OR scheduled_at >= now() - $4 * interval '1 microsecond')
  AND ($5::timestamptz IS NULL OR scheduled_at >= $5)
ORDER BY scheduled_at DESC, id DESC
LIMIT $6
