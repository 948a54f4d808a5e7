-- Marks an unfinished command for cancellation and says whether a live lease holds it (a row
-- marked running without an expiry holds none). ?1 is upper case, as EF Core writes it; rows
-- written in lower case match too.
UPDATE "{prefix}commands"
SET cancel_requested_at = COALESCE(cancel_requested_at, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
WHERE id IN (?1, lower(?1)) AND NOT is_completed AND NOT is_failed AND NOT is_canceled
RETURNING name, attempt,
          (is_running AND run_expires_at IS NOT NULL
           AND run_expires_at >= strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')) AS running
