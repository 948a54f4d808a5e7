-- Marks an unfinished command for cancellation and says whether a live lease holds it (a row
-- marked running without an expiry holds none); wakes the instances of its target (payload
-- `cancel:<target>`) so the one that runs or claims it acts at once.
WITH requested AS (
    UPDATE "{prefix}commands" SET cancel_requested_at = COALESCE(cancel_requested_at, now())
    WHERE id = $1 AND NOT is_completed AND NOT is_failed AND NOT is_canceled
    RETURNING target, name, attempt,
              (is_running AND run_expires_at IS NOT NULL AND run_expires_at >= now()) AS running
)
SELECT name, attempt, running, pg_notify($2, 'cancel:' || target)::text AS notified
FROM requested
