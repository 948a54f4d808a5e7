-- Locks the candidates `claim_candidates` read (their ids fill the list `{ids}`, placeholders
-- as in `claim`) that are still free and due, skipping rows another claim holds, in claim
-- order (`fragments/claimable.sql`; `lapsed`: the row is still marked running, its lease
-- lapsed or missing). Each row comes back
-- as read under the lock, with the claim's lease token ?1 (one fresh token for the rows of one
-- claim: every fence pairs it with the row's id, and a later claim of the row gets another):
-- the claim's own values follow from these (attempt + 1, a retry charged for a lapsed lease),
-- so nothing is read back. A row's target and name never change: they are not tested again.
SELECT id, is_running AS lapsed, name, input, timeout, retries_left, attempt,
       CAST(? AS CHAR(36)) AS lease_token, workflow_id,
       cancel_requested_at IS NOT NULL AS cancel_requested,
       TIMESTAMPDIFF(MICROSECOND, scheduled_at, UTC_TIMESTAMP(6)) AS queue_wait_us
FROM `{prefix}commands` FORCE INDEX (PRIMARY)
WHERE id IN ({ids})
  AND {claimable}
ORDER BY priority DESC, scheduled_at, id
FOR UPDATE SKIP LOCKED
