-- Marks an unfinished command for cancellation and says whether a live lease holds it (a row
-- marked running without an expiry holds none). ?1 is upper case, as EF Core writes it; rows
-- written in lower case match too. A workflow step waiting for its parents is made due, so that
-- a claim reaches it and cancels it.
UPDATE "{prefix}commands"
SET cancel_requested_at = COALESCE(cancel_requested_at, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    scheduled_at = CASE WHEN scheduled_at >= '9999-01-01'
                        THEN strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') ELSE scheduled_at END
WHERE id IN (?1, lower(?1)) AND NOT is_completed AND NOT is_failed AND NOT is_canceled
RETURNING name, attempt,
          (is_running AND run_expires_at IS NOT NULL
           AND run_expires_at >= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')) AS running
