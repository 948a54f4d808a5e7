-- Microseconds until the earliest unfinished command of target ?1 (exactly ?2) and names ?3
-- becomes claimable. A running row without an expiry holds no lease: it is claimable as soon as
-- it is scheduled, which for a row some program started running is already past. Paused names
-- wait for a resume.
SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6),
                     MIN(CASE WHEN is_running THEN COALESCE(run_expires_at, scheduled_at)
                              ELSE scheduled_at END))
FROM `{prefix}commands`
WHERE target = ? AND CAST(target AS BINARY) = CAST(? AS BINARY)
  AND JSON_CONTAINS(?, JSON_QUOTE(name))
  AND is_completed = FALSE AND is_failed = FALSE AND is_canceled = FALSE
  AND scheduled_at < '9999-01-01 00:00:00'
  AND NOT EXISTS (SELECT 1 FROM `{prefix}controls` AS k
                  WHERE k.name = `{prefix}commands`.name COLLATE utf8mb4_bin AND k.paused)
