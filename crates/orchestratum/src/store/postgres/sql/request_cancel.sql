-- Marks an unfinished command for cancellation and says whether a live lease holds it (a row
-- marked running without an expiry holds none); wakes the instances of its target (payload
-- `cancel:<target>`) so the one that runs or claims it acts at once. A workflow step waiting for
-- its parents is made due, so that a claim reaches it and cancels it.
WITH requested AS (
    UPDATE "{prefix}commands" SET
        cancel_requested_at = COALESCE(cancel_requested_at, now()),
        scheduled_at = CASE WHEN scheduled_at >= timestamptz '9999-01-01 00:00:00+00' THEN now()
                            ELSE scheduled_at END
    WHERE id = $1 AND NOT is_completed AND NOT is_failed AND NOT is_canceled
    RETURNING target, name, attempt,
              (is_running AND run_expires_at IS NOT NULL AND run_expires_at >= now()) AS running
)
SELECT name, attempt, running, pg_notify($2, 'cancel:' || target)::text AS notified
FROM requested
