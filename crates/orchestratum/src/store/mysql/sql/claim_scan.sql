-- Locks up to ?5 due commands of target ?2 (?3 again: the column's collation may ignore case and
-- trailing spaces, the key must match exactly) whose name is in the JSON array ?4 and that are
-- free to claim (`fragments/claimable.sql`; `lapsed`: the row is still marked running, its
-- lease lapsed or missing). Rows another claim holds are skipped.
-- The claim runs this only when `claim_lock` could not lock every candidate it was given
-- (another worker took some in between): this finds and locks the next free rows in one pass.
-- It returns each row read under the lock, with the claim's lease token ?1 (one fresh token for
-- the rows of one claim: every fence pairs it with the row's id, and a later claim of the row
-- gets another): the claim's own values follow from these (attempt + 1, a retry charged for a
-- lapsed lease), so nothing is read back.
SELECT id, is_running AS lapsed, name, input, timeout, retries_left, attempt,
       CAST(? AS CHAR(36)) AS lease_token, workflow_id,
       cancel_requested_at IS NOT NULL AS cancel_requested,
       TIMESTAMPDIFF(MICROSECOND, scheduled_at, UTC_TIMESTAMP(6)) AS queue_wait_us
FROM `{prefix}commands`
WHERE target = ? AND CAST(target AS BINARY) = CAST(? AS BINARY)
  AND JSON_CONTAINS(?, JSON_QUOTE(name))
  AND {claimable}
ORDER BY priority DESC, scheduled_at, id
LIMIT ?
FOR UPDATE SKIP LOCKED
