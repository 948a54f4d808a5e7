-- Seconds until the earliest unfinished command of target ?1 and names ?2 becomes claimable.
-- A running row without an expiry holds no lease: it is claimable as soon as it is scheduled,
-- which for a row some program started running is already past. Paused names wait for a resume.
SELECT (julianday(min(CASE WHEN is_running THEN COALESCE(run_expires_at, scheduled_at)
                           ELSE scheduled_at END))
        - julianday('now')) * 86400.0
FROM "{prefix}commands"
WHERE target = ?1 AND name IN (SELECT value FROM json_each(?2))
  AND NOT is_completed AND NOT is_failed AND NOT is_canceled
  AND scheduled_at < '9999-01-01'
  AND NOT EXISTS (SELECT 1 FROM "{prefix}controls" AS k
                  WHERE k.name = "{prefix}commands".name AND k.paused)
