-- Up to ?4 due commands of target ?1 (?2 again: the column's collation may ignore case and
-- trailing spaces, the key must match exactly) whose name is in the JSON array ?3, in claim
-- order, read without locking. `claim_lock` then locks them by key. A locking read over the
-- claim index steps over the rows running under a lease and the index entries of rows just
-- finished (until purged), locking or checking each: about three times as slow as this
-- plain read, which is why the claim reads first and locks after (decision 0009).
-- `fragments/claimable.sql` says which rows are free to claim.
SELECT id
FROM `{prefix}commands`
WHERE target = ? AND CAST(target AS BINARY) = CAST(? AS BINARY)
  AND JSON_CONTAINS(?, JSON_QUOTE(name))
  AND {claimable}
ORDER BY priority DESC, scheduled_at, id
LIMIT ?
