-- Seconds until the earliest unfinished command of target ?1 and names ?2 becomes claimable.
SELECT (julianday(min(CASE WHEN is_running THEN run_expires_at ELSE scheduled_at END))
        - julianday('now')) * 86400.0
FROM "{prefix}commands"
WHERE target = ?1 AND name IN (SELECT value FROM json_each(?2))
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
