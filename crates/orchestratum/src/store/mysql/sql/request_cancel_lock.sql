-- Finds an unfinished command, says whether a live lease holds it (a row marked running without
-- an expiry holds none), and locks its row.
SELECT name, attempt,
       (is_running AND run_expires_at IS NOT NULL AND run_expires_at >= UTC_TIMESTAMP(6)) AS running
FROM `{prefix}commands`
WHERE id = ? AND is_completed = FALSE AND is_failed = FALSE AND is_canceled = FALSE
FOR UPDATE
