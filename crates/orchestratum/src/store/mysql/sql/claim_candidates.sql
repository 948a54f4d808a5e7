-- Up to ?4 due commands of target ?1 (?2 again: the column's collation may ignore case and
-- trailing spaces, the key must match exactly) whose name is in the JSON array ?3, in claim
-- order, read without locking. `claim_lock` then locks them by key. A locking read over the
-- claim index steps over the rows running under a lease and the index entries of rows just
-- finished (until purged), locking or checking each: about three times as slow as this
-- plain read, which is why the claim reads first and locks after (decision 0009).
-- Paused names (`{prefix}controls`) are skipped, and so are workflow steps waiting for their
-- parents (due in the year 9999).
SELECT id
FROM `{prefix}commands`
WHERE target = ? AND CAST(target AS BINARY) = CAST(? AS BINARY)
  AND JSON_CONTAINS(?, JSON_QUOTE(name))
  AND is_completed = FALSE AND is_failed = FALSE AND is_canceled = FALSE
  AND scheduled_at < '9999-01-01 00:00:00'
  AND (is_running = FALSE OR run_expires_at IS NULL OR run_expires_at < UTC_TIMESTAMP(6))
  AND (scheduled_at <= UTC_TIMESTAMP(6) OR cancel_requested_at IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM `{prefix}controls` AS k
                  WHERE k.name = `{prefix}commands`.name COLLATE utf8mb4_bin AND k.paused)
ORDER BY priority DESC, scheduled_at, id
LIMIT ?
