-- Asks every unfinished step of workflow $1 to cancel; a waiting one is released so that a
-- worker claims it to cancel it. Says which a live lease holds, and wakes the instances of
-- their targets (`cancel:<target>` for the running ones, as `request_cancel.sql` does).
WITH requested AS (
    UPDATE "{prefix}commands" AS c SET
        cancel_requested_at = COALESCE(c.cancel_requested_at, now()),
        scheduled_at = CASE WHEN c.scheduled_at = timestamptz '9999-12-31 00:00:00+00'
                            THEN now() ELSE c.scheduled_at END
    FROM "{prefix}workflow_steps" AS s
    WHERE s.workflow_id = $1 AND c.id = s.command_id
      AND NOT c.is_completed AND NOT c.is_failed AND NOT c.is_canceled
    RETURNING c.id, c.target,
              (c.is_running AND c.run_expires_at IS NOT NULL AND c.run_expires_at >= now())
                  AS running
)
SELECT id, running,
       pg_notify($2, CASE WHEN running THEN 'cancel:' ELSE '' END || target)::text AS notified
FROM requested
