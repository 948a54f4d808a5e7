-- The compare-and-swap that makes one due time fire once: only the transaction that still finds
-- next_run_at at the due time ($4) moves it on; a concurrent one waits for the row lock, then
-- finds it moved and changes nothing. $3 is the due time when it pushes a command, else NULL.
UPDATE "{prefix}schedules"
SET next_run_at = $2, last_run_at = COALESCE($3::timestamptz, last_run_at)
WHERE name = $1 AND next_run_at = $4 AND NOT paused
